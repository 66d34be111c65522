package dev.notiflow.sinks.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.live.LiveRegistryKeys;
import dev.notiflow.live.LiveTokens;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.push.PushServer;
import dev.notiflow.push.PushServerConfig;
import dev.notiflow.testkit.redis.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The live sender against a real push server and a real Redis, with a real WebSocket client. */
class LiveSenderITCase {

    @RegisterExtension static final RedisExtension REDIS = new RedisExtension();

    static final String SECRET = "a-test-secret-of-more-than-32-bytes!!";
    static final ObjectMapper JSON = new ObjectMapper();

    private PushServer server;
    private LiveSender sender;

    @BeforeEach
    void start() throws Exception {
        Map<String, String> m = new HashMap<>();
        m.put("live.host", "127.0.0.1");
        m.put("live.port", "0");
        m.put("live.internal-host", "127.0.0.1");
        m.put("live.internal-port", "0");
        m.put("live.advertised-url", "http://127.0.0.1:0");
        m.put("live.secret", SECRET);
        m.put("live.redis-uri", REDIS.redis().uriWithoutPassword());
        m.put("live.redis-password-file", REDIS.redis().passwordFile().toString());
        m.put("live.heartbeat-interval", "200 ms");
        m.put("live.registry-ttl", "2 s");
        m.put("live.event-loop-threads", "1");
        server = PushServer.start(PushServerConfig.fromMap(m, Map.of()));
        sender =
                new LiveSender(
                        new LiveSettings(
                                REDIS.redis().uriWithoutPassword(),
                                REDIS.redis().passwordFile().toString(),
                                null,
                                null,
                                Duration.ofMillis(600),
                                Duration.ofSeconds(2),
                                Duration.ofSeconds(2)));
    }

    @AfterEach
    void stop() {
        sender.close();
        server.close();
    }

    @Test
    void shouldBeAcceptedOnlyOnceTheClientAcked() throws Exception {
        Client client = Client.connect(server.port(), "u1");
        awaitOpen(1);
        awaitRegistered("u1");
        CompletableFuture<SendResult> result = sender.send(request("u1", "n1"));
        JsonNode msg = client.messages.poll(5, TimeUnit.SECONDS);
        assertThat(msg.get("notificationId").asText()).isEqualTo("n1");
        assertThat(msg.get("title").asText()).isEqualTo("Shipped");
        assertThat(msg.get("data").get("orderId").asText()).isEqualTo("123");
        Thread.sleep(200);
        assertThat(result).as("not before the ack").isNotDone();
        client.ack("n1");
        SendResult r = result.get(5, TimeUnit.SECONDS);
        assertThat(r.status()).as("%s", r).isEqualTo(SendStatus.ACCEPTED);
        assertThat(r.providerMessageId()).isEqualTo(msg.get("position").asText());
        client.socket.abort();
    }

    @Test
    void shouldCarryManyUnackedDeliveriesOnOneOrTwoConnections() throws Exception {
        Client client = Client.connect(server.port(), "u4");
        awaitOpen(1);
        awaitRegistered("u4");
        int n = 200;
        // An ack timeout that leaves room for all of them to be in flight at once.
        try (LiveSender patient =
                new LiveSender(
                        new LiveSettings(
                                REDIS.redis().uriWithoutPassword(),
                                REDIS.redis().passwordFile().toString(),
                                null,
                                null,
                                Duration.ofSeconds(8),
                                Duration.ofSeconds(2),
                                Duration.ofSeconds(2)))) {
            long before = server.internalConnectionsAccepted();
            List<CompletableFuture<SendResult>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(patient.send(request("u4", "m" + i)));
            }
            Set<String> received = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (received.size() < n && System.nanoTime() < deadline) {
                JsonNode msg = client.messages.poll(100, TimeUnit.MILLISECONDS);
                if (msg != null) {
                    received.add(msg.get("notificationId").asText());
                }
            }
            assertThat(received).as("delivered, none acked yet").hasSize(n);
            assertThat(results)
                    .as("all waiting for their acks")
                    .noneMatch(CompletableFuture::isDone);
            assertThat(server.internalConnectionsAccepted() - before)
                    .as("internal connections for %d deliveries in flight", n)
                    .isBetween(1L, 2L);
            for (int i = 0; i < n; i++) {
                client.ack("m" + i);
            }
            for (CompletableFuture<SendResult> r : results) {
                assertThat(r.get(5, TimeUnit.SECONDS).status()).isEqualTo(SendStatus.ACCEPTED);
            }
        }
        client.socket.abort();
    }

    @Test
    void shouldBeRetryableWhenTheClientDoesNotAck() throws Exception {
        Client client = Client.connect(server.port(), "u2");
        awaitOpen(1);
        awaitRegistered("u2");
        SendResult r = sender.send(request("u2", "n2")).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).as("%s", r).isEqualTo(SendStatus.RETRYABLE);
        assertThat(r.reason()).isEqualTo(LiveSender.ACK_TIMEOUT);
        assertThat(client.messages.poll(1, TimeUnit.SECONDS)).isNotNull();
        client.socket.abort();
    }

    @Test
    void shouldBeNotConnectedForAUserWithoutAConnection() throws Exception {
        SendResult r = sender.send(request("nobody", "n3")).get(5, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(r.reason()).isEqualTo(LiveSender.NOT_CONNECTED);
    }

    private void awaitOpen(long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.openConnections() != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.openConnections()).isEqualTo(n);
    }

    /**
     * Waits until the registry lists a connection of {@code userId}: the server registers it in
     * Redis asynchronously, just after the connection opened.
     */
    private static void awaitRegistered(String userId) throws Exception {
        RedisURI uri = RedisURI.create(REDIS.redis().uriWithoutPassword());
        uri.setPassword(REDIS.redis().password().toCharArray());
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (c.sync().zcard(LiveRegistryKeys.connections(userId)) == 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(c.sync().zcard(LiveRegistryKeys.connections(userId)))
                    .as("registered connections of %s", userId)
                    .isPositive();
        } finally {
            client.shutdown();
        }
    }

    static SendRequest request(String userId, String notificationId) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("e-" + notificationId)
                .userId(userId)
                .type("order.shipped")
                .category("order")
                .channel(Channel.LIVE)
                .provider(Provider.LIVE)
                .data(Map.of("orderId", "123"))
                .content(new Content("Shipped", "Your order shipped", null, null, null))
                .build();
    }

    /** A WebSocket client on the JDK's java.net.http.WebSocket. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        static Client connect(int port, String userId) throws Exception {
            Client c = new Client();
            String token =
                    new LiveTokens(SECRET.getBytes(StandardCharsets.UTF_8))
                            .mint(userId, Duration.ofMinutes(5));
            c.socket =
                    HttpClient.newHttpClient()
                            .newWebSocketBuilder()
                            .header("Authorization", "Bearer " + token)
                            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/live/ws"), c)
                            .get(5, TimeUnit.SECONDS);
            return c;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        void ack(String notificationId) {
            socket.sendText("{\"notificationId\":\"" + notificationId + "\"}", true).join();
        }
    }
}
