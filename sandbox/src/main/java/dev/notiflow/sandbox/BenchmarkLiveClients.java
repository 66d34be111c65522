package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The live benchmark's clients: many WebSocket and SSE connections to one push server held by one
 * Netty event loop group (one loop per core), each with its own token. A client acks every
 * notification at once (a WebSocket text frame; for SSE {@code POST /v1/live/ack} through the JDK
 * HttpClient) and, on a {@code goaway}, closes and reconnects at once, as the README's browser
 * example does without its random wait. What each client saw is counted on it and read by {@link
 * BenchmarkLive} after each phase.
 *
 * <p>Thread-safety: a client's handlers run on its channel's event loop; the counters and times
 * they write are atomics or volatile, read by the benchmark's thread.
 */
final class BenchmarkLiveClients implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_ATTEMPTS = 3;

    /** Connections and goaways whose times a client keeps (the first ones). */
    static final int KEPT = 4;

    /** One client: a user, a token, a transport, and what it saw. */
    static final class Client {
        final int index;
        final String userId;
        final String token;
        final boolean sse;
        volatile Channel channel;

        /** The port of the server the current connection went to. */
        volatile int port;

        /** Successful connections so far (1 after the first connect, 2 after a reconnect...). */
        final AtomicInteger connections = new AtomicInteger();

        /** System.nanoTime() when connection k (0-based) was open; 0 before. */
        final AtomicLongArray connectedAt = new AtomicLongArray(KEPT);

        final AtomicInteger goaways = new AtomicInteger();

        /** System.nanoTime() when goaway k arrived; 0 before. */
        final AtomicLongArray goawayAt = new AtomicLongArray(KEPT);

        final AtomicInteger notifications = new AtomicInteger();
        volatile String expectedNotificationId;
        final AtomicInteger unexpected = new AtomicInteger();
        volatile long receivedNanos;
        volatile long sentNanos;
        volatile long answeredNanos;
        volatile String error;

        Client(int index, String userId, String token, boolean sse) {
            this.index = index;
            this.userId = userId;
            this.token = token;
            this.sse = sse;
        }
    }

    private final EventLoopGroup group;
    private final String host;
    private volatile int port;
    private final HttpClient acks;
    private volatile boolean reconnect = true;
    private final AtomicInteger failedAcks = new AtomicInteger();

    BenchmarkLiveClients(String host, int port, int threads) {
        this.group = new NioEventLoopGroup(threads);
        this.host = host;
        this.port = port;
        this.acks =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10))
                        .build();
    }

    /** Where connections from now on go (after a deploy: the new server). */
    void target(int port) {
        this.port = port;
    }

    /** SSE acks that did not answer 200. */
    int failedAcks() {
        return failedAcks.get();
    }

    /** From now on a goaway closes the client without a reconnect. */
    void stopReconnecting() {
        reconnect = false;
    }

    /** Connects the client, retrying a failed attempt; completes once the stream is open. */
    CompletableFuture<Client> connect(Client c) {
        CompletableFuture<Client> done = new CompletableFuture<>();
        attempt(c, 1, done);
        return done;
    }

    private void attempt(Client c, int attempt, CompletableFuture<Client> done) {
        int to = port;
        CompletableFuture<Void> open = new CompletableFuture<>();
        open.whenComplete(
                (v, e) -> {
                    if (e == null) {
                        done.complete(c);
                    } else if (attempt < CONNECT_ATTEMPTS) {
                        group.schedule(
                                () -> attempt(c, attempt + 1, done), 200L, TimeUnit.MILLISECONDS);
                    } else {
                        c.error = e.toString();
                        done.completeExceptionally(e);
                    }
                });
        new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(
                        new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new HttpClientCodec());
                                if (c.sse) {
                                    ch.pipeline().addLast(new SseHandler(c, to, open));
                                } else {
                                    ch.pipeline()
                                            .addLast(new HttpObjectAggregator(16 * 1024))
                                            .addLast(
                                                    new WebSocketClientProtocolHandler(
                                                            wsConfig(c, to)))
                                            .addLast(new WsHandler(c, to, open));
                                }
                            }
                        })
                .connect(host, to)
                .addListener(
                        (ChannelFutureListener)
                                f -> {
                                    if (!f.isSuccess()) {
                                        open.completeExceptionally(f.cause());
                                    }
                                });
    }

    private WebSocketClientProtocolConfig wsConfig(Client c, int port) {
        return WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(URI.create("ws://" + host + ":" + port + "/v1/live/ws"))
                .customHeaders(
                        new DefaultHttpHeaders()
                                .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + c.token))
                .handshakeTimeoutMillis(20_000)
                .handleCloseFrames(true)
                .dropPongFrames(true)
                .build();
    }

    private void opened(Client c, Channel ch, int port, CompletableFuture<Void> open) {
        long now = System.nanoTime();
        c.channel = ch;
        c.port = port;
        int k = c.connections.get();
        if (k < KEPT) {
            c.connectedAt.set(k, now);
        }
        c.connections.incrementAndGet();
        open.complete(null);
    }

    /** A message from the server (WebSocket text frame or SSE data), already parsed. */
    private void message(Client c, Channel ch, JsonNode m, String event) {
        String type = event != null ? event : m.path("type").asText("");
        if ("notification".equals(type)) {
            String nid = m.path("notificationId").asText(null);
            if (nid != null && nid.equals(c.expectedNotificationId)) {
                if (c.notifications.incrementAndGet() == 1) {
                    c.receivedNanos = System.nanoTime();
                }
            } else {
                c.unexpected.incrementAndGet();
            }
            if (nid != null) {
                ack(c, ch, nid);
            }
        } else if ("goaway".equals(type)) {
            int k = c.goaways.get();
            if (k < KEPT) {
                c.goawayAt.set(k, System.nanoTime());
            }
            c.goaways.incrementAndGet();
            close(c, ch);
            if (reconnect) {
                connect(c);
            }
        }
    }

    private void ack(Client c, Channel ch, String notificationId) {
        String body = "{\"notificationId\":\"" + notificationId + "\"}";
        if (!c.sse) {
            ch.writeAndFlush(new TextWebSocketFrame(body));
            return;
        }
        HttpRequest r =
                HttpRequest.newBuilder(URI.create("http://" + host + ":" + c.port + "/v1/live/ack"))
                        .timeout(Duration.ofSeconds(20))
                        .header("Authorization", "Bearer " + c.token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        acks.sendAsync(r, BodyHandlers.discarding())
                .whenComplete(
                        (res, e) -> {
                            if (e != null || res.statusCode() != 200) {
                                failedAcks.incrementAndGet();
                            }
                        });
    }

    /** Closes from the client's side, so the TIME_WAIT lands here, as the goaway intends. */
    private static void close(Client c, Channel ch) {
        if (c.sse) {
            ch.close();
        } else {
            ch.writeAndFlush(new CloseWebSocketFrame(1000, "goaway"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Closes every client's connection (not a goaway: no reconnect follows). */
    void closeAll(Iterable<Client> clients) {
        for (Client c : clients) {
            Channel ch = c.channel;
            if (ch != null) {
                ch.close();
            }
        }
    }

    @Override
    public void close() {
        reconnect = false;
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    /** A WebSocket client: the protocol handler does the handshake and answers pings. */
    private final class WsHandler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        private final Client client;
        private final int port;
        private final CompletableFuture<Void> open;

        WsHandler(Client client, int port, CompletableFuture<Void> open) {
            this.client = client;
            this.port = port;
            this.open = open;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt
                    == WebSocketClientProtocolHandler.ClientHandshakeStateEvent
                            .HANDSHAKE_COMPLETE) {
                opened(client, ctx.channel(), port, open);
            } else if (evt
                    == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                open.completeExceptionally(new IllegalStateException("handshake timed out"));
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            message(client, ctx.channel(), parse(frame.text()), null);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            open.completeExceptionally(new IllegalStateException("closed before the handshake"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            open.completeExceptionally(cause);
            client.error = cause.toString();
            ctx.close();
        }
    }

    /** An SSE client: one GET, then the chunked stream read event by event. */
    private final class SseHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final Client client;
        private final int port;
        private final CompletableFuture<Void> open;
        private final StringBuilder buffer = new StringBuilder();

        SseHandler(Client client, int port, CompletableFuture<Void> open) {
            this.client = client;
            this.port = port;
            this.open = open;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            FullHttpRequest req =
                    new DefaultFullHttpRequest(
                            HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/live/sse");
            req.headers()
                    .set(HttpHeaderNames.HOST, host + ":" + port)
                    .set(HttpHeaderNames.ACCEPT, "text/event-stream")
                    .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + client.token);
            ctx.writeAndFlush(req);
            super.channelActive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse res) {
                if (res.status().code() != 200) {
                    open.completeExceptionally(
                            new IllegalStateException("SSE answered " + res.status()));
                    ctx.close();
                    return;
                }
                opened(client, ctx.channel(), port, open);
            }
            if (msg instanceof HttpContent content) {
                ByteBuf b = content.content();
                buffer.append(b.toString(StandardCharsets.UTF_8));
                int end;
                while ((end = buffer.indexOf("\n\n")) >= 0) {
                    String event = buffer.substring(0, end);
                    buffer.delete(0, end + 2);
                    event(ctx.channel(), event);
                }
                if (msg instanceof LastHttpContent) {
                    // the server ended the stream (its forced close): nothing more comes
                    ctx.close();
                }
            }
        }

        private void event(Channel ch, String text) {
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line : text.split("\n")) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
            if (name != null && data.length() > 0) {
                message(client, ch, parse(data.toString()), name);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            open.completeExceptionally(new IllegalStateException("closed before the stream"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            open.completeExceptionally(cause);
            client.error = cause.toString();
            ctx.close();
        }
    }
}
