package dev.notiflow.testkit.providers.apns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A TCP proxy that delays every byte from the server to the client by a configurable latency, as a
 * slow network or a slow provider would, without blocking any thread: each chunk is scheduled on
 * the connection's event loop, in order. Bytes from the client pass at once.
 *
 * <p>Used in front of Pushy's mock server, whose handlers answer synchronously on the event loop,
 * so that a scripted latency delays answers concurrently (many streams in flight) instead of one
 * after the other. Thread-safe; close once.
 */
final class LatencyProxy implements AutoCloseable {

    private final EventLoopGroup boss = new NioEventLoopGroup(1);
    private final EventLoopGroup workers = new NioEventLoopGroup(2);
    private final Channel serverChannel;
    private final int port;

    /**
     * Starts listening on a free port.
     *
     * @param backendPort the port of the real server on the loopback interface
     * @param latencyMillis read for every chunk, so a change applies at once
     */
    LatencyProxy(int backendPort, LongSupplier latencyMillis) throws InterruptedException {
        ServerBootstrap bootstrap =
                new ServerBootstrap()
                        .group(boss, workers)
                        .channel(NioServerSocketChannel.class)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childOption(ChannelOption.AUTO_READ, false)
                        .childHandler(
                                new ChannelInitializer<SocketChannel>() {
                                    @Override
                                    protected void initChannel(SocketChannel client) {
                                        client.pipeline()
                                                .addLast(
                                                        new ClientSide(backendPort, latencyMillis));
                                    }
                                });
        this.serverChannel = bootstrap.bind(0).sync().channel();
        this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(2000);
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** The client's connection: opens one to the backend and forwards both ways. */
    private static final class ClientSide extends ChannelInboundHandlerAdapter {

        private final int backendPort;
        private final LongSupplier latencyMillis;
        private Channel backend;

        ClientSide(int backendPort, LongSupplier latencyMillis) {
            this.backendPort = backendPort;
            this.latencyMillis = latencyMillis;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            Bootstrap bootstrap =
                    new Bootstrap()
                            .group(client.eventLoop())
                            .channel(NioSocketChannel.class)
                            .option(ChannelOption.TCP_NODELAY, true)
                            .handler(new ServerSide(client, latencyMillis));
            bootstrap
                    .connect("127.0.0.1", backendPort)
                    .addListener(
                            (ChannelFutureListener)
                                    future -> {
                                        if (future.isSuccess()) {
                                            backend = future.channel();
                                            client.read();
                                        } else {
                                            client.close();
                                        }
                                    });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (backend != null && backend.isActive()) {
                backend.writeAndFlush(msg)
                        .addListener(
                                (ChannelFutureListener)
                                        future -> {
                                            if (future.isSuccess()) {
                                                ctx.channel().read();
                                            } else {
                                                future.channel().close();
                                            }
                                        });
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (backend != null) {
                backend.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The backend's connection: delays what the server sends before the client sees it. */
    private static final class ServerSide extends ChannelInboundHandlerAdapter {

        private final Channel client;
        private final LongSupplier latencyMillis;
        private long lastDeadlineNanos;

        ServerSide(Channel client, LongSupplier latencyMillis) {
            this.client = client;
            this.latencyMillis = latencyMillis;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long latency = latencyMillis.getAsLong();
            long now = System.nanoTime();
            // Never earlier than a chunk already scheduled: bytes keep their order.
            long deadline =
                    Math.max(now + TimeUnit.MILLISECONDS.toNanos(latency), lastDeadlineNanos);
            lastDeadlineNanos = deadline;
            if (deadline <= now) {
                client.writeAndFlush(msg);
            } else {
                ByteBuf chunk = (ByteBuf) msg;
                ctx.executor()
                        .schedule(
                                () -> {
                                    if (client.isActive()) {
                                        client.writeAndFlush(chunk);
                                    } else {
                                        chunk.release();
                                    }
                                },
                                deadline - now,
                                TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            long wait = Math.max(0, lastDeadlineNanos - System.nanoTime());
            ctx.executor().schedule(() -> client.close(), wait, TimeUnit.NANOSECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
