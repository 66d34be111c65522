package dev.notiflow.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.live.LiveRegistryKeys;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The live channel's push server: holds WebSocket ({@code GET /v1/live/ws}) and Server-Sent Events
 * ({@code GET /v1/live/sse}) connections of authenticated users on Netty, registers them in Redis
 * ({@link PushRegistry}) and delivers what the job's {@code live} sender posts to its internal port
 * ({@code POST /internal/v1/deliver}), answering once a client acknowledged the message (200),
 * after {@code live.ack-timeout} without an ack (504; a shorter {@code ackTimeoutMillis} in the
 * request wins), or at once when the user has no connection here (404). The internal port speaks
 * HTTP/2 (h2c) and HTTP/1.1.
 *
 * <p>Acks: a client's ack ({@code POST /v1/live/ack} or a WebSocket text frame) completes the
 * delivery pending here; an ack for a delivery pending on another server (a load balancer sent the
 * POST elsewhere) is handed to the other servers holding a connection of the user, found in the
 * registry, on their internal {@code POST /internal/v1/ack}.
 *
 * <p>Connections: a JWT in {@code Authorization: Bearer} or {@code ?token=} is checked before the
 * upgrade (401 otherwise). Heartbeats every {@code live.heartbeat-interval} refresh the registry
 * record (a WebSocket's on the client's pong, an SSE's on a written comment), so a dead
 * connection's record expires after {@code live.registry-ttl}. Each connection lives at most {@code
 * live.max-connection-lifetime} less a random part of {@code live.lifetime-dither}; then the server
 * sends a {@code goaway} message and closes itself only after {@code live.goaway-grace}, so the
 * client closes first. {@link #close()} drains: it stops accepting, sends every client a goaway and
 * waits up to {@code live.drain-timeout}.
 *
 * <pre>{@code
 * try (PushServer server = PushServer.start(PushServerConfig.load(args))) {
 *     server.awaitClose();
 * }
 * }</pre>
 *
 * <p>Thread-safety: the public methods may be called from any thread. Per-connection work runs on
 * the connection's event loop; one event loop per core by default.
 */
public final class PushServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PushServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REQUEST_BYTES = 256 * 1024;
    private static final String WS_PATH = "/v1/live/ws";
    private static final String SSE_PATH = "/v1/live/sse";
    private static final String ACK_PATH = "/v1/live/ack";
    private static final String DELIVER_PATH = "/internal/v1/deliver";
    private static final String INTERNAL_ACK_PATH = "/internal/v1/ack";

    /**
     * Streams one job → server HTTP/2 connection may carry at once: well above a sender's
     * deliveries in flight ({@code send.live.capacity}, 100 by default, each waiting up to {@code
     * live.ack-timeout}). The JDK client does not open a second connection beyond it but fails the
     * extra requests ("too many concurrent streams", retryable for the sender).
     */
    static final int MAX_STREAMS_PER_CONNECTION = 1000;

    /** How long handing an ack to the server holding its delivery may take. */
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(2);

    private final PushServerConfig config;
    private final TokenVerifier tokens;
    private final PushRegistry registry;
    private final LiveMetrics metrics = new LiveMetrics();
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel publicChannel;
    private final Channel internalChannel;
    private final Map<String, Set<LiveConnection>> byUser = new ConcurrentHashMap<>();
    private final Map<String, PendingAck> pending = new ConcurrentHashMap<>();
    private final HttpClient peers;
    private final io.netty.util.concurrent.ScheduledFuture<?> announcer;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean draining;

    /** A delivery waiting for its client's ack. */
    private record PendingAck(String userId, CompletableFuture<Boolean> acked) {}

    private PushServer(PushServerConfig config) throws InterruptedException {
        this.config = config;
        this.tokens = new TokenVerifier(config.secret(), config.jwksUrl());
        this.registry = new PushRegistry(config.redisUri(), config.redisPassword());
        this.peers =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_2)
                        .connectTimeout(FORWARD_TIMEOUT)
                        .build();
        this.boss = new NioEventLoopGroup(1);
        this.workers = new NioEventLoopGroup(config.eventLoopThreads());
        try {
            publicChannel = bind(config.host(), config.port(), false);
            internalChannel = bind(config.internalHost(), config.internalPort(), true);
            registry.announce(config.instanceId(), advertisedUrl(), config.registryTtl())
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            shutdownNow();
            throw new IllegalStateException("push server did not start: " + e.getMessage(), e);
        }
        long every = config.heartbeatInterval().toMillis();
        announcer =
                workers.next()
                        .scheduleAtFixedRate(
                                () ->
                                        registry.announce(
                                                config.instanceId(),
                                                advertisedUrl(),
                                                config.registryTtl()),
                                every,
                                every,
                                TimeUnit.MILLISECONDS);
        LOG.info(
                "Push server {} listening on {} (internal {}, advertised {}), {} event loops",
                config.instanceId(),
                publicChannel.localAddress(),
                internalChannel.localAddress(),
                advertisedUrl(),
                config.eventLoopThreads());
    }

    /** Binds both ports and announces the instance in the registry. */
    public static PushServer start(PushServerConfig config) {
        try {
            return new PushServer(config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        }
    }

    /** The public port (useful with {@code live.port: 0}). */
    public int port() {
        return ((InetSocketAddress) publicChannel.localAddress()).getPort();
    }

    /** The internal port. */
    public int internalPort() {
        return ((InetSocketAddress) internalChannel.localAddress()).getPort();
    }

    /** The internal base URL written to the registry. */
    public String advertisedUrl() {
        if (config.internalPort() == 0 && internalChannel != null) {
            // A free port was picked: advertise the real one.
            return config.advertisedUrl().replaceAll(":0$", ":" + internalPort());
        }
        return config.advertisedUrl();
    }

    public String instanceId() {
        return config.instanceId();
    }

    /**
     * TCP connections accepted on the internal port since the start; with HTTP/2 many deliveries
     * share one.
     */
    public long internalConnectionsAccepted() {
        return metrics.internalConnections.get();
    }

    /** Connections open now, both transports. */
    public long openConnections() {
        return metrics.open();
    }

    /** Blocks until {@link #close()} finished. */
    public void awaitClose() throws InterruptedException {
        try {
            closed.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Graceful drain: stops accepting, sends every client a goaway (each is force-closed after
     * {@code live.goaway-grace}), waits up to {@code live.drain-timeout} for them to go, removes
     * what is left from the registry and stops.
     */
    @Override
    public void close() {
        if (draining) {
            awaitQuietly();
            return;
        }
        draining = true;
        LOG.info("Push server {} draining {} connections", config.instanceId(), openConnections());
        publicChannel.close().awaitUninterruptibly();
        for (Set<LiveConnection> conns : byUser.values()) {
            for (LiveConnection c : conns) {
                c.channel.eventLoop().execute(() -> goaway(c));
            }
        }
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        while (openConnections() > 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
        for (Set<LiveConnection> conns : byUser.values()) {
            for (LiveConnection c : conns) {
                c.channel.close();
            }
        }
        sleep(50);
        shutdown(true);
    }

    /** Stops at once without telling clients or the registry: what a crashed process leaves. */
    void abort() {
        draining = true;
        shutdown(false);
    }

    private void shutdown(boolean clean) {
        announcer.cancel(false);
        internalChannel.close().awaitUninterruptibly();
        publicChannel.close().awaitUninterruptibly();
        if (clean) {
            try {
                registry.retire(config.instanceId()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn(
                        "could not remove instance {} from the registry: {}",
                        config.instanceId(),
                        e.toString());
            }
        }
        for (PendingAck p : pending.values()) {
            p.acked.complete(false);
        }
        if (!clean) {
            // Closing the sockets must not unregister them: a crash leaves its records behind.
            byUser.clear();
        }
        shutdownNow();
        closed.complete(null);
        LOG.info("Push server {} stopped", config.instanceId());
    }

    private void shutdownNow() {
        if (clean(
                () -> workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly())) {
            clean(() -> boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly());
        }
        registry.close();
    }

    private static boolean clean(Runnable r) {
        try {
            r.run();
            return true;
        } catch (RuntimeException e) {
            LOG.warn("while stopping: {}", e.toString());
            return true;
        }
    }

    private void awaitQuietly() {
        try {
            closed.get(config.drainTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // already reported by the first close
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Channel bind(String host, int port, boolean internal) throws InterruptedException {
        ServerBootstrap b =
                new ServerBootstrap()
                        .group(boss, workers)
                        .channel(NioServerSocketChannel.class)
                        .option(ChannelOption.SO_BACKLOG, 4096)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(
                                new ChannelInitializer<SocketChannel>() {
                                    @Override
                                    protected void initChannel(SocketChannel ch) {
                                        if (internal) {
                                            metrics.internalConnections.incrementAndGet();
                                            initInternal(ch);
                                            return;
                                        }
                                        ch.pipeline()
                                                .addLast(new HttpServerCodec())
                                                .addLast(
                                                        new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                                .addLast(new HttpRouter(false));
                                    }
                                });
        return b.bind(host, port).sync().channel();
    }

    /**
     * The internal port speaks cleartext HTTP/2 (h2c), reached by prior knowledge or by the {@code
     * Upgrade: h2c} of an HTTP/1.1 request (what the JDK HttpClient sends on an http:// URI, body
     * included), so that many deliveries waiting for their acks share one connection as streams; a
     * request without an upgrade is served as HTTP/1.1. Each stream gets its own {@link
     * HttpRouter}, so both protocols run the same routes.
     */
    private void initInternal(SocketChannel ch) {
        HttpServerCodec http1 = new HttpServerCodec();
        HttpServerUpgradeHandler upgrade =
                new HttpServerUpgradeHandler(
                        http1,
                        protocol ->
                                AsciiString.contentEquals(
                                                Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                                        ? new Http2ServerUpgradeCodec(
                                                http2FrameCodec(), http2Multiplexer())
                                        : null,
                        MAX_REQUEST_BYTES);
        ChannelInitializer<Channel> priorKnowledge =
                new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(http2FrameCodec(), http2Multiplexer());
                    }
                };
        ch.pipeline()
                .addLast(new CleartextHttp2ServerUpgradeHandler(http1, upgrade, priorKnowledge))
                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                .addLast(new HttpRouter(true));
    }

    private static Http2FrameCodec http2FrameCodec() {
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(
                        Http2Settings.defaultSettings()
                                .maxConcurrentStreams(MAX_STREAMS_PER_CONNECTION))
                .build();
    }

    private Http2MultiplexHandler http2Multiplexer() {
        return new Http2MultiplexHandler(
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel stream) {
                        stream.pipeline()
                                .addLast(new Http2StreamFrameToHttpObjectCodec(true))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(new HttpRouter(true));
                    }
                });
    }

    // ---- connections ----------------------------------------------------------------------

    private void open(
            ChannelHandlerContext ctx,
            FullHttpRequest req,
            String userId,
            LiveConnection.Transport transport,
            String lastEventId) {
        Channel ch = ctx.channel();
        String connectionId = UUID.randomUUID().toString();
        String member = LiveRegistryKeys.member(config.instanceId(), connectionId);
        boolean replay = lastEventId != null && !lastEventId.isBlank();
        LiveConnection conn =
                new LiveConnection(connectionId, userId, member, ch, transport, replay);
        if (transport == LiveConnection.Transport.WS) {
            WebSocketServerHandshaker hs =
                    new WebSocketServerHandshakerFactory(wsUrl(req), null, false)
                            .newHandshaker(req);
            if (hs == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ch);
                return;
            }
            ctx.pipeline().replace(this.routerOf(ctx), "ws", new WebSocketHandler(conn, hs));
            hs.handshake(ch, req);
        } else {
            HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            res.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            ch.write(res);
            ch.writeAndFlush(
                    new DefaultHttpContent(
                            Unpooled.copiedBuffer(": connected\n\n", StandardCharsets.UTF_8)));
        }
        byUser.computeIfAbsent(userId, u -> ConcurrentHashMap.newKeySet()).add(conn);
        // Counted once deliveries to this server find it (the registry may follow a moment later).
        (transport == LiveConnection.Transport.WS ? metrics.openWs : metrics.openSse)
                .incrementAndGet();
        registry.register(userId, member, config.registryTtl());
        ch.closeFuture().addListener(f -> closed(conn));
        schedule(conn);
        if (replay) {
            registry.after(userId, lastEventId, config.historyTtl())
                    .whenComplete(
                            (entries, error) ->
                                    ch.eventLoop()
                                            .execute(
                                                    () -> {
                                                        List<PushRegistry.Entry> list =
                                                                error == null ? entries : List.of();
                                                        List<PushRegistry.Entry> wired =
                                                                new java.util.ArrayList<>();
                                                        for (PushRegistry.Entry e : list) {
                                                            wired.add(
                                                                    new PushRegistry.Entry(
                                                                            e.position(),
                                                                            e.notificationId(),
                                                                            wire(
                                                                                    e.position(),
                                                                                    e.message())));
                                                        }
                                                        metrics.replayed.addAndGet(wired.size());
                                                        conn.replay(wired);
                                                    }));
        }
    }

    private io.netty.channel.ChannelHandler routerOf(ChannelHandlerContext ctx) {
        return ctx.handler();
    }

    private void schedule(LiveConnection conn) {
        Channel ch = conn.channel;
        long beat = config.heartbeatInterval().toNanos();
        conn.timers.add(
                ch.eventLoop()
                        .scheduleAtFixedRate(
                                () -> heartbeat(conn), beat, beat, TimeUnit.NANOSECONDS));
        long lifetime = config.maxConnectionLifetime().toNanos();
        long dither = config.lifetimeDither().toNanos();
        long life = lifetime - (dither == 0 ? 0 : ThreadLocalRandom.current().nextLong(dither + 1));
        conn.timers.add(ch.eventLoop().schedule(() -> goaway(conn), life, TimeUnit.NANOSECONDS));
    }

    private void heartbeat(LiveConnection conn) {
        if (conn.transport == LiveConnection.Transport.WS) {
            long silent = System.nanoTime() - conn.lastPongNanos;
            if (silent > config.registryTtl().toNanos()) {
                // No pong for a registry TTL: the client is gone; its record has expired too.
                conn.channel.close();
                return;
            }
            conn.heartbeat();
        } else {
            conn.heartbeat()
                    .addListener(
                            f -> {
                                if (f.isSuccess()) {
                                    registry.register(
                                            conn.userId, conn.member, config.registryTtl());
                                }
                            });
        }
    }

    /** A WebSocket client's pong: it is alive. */
    void pong(LiveConnection conn) {
        conn.lastPongNanos = System.nanoTime();
        registry.register(conn.userId, conn.member, config.registryTtl());
    }

    private void goaway(LiveConnection conn) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("type", "goaway");
        msg.put("reconnect", true);
        msg.put("graceMillis", config.goawayGrace().toMillis());
        if (conn.goaway(msg.toString())) {
            metrics.goaways.incrementAndGet();
            conn.timers.add(
                    conn.channel
                            .eventLoop()
                            .schedule(
                                    () -> {
                                        if (conn.channel.isActive()) {
                                            metrics.forcedCloses.incrementAndGet();
                                            conn.close();
                                        }
                                    },
                                    config.goawayGrace().toMillis(),
                                    TimeUnit.MILLISECONDS));
        }
    }

    private void closed(LiveConnection conn) {
        for (io.netty.util.concurrent.ScheduledFuture<?> t : conn.timers) {
            t.cancel(false);
        }
        if (conn.transport == LiveConnection.Transport.WS) {
            metrics.openWs.decrementAndGet();
        } else {
            metrics.openSse.decrementAndGet();
        }
        Set<LiveConnection> conns = byUser.get(conn.userId);
        if (conns != null && conns.remove(conn)) {
            if (conns.isEmpty()) {
                byUser.remove(conn.userId, conns);
            }
            registry.unregister(conn.userId, conn.member);
        }
    }

    /** The client acked {@code notificationId}; false when nothing of that user waits for it. */
    boolean ack(String userId, String notificationId) {
        PendingAck p = notificationId == null ? null : pending.get(notificationId);
        if (p == null || !p.userId.equals(userId)) {
            return false;
        }
        if (p.acked.complete(true)) {
            metrics.acked.incrementAndGet();
        }
        return true;
    }

    /**
     * An ack this server holds no delivery for: hands it to the other servers holding a connection
     * of the user (the registry's members, their internal URLs), one of which the job's sender
     * posted the delivery to. Completes with true when one of them had it pending, false otherwise
     * (also when the registry or a server does not answer: a lost ack only means a retry).
     */
    private CompletableFuture<Boolean> forwardAck(String userId, String notificationId) {
        return registry.connections(userId)
                .thenCompose(
                        members -> {
                            Set<String> others = new java.util.LinkedHashSet<>();
                            for (String m : members) {
                                String instance = LiveRegistryKeys.instanceOf(m);
                                if (!config.instanceId().equals(instance)) {
                                    others.add(instance);
                                }
                            }
                            return registry.urls(others);
                        })
                .toCompletableFuture()
                .thenCompose(urls -> postAcks(urls, userId, notificationId))
                .orTimeout(2 * FORWARD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(
                        e -> {
                            LOG.debug("ack of {} not forwarded: {}", notificationId, e.toString());
                            return false;
                        });
    }

    private CompletableFuture<Boolean> postAcks(
            List<String> urls, String userId, String notificationId) {
        if (urls.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("userId", userId);
        body.put("notificationId", notificationId);
        List<CompletableFuture<Boolean>> answers = new java.util.ArrayList<>();
        for (String url : urls) {
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(URI.create(url + INTERNAL_ACK_PATH))
                            .timeout(FORWARD_TIMEOUT)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
            if (config.internalToken() != null) {
                b.header("Authorization", "Bearer " + config.internalToken());
            }
            answers.add(
                    peers.sendAsync(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding())
                            .handle((r, e) -> e == null && r.statusCode() == 200));
        }
        return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0]))
                .thenApply(
                        v -> {
                            boolean acked = answers.stream().anyMatch(CompletableFuture::join);
                            if (acked) {
                                metrics.acksForwarded.incrementAndGet();
                            }
                            return acked;
                        });
    }

    /** The message as a client receives it: its fields, a type and its position. */
    private static String wire(String position, String message) {
        try {
            ObjectNode out = JSON.createObjectNode();
            JsonNode m = JSON.readTree(message);
            if (m != null && m.isObject()) {
                out.setAll((ObjectNode) m);
            }
            // After the message's own fields, so that they never replace these two.
            out.put("type", "notification");
            out.put("position", position);
            return out.toString();
        } catch (Exception e) {
            throw new IllegalStateException("history holds a message that is not JSON", e);
        }
    }

    // ---- deliveries from the job ----------------------------------------------------------

    private static void answerAck(ChannelHandlerContext ctx, boolean keepAlive, boolean acked) {
        if (acked) {
            respond(ctx, keepAlive, HttpResponseStatus.OK, status("ACKED", null));
        } else {
            respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, status("NOT_PENDING", null));
        }
    }

    /** An ack another server received for a delivery pending here; never forwarded again. */
    private void forwardedAck(ChannelHandlerContext ctx, FullHttpRequest req) {
        JsonNode body;
        try {
            body = JSON.readTree(req.content().toString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            respond(ctx, req, HttpResponseStatus.BAD_REQUEST, error("body is not JSON"));
            return;
        }
        String userId = text(body, "userId");
        String notificationId = text(body, "notificationId");
        if (userId == null || notificationId == null) {
            respond(
                    ctx,
                    req,
                    HttpResponseStatus.BAD_REQUEST,
                    error("userId and notificationId are required"));
        } else if (ack(userId, notificationId)) {
            respond(ctx, req, HttpResponseStatus.OK, status("ACKED", null));
        } else {
            respond(ctx, req, HttpResponseStatus.NOT_FOUND, status("NOT_PENDING", null));
        }
    }

    private void deliver(ChannelHandlerContext ctx, FullHttpRequest req) {
        JsonNode body;
        try {
            body = JSON.readTree(req.content().toString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            respond(ctx, req, HttpResponseStatus.BAD_REQUEST, error("body is not JSON"));
            return;
        }
        String userId = text(body, "userId");
        JsonNode message = body == null ? null : body.get("message");
        String notificationId = message == null ? null : text(message, "notificationId");
        if (userId == null || message == null || !message.isObject() || notificationId == null) {
            respond(
                    ctx,
                    req,
                    HttpResponseStatus.BAD_REQUEST,
                    error("userId and message.notificationId are required"));
            return;
        }
        Set<LiveConnection> conns = byUser.get(userId);
        if (conns == null || conns.isEmpty() || draining) {
            metrics.notConnected.incrementAndGet();
            respond(ctx, req, HttpResponseStatus.NOT_FOUND, status("NOT_CONNECTED", null));
            return;
        }
        String raw = message.toString();
        long own = config.ackTimeout().toMillis();
        JsonNode asked = body.get("ackTimeoutMillis");
        // The sender may ask for a shorter wait than this server's, never a longer one.
        long ackMillis =
                asked != null && asked.canConvertToLong() && asked.asLong() > 0
                        ? Math.min(asked.asLong(), own)
                        : own;
        registry.append(userId, notificationId, raw, config.historyTtl(), config.historyMaxLength())
                .whenComplete(
                        (position, error) ->
                                ctx.executor()
                                        .execute(
                                                () -> {
                                                    if (error != null) {
                                                        respond(
                                                                ctx,
                                                                req,
                                                                HttpResponseStatus
                                                                        .SERVICE_UNAVAILABLE,
                                                                error("registry: " + error));
                                                        req.release();
                                                        return;
                                                    }
                                                    handOver(
                                                            ctx,
                                                            req,
                                                            userId,
                                                            notificationId,
                                                            position,
                                                            raw,
                                                            ackMillis);
                                                    req.release();
                                                }));
        req.retain();
    }

    private void handOver(
            ChannelHandlerContext ctx,
            FullHttpRequest req,
            String userId,
            String notificationId,
            String position,
            String raw,
            long ackMillis) {
        Set<LiveConnection> conns = byUser.get(userId);
        if (conns == null || conns.isEmpty()) {
            metrics.notConnected.incrementAndGet();
            respond(ctx, req, HttpResponseStatus.NOT_FOUND, status("NOT_CONNECTED", position));
            return;
        }
        PendingAck p =
                pending.computeIfAbsent(
                        notificationId, n -> new PendingAck(userId, new CompletableFuture<>()));
        String wired = wire(position, raw);
        for (LiveConnection c : conns) {
            c.channel.eventLoop().execute(() -> c.deliver(position, wired));
        }
        metrics.delivered.incrementAndGet();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        io.netty.util.concurrent.ScheduledFuture<?> timeout =
                ctx.executor()
                        .schedule(() -> p.acked.complete(false), ackMillis, TimeUnit.MILLISECONDS);
        p.acked.whenComplete(
                (acked, e) ->
                        ctx.executor()
                                .execute(
                                        () -> {
                                            timeout.cancel(false);
                                            pending.remove(notificationId, p);
                                            if (Boolean.TRUE.equals(acked)) {
                                                respond(
                                                        ctx,
                                                        keepAlive,
                                                        HttpResponseStatus.OK,
                                                        status("ACKED", position));
                                            } else {
                                                metrics.ackTimeouts.incrementAndGet();
                                                respond(
                                                        ctx,
                                                        keepAlive,
                                                        HttpResponseStatus.GATEWAY_TIMEOUT,
                                                        status("ACK_TIMEOUT", position));
                                            }
                                        }));
    }

    // ---- HTTP -----------------------------------------------------------------------------

    /** Routes the requests of one port; on the public port it upgrades to WebSocket or SSE. */
    private final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final boolean internal;

        HttpRouter(boolean internal) {
            this.internal = internal;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            QueryStringDecoder uri = new QueryStringDecoder(req.uri());
            String path = uri.path();
            HttpMethod method = req.method();
            if (HttpMethod.GET.equals(method) && "/metrics".equals(path)) {
                respondText(ctx, req, metrics.prometheus(draining));
                return;
            }
            if (HttpMethod.GET.equals(method) && "/healthz".equals(path)) {
                respond(
                        ctx,
                        req,
                        draining ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
                        status(draining ? "DRAINING" : "OK", null));
                return;
            }
            if (internal) {
                if (HttpMethod.POST.equals(method) && DELIVER_PATH.equals(path)) {
                    if (!internalAuthorized(req)) {
                        respond(
                                ctx,
                                req,
                                HttpResponseStatus.UNAUTHORIZED,
                                error("bad internal token"));
                        return;
                    }
                    deliver(ctx, req);
                    return;
                }
                if (HttpMethod.POST.equals(method) && INTERNAL_ACK_PATH.equals(path)) {
                    if (!internalAuthorized(req)) {
                        respond(
                                ctx,
                                req,
                                HttpResponseStatus.UNAUTHORIZED,
                                error("bad internal token"));
                        return;
                    }
                    forwardedAck(ctx, req);
                    return;
                }
                respond(ctx, req, HttpResponseStatus.NOT_FOUND, error("no such endpoint"));
                return;
            }
            boolean ws = WS_PATH.equals(path);
            boolean sse = SSE_PATH.equals(path);
            boolean ackPath = ACK_PATH.equals(path);
            if (!((ws || sse) && HttpMethod.GET.equals(method))
                    && !(ackPath && HttpMethod.POST.equals(method))) {
                respond(ctx, req, HttpResponseStatus.NOT_FOUND, error("no such endpoint"));
                return;
            }
            String userId = tokens.userId(token(req, uri));
            if (userId == null) {
                metrics.refused.incrementAndGet();
                FullHttpResponse res =
                        response(
                                HttpResponseStatus.UNAUTHORIZED,
                                error("a valid token is required"));
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (ackPath) {
                String nid;
                try {
                    nid =
                            text(
                                    JSON.readTree(req.content().toString(StandardCharsets.UTF_8)),
                                    "notificationId");
                } catch (Exception e) {
                    nid = null;
                }
                if (nid == null) {
                    respond(
                            ctx,
                            req,
                            HttpResponseStatus.BAD_REQUEST,
                            error("notificationId is required"));
                } else if (ack(userId, nid)) {
                    respond(ctx, req, HttpResponseStatus.OK, status("ACKED", null));
                } else {
                    // Not pending here: maybe on another server of the user's connections.
                    boolean keepAlive = HttpUtil.isKeepAlive(req);
                    forwardAck(userId, nid)
                            .thenAccept(
                                    acked ->
                                            ctx.executor()
                                                    .execute(
                                                            () ->
                                                                    answerAck(
                                                                            ctx, keepAlive,
                                                                            acked)));
                }
                return;
            }
            if (draining) {
                respond(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, status("DRAINING", null));
                return;
            }
            String lastEventId = req.headers().get("Last-Event-ID");
            if (lastEventId == null) {
                lastEventId = first(uri, "lastEventId");
            }
            open(
                    ctx,
                    req,
                    userId,
                    ws ? LiveConnection.Transport.WS : LiveConnection.Transport.SSE,
                    lastEventId);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("connection error: {}", cause.toString());
            ctx.close();
        }
    }

    /** Frames of an upgraded WebSocket: acks as text frames, pongs, close. */
    private final class WebSocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

        private final LiveConnection conn;
        private final WebSocketServerHandshaker handshaker;

        WebSocketHandler(LiveConnection conn, WebSocketServerHandshaker handshaker) {
            this.conn = conn;
            this.handshaker = handshaker;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof PongWebSocketFrame) {
                pong(conn);
            } else if (frame instanceof TextWebSocketFrame) {
                try {
                    JsonNode msg = JSON.readTree(((TextWebSocketFrame) frame).text());
                    String nid = text(msg, "notificationId");
                    if (nid != null && !ack(conn.userId, nid)) {
                        forwardAck(conn.userId, nid);
                    }
                } catch (Exception e) {
                    LOG.debug("unreadable frame from a client: {}", e.toString());
                }
            } else if (frame instanceof CloseWebSocketFrame) {
                handshaker.close(ctx.channel(), (CloseWebSocketFrame) frame.retain());
            } else if (frame instanceof io.netty.handler.codec.http.websocketx.PingWebSocketFrame) {
                ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("websocket error: {}", cause.toString());
            ctx.close();
        }
    }

    private boolean internalAuthorized(FullHttpRequest req) {
        if (config.internalToken() == null) {
            return true;
        }
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        String expected = "Bearer " + config.internalToken();
        return auth != null
                && MessageDigest.isEqual(
                        auth.getBytes(StandardCharsets.UTF_8),
                        expected.getBytes(StandardCharsets.UTF_8));
    }

    private static String token(FullHttpRequest req, QueryStringDecoder uri) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).strip();
        }
        return first(uri, "token");
    }

    private static String first(QueryStringDecoder uri, String name) {
        List<String> v = uri.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static String wsUrl(FullHttpRequest req) {
        String host = req.headers().get(HttpHeaderNames.HOST, "localhost");
        return "ws://" + host + WS_PATH;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || !v.isTextual() || v.asText().isBlank() ? null : v.asText();
    }

    private static String error(String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        return n.toString();
    }

    private static String status(String status, String position) {
        ObjectNode n = JSON.createObjectNode();
        n.put("status", status);
        if (position != null) {
            n.put("position", position);
        }
        return n.toString();
    }

    private static FullHttpResponse response(HttpResponseStatus status, String json) {
        FullHttpResponse res =
                new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1,
                        status,
                        Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        return res;
    }

    private static void respond(
            ChannelHandlerContext ctx,
            FullHttpRequest req,
            HttpResponseStatus status,
            String json) {
        respond(ctx, HttpUtil.isKeepAlive(req), status, json);
    }

    private static void respond(
            ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String json) {
        FullHttpResponse res = response(status, json);
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static void respondText(ChannelHandlerContext ctx, FullHttpRequest req, String text) {
        FullHttpResponse res =
                new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1,
                        HttpResponseStatus.OK,
                        Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        if (HttpUtil.isKeepAlive(req)) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
