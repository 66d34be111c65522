package dev.notiflow.push;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.live.LiveRegistryKeys;
import dev.notiflow.live.LiveTokens;
import dev.notiflow.testkit.redis.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The push server with real clients on loopback (the JDK's WebSocket, SSE over its HttpClient) and
 * a real Redis: tokens, delivery with acks, replay after a reconnect, registry expiry, goaway.
 */
class PushServerITCase {

    @RegisterExtension static final RedisExtension REDIS = new RedisExtension();

    static final byte[] SECRET =
            "a-test-secret-of-more-than-32-bytes!!".getBytes(StandardCharsets.UTF_8);
    static final LiveTokens TOKENS = new LiveTokens(SECRET);

    static RedisClient redisClient;
    static StatefulRedisConnection<String, String> redis;

    private final List<PushServer> servers = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    @BeforeAll
    static void connectRedis() {
        redisClient = RedisClient.create(REDIS.uri());
        redis = redisClient.connect();
    }

    @AfterAll
    static void closeRedis() {
        redis.close();
        redisClient.shutdown();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        for (PushServer s : servers) {
            s.abort();
        }
    }

    PushServer server(String... overrides) throws Exception {
        Map<String, String> m = new HashMap<>();
        m.put("live.host", "127.0.0.1");
        m.put("live.port", "0");
        m.put("live.internal-host", "127.0.0.1");
        m.put("live.internal-port", "0");
        m.put("live.advertised-url", "http://127.0.0.1:0");
        m.put("live.secret", new String(SECRET, StandardCharsets.UTF_8));
        m.put("live.redis-uri", REDIS.redis().uriWithoutPassword());
        m.put("live.heartbeat-interval", "200 ms");
        // Ten missed heartbeats: a busy machine's stall of an event loop does not drop clients.
        m.put("live.registry-ttl", "2 s");
        m.put("live.ack-timeout", "700 ms");
        m.put("live.goaway-grace", "500 ms");
        m.put("live.drain-timeout", "2 s");
        m.put("live.event-loop-threads", "2");
        for (int i = 0; i < overrides.length; i += 2) {
            m.put(overrides[i], overrides[i + 1]);
        }
        java.nio.file.Path pw = REDIS.redis().passwordFile();
        m.put("live.redis-password-file", pw.toString());
        PushServer s = PushServer.start(PushServerConfig.fromMap(m, Map.of()));
        servers.add(s);
        return s;
    }

    static String token(String user) {
        return TOKENS.mint(user, Duration.ofMinutes(5));
    }

    @Test
    void shouldRefuseMissingForgedAndExpiredTokensBeforeTheUpgrade() throws Exception {
        PushServer server = server();
        String base = "http://127.0.0.1:" + server.port();
        String forged =
                new LiveTokens(
                                "another-secret-that-is-long-enough-too!"
                                        .getBytes(StandardCharsets.UTF_8))
                        .mint("u1", Duration.ofMinutes(5));
        String expired =
                TOKENS.mint(
                        "u1",
                        Instant.now().minus(Duration.ofHours(2)),
                        Instant.now().minus(Duration.ofHours(1)));
        for (String bad : new String[] {null, "not-a-jwt", forged, expired}) {
            assertThat(LiveClients.status(base + "/v1/live/sse", bad))
                    .as("SSE with %s", bad)
                    .isEqualTo(401);
            String query = bad == null ? "" : "?token=" + bad;
            assertThatThrownBy(() -> LiveClients.Ws.connect(server.port(), query))
                    .as("WebSocket with %s", bad)
                    .hasCauseInstanceOf(WebSocketHandshakeException.class)
                    .satisfies(
                            e ->
                                    assertThat(
                                                    ((WebSocketHandshakeException) e.getCause())
                                                            .getResponse()
                                                            .statusCode())
                                            .isEqualTo(401));
        }
        assertThat(server.openConnections()).isZero();

        LiveClients.Ws ws = LiveClients.Ws.connect(server.port(), "?token=" + token("u1"));
        LiveClients.Sse sse = LiveClients.Sse.connect(server.port(), token("u1"), null);
        clients.add(sse);
        assertThat(sse.status).isEqualTo(200);
        awaitOpen(server, 2);
        assertThat(LiveClients.request("GET", base + "/metrics", null, null).body())
                .contains("notiflow_live_open_connections{transport=\"ws\"} 1")
                .contains("notiflow_live_open_connections{transport=\"sse\"} 1")
                .contains("notiflow_live_refused_total 8");
        ws.socket.abort();
    }

    @Test
    void shouldDeliverToTheRightClientOnceAndAnswerOnItsAck() throws Exception {
        PushServer server = server();
        LiveClients.Ws alice = LiveClients.Ws.connect(server.port(), "?token=" + token("alice"));
        LiveClients.Ws bob = LiveClients.Ws.connect(server.port(), "?token=" + token("bob"));
        awaitOpen(server, 2);

        CompletableFuture<HttpResponse<String>> answer =
                LiveClients.deliver(server.internalPort(), "alice", "n1", "Hello");
        JsonNode msg = alice.next(5000);
        assertThat(msg).isNotNull();
        assertThat(msg.get("type").asText()).isEqualTo("notification");
        assertThat(msg.get("notificationId").asText()).isEqualTo("n1");
        assertThat(msg.get("eventId").asText()).isEqualTo("e-n1");
        assertThat(msg.get("title").asText()).isEqualTo("Hello");
        assertThat(msg.get("body").asText()).isEqualTo("b");
        assertThat(msg.get("data").get("k").asText()).isEqualTo("v");
        assertThat(msg.get("position").asText()).matches("\\d+-\\d+");
        assertThat(answer).isNotDone();

        alice.ack("n1");
        HttpResponse<String> r = answer.get(5, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("ACKED").contains(msg.get("position").asText());
        assertThat(alice.next(300)).as("delivered once").isNull();
        assertThat(bob.next(300)).as("not to another user").isNull();
        alice.socket.abort();
        bob.socket.abort();
    }

    @Test
    void shouldAnswer504WithoutAnAckAnd404WhenNotConnected() throws Exception {
        PushServer server = server();
        LiveClients.Sse sse = LiveClients.Sse.connect(server.port(), token("carol"), null);
        clients.add(sse);
        awaitOpen(server, 1);

        long start = System.nanoTime();
        HttpResponse<String> first =
                LiveClients.deliver(server.internalPort(), "carol", "n2", "t")
                        .get(10, TimeUnit.SECONDS);
        assertThat(first.statusCode()).isEqualTo(504);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(650));
        LiveClients.Event e = sse.next(2000);
        assertThat(e.event()).isEqualTo("notification");
        assertThat(e.data().get("notificationId").asText()).isEqualTo("n2");

        // The retry keeps the message's position; this time the client acks over HTTP.
        CompletableFuture<HttpResponse<String>> retry =
                LiveClients.deliver(server.internalPort(), "carol", "n2", "t");
        LiveClients.Event again = sse.next(2000);
        assertThat(again.id()).isEqualTo(e.id());
        HttpResponse<String> ack =
                LiveClients.request(
                        "POST",
                        "http://127.0.0.1:" + server.port() + "/v1/live/ack",
                        token("carol"),
                        "{\"notificationId\":\"n2\"}");
        assertThat(ack.statusCode()).isEqualTo(200);
        assertThat(retry.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        assertThat(
                        LiveClients.deliver(server.internalPort(), "dave", "n3", "t")
                                .get(5, TimeUnit.SECONDS)
                                .statusCode())
                .isEqualTo(404);
    }

    @Test
    void shouldAnswerTheSameOnTheInternalPortInHttp2AndHttp11() throws Exception {
        PushServer server = server();
        LiveClients.Ws ivy = LiveClients.Ws.connect(server.port(), "?token=" + token("ivy"));
        awaitOpen(server, 1);
        for (HttpClient.Version version :
                List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
            HttpClient client = HttpClient.newBuilder().version(version).build();
            HttpResponse<String> absent =
                    LiveClients.deliver(
                                    client, server.internalPort(), "nobody", "x-" + version, "t")
                            .get(5, TimeUnit.SECONDS);
            assertThat(absent.statusCode()).isEqualTo(404);
            assertThat(absent.version()).as("protocol spoken").isEqualTo(version);

            CompletableFuture<HttpResponse<String>> answer =
                    LiveClients.deliver(client, server.internalPort(), "ivy", "a-" + version, "t");
            assertThat(ivy.next(3000).get("notificationId").asText()).isEqualTo("a-" + version);
            ivy.ack("a-" + version);
            HttpResponse<String> acked = answer.get(5, TimeUnit.SECONDS);
            assertThat(acked.statusCode()).isEqualTo(200);
            assertThat(acked.body()).contains("ACKED");
            assertThat(acked.version()).isEqualTo(version);

            HttpResponse<String> unacked =
                    LiveClients.deliver(client, server.internalPort(), "ivy", "u-" + version, "t")
                            .get(5, TimeUnit.SECONDS);
            assertThat(unacked.statusCode()).isEqualTo(504);
            assertThat(unacked.body()).contains("ACK_TIMEOUT");
            assertThat(ivy.next(1000).get("notificationId").asText()).isEqualTo("u-" + version);
        }
        ivy.socket.abort();
    }

    @Test
    void shouldForwardAnAckThatReachedAnotherServerToTheOneHoldingTheDelivery() throws Exception {
        PushServer a = server("live.ack-timeout", "5 s");
        PushServer b = server("live.ack-timeout", "5 s");
        LiveClients.Ws ws = LiveClients.Ws.connect(a.port(), "?token=" + token("jill"));
        awaitOpen(a, 1);
        awaitMembers(LiveRegistryKeys.connections("jill"), 1);

        CompletableFuture<HttpResponse<String>> answer =
                LiveClients.deliver(a.internalPort(), "jill", "f1", "t");
        assertThat(ws.next(3000).get("notificationId").asText()).isEqualTo("f1");
        long ackAt = System.nanoTime();
        HttpResponse<String> ack = ackOver(b, "jill", "f1");
        HttpResponse<String> r = answer.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as("the delivery on A: %s", r.body()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - ackAt))
                .as("answered on the forwarded ack, not after the 5 s ack timeout")
                .isLessThan(Duration.ofSeconds(2));
        assertThat(ack.statusCode()).isEqualTo(200);
        assertThat(ack.body()).contains("ACKED");

        // Acked already, or never delivered: harmless, as on the server holding the delivery.
        assertThat(ackOver(b, "jill", "f1").statusCode()).isEqualTo(404);
        assertThat(ackOver(b, "jill", "unknown").statusCode()).isEqualTo(404);
        assertThat(ackOver(b, "nobody", "f1").statusCode()).isEqualTo(404);

        // A second device of hers on B acks over its WebSocket a delivery posted to A only.
        LiveClients.Ws other = LiveClients.Ws.connect(b.port(), "?token=" + token("jill"));
        awaitOpen(b, 1);
        awaitMembers(LiveRegistryKeys.connections("jill"), 2);
        CompletableFuture<HttpResponse<String>> second =
                LiveClients.deliver(a.internalPort(), "jill", "f2", "t");
        assertThat(ws.next(3000).get("notificationId").asText()).isEqualTo("f2");
        long frameAt = System.nanoTime();
        other.ack("f2");
        assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - frameAt)).isLessThan(Duration.ofSeconds(2));
        assertThat(
                        LiveClients.request(
                                        "GET",
                                        "http://127.0.0.1:" + b.port() + "/metrics",
                                        null,
                                        null)
                                .body())
                .contains("notiflow_live_acks_forwarded_total 2");
        ws.socket.abort();
        other.socket.abort();
    }

    private static HttpResponse<String> ackOver(PushServer server, String user, String id)
            throws Exception {
        return LiveClients.request(
                "POST",
                "http://127.0.0.1:" + server.port() + "/v1/live/ack",
                token(user),
                "{\"notificationId\":\"" + id + "\"}");
    }

    private static void awaitMembers(String key, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (liveMembers(key).size() != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(liveMembers(key)).hasSize(n);
    }

    @Test
    void shouldReplayExactlyTheMissedMessagesOnceAfterAReconnect() throws Exception {
        PushServer server = server();
        // Two devices of one user: the phone stays, the laptop drops and comes back.
        LiveClients.Ws phone = LiveClients.Ws.connect(server.port(), "?token=" + token("erin"));
        LiveClients.Sse laptop = LiveClients.Sse.connect(server.port(), token("erin"), null);
        awaitOpen(server, 2);
        deliverAcked(server, phone, "m1");
        LiveClients.Event m1 = laptop.next(2000);
        assertThat(m1.data().get("notificationId").asText()).isEqualTo("m1");
        laptop.close();
        awaitOpen(server, 1);

        deliverAcked(server, phone, "m2");
        deliverAcked(server, phone, "m3");

        LiveClients.Sse back = LiveClients.Sse.connect(server.port(), token("erin"), m1.id());
        clients.add(back);
        List<String> replayed = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            LiveClients.Event e = back.next(3000);
            assertThat(e).isNotNull();
            replayed.add(e.data().get("notificationId").asText());
        }
        assertThat(replayed).containsExactly("m2", "m3");
        deliverAcked(server, phone, "m4");
        LiveClients.Event m4 = back.next(3000);
        assertThat(m4.data().get("notificationId").asText()).isEqualTo("m4");
        assertThat(back.next(300)).as("nothing twice").isNull();

        // A reconnect from the newest position replays nothing.
        LiveClients.Sse latest = LiveClients.Sse.connect(server.port(), token("erin"), m4.id());
        clients.add(latest);
        assertThat(latest.next(500)).isNull();
        phone.socket.abort();
    }

    @Test
    void shouldLetARegistryRecordExpireWhenHeartbeatsStop() throws Exception {
        PushServer server = server("live.registry-ttl", "1 s");
        LiveClients.Ws ws = LiveClients.Ws.connect(server.port(), "?token=" + token("frank"));
        awaitOpen(server, 1);
        String key = LiveRegistryKeys.connections("frank");
        // Heartbeats keep the record past its 1 s TTL.
        Thread.sleep(1500);
        assertThat(liveMembers(key))
                .hasSize(1)
                .allMatch(m -> m.startsWith(server.instanceId() + " "));

        server.abort(); // a crash: nobody removes the record, and heartbeats stop
        ws.socket.abort();
        assertThat(liveMembers(key)).hasSize(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (!liveMembers(key).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(liveMembers(key)).isEmpty();
        Thread.sleep(300);
        assertThat(redis.sync().exists(key)).as("the key's own TTL").isZero();
    }

    @Test
    void shouldSendGoawayThenForceCloseAfterTheGrace() throws Exception {
        PushServer server =
                server(
                        "live.max-connection-lifetime", "800 ms",
                        "live.lifetime-dither", "200 ms",
                        "live.goaway-grace", "500 ms");
        long start = System.nanoTime();
        LiveClients.Ws ws = LiveClients.Ws.connect(server.port(), "?token=" + token("gina"));
        JsonNode goaway = ws.next(3000);
        long goawayAt = System.nanoTime();
        assertThat(goaway.get("type").asText()).isEqualTo("goaway");
        assertThat(Duration.ofNanos(goawayAt - start))
                .isBetween(Duration.ofMillis(550), Duration.ofMillis(2000));
        // The client does not close: the server does, after the grace.
        int code = ws.closed.get(3, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - goawayAt))
                .isGreaterThanOrEqualTo(Duration.ofMillis(450));
        assertThat(code).isEqualTo(1001);
        awaitOpen(server, 0);
    }

    @Test
    void shouldDrainOnShutdown() throws Exception {
        PushServer server = server();
        LiveClients.Ws ws = LiveClients.Ws.connect(server.port(), "?token=" + token("hank"));
        awaitOpen(server, 1);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        JsonNode goaway = ws.next(3000);
        assertThat(goaway.get("type").asText()).isEqualTo("goaway");
        ws.socket.sendClose(1000, "bye").join();
        closing.get(5, TimeUnit.SECONDS);
        assertThat(liveMembers(LiveRegistryKeys.connections("hank"))).isEmpty();
        assertThat(redis.sync().exists(LiveRegistryKeys.instance(server.instanceId()))).isZero();
    }

    private void deliverAcked(PushServer server, LiveClients.Ws phone, String id) throws Exception {
        CompletableFuture<HttpResponse<String>> answer =
                LiveClients.deliver(server.internalPort(), "erin", id, id);
        JsonNode msg = phone.next(3000);
        assertThat(msg.get("notificationId").asText()).isEqualTo(id);
        phone.ack(id);
        assertThat(answer.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    private static List<String> liveMembers(String key) {
        return redis.sync()
                .zrangebyscore(
                        key,
                        io.lettuce.core.Range.create(
                                (double) System.currentTimeMillis(), Double.POSITIVE_INFINITY));
    }

    private static void awaitOpen(PushServer server, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.openConnections() != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.openConnections()).isEqualTo(n);
    }
}
