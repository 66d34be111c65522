package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.live.LiveTokens;
import dev.notiflow.model.Channel;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Provider;
import dev.notiflow.push.PushServer;
import dev.notiflow.push.PushServerConfig;
import dev.notiflow.serde.Json;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.live.LiveOptions;
import dev.notiflow.sinks.live.LiveSenderFactory;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.apns.MockApnsProvider;
import dev.notiflow.testkit.providers.fcm.MockFcmProvider;
import dev.notiflow.testkit.redis.RedisExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The live channel end to end: the whole job on a MiniCluster with a real Kafka broker, its real
 * live sender, a real push server and Redis, and a real WebSocket client that acks; for the live →
 * push fallback, the real APNs and FCM senders against the local APNs and FCM servers. SMS and
 * email are the recording stand-in.
 */
class LiveChannelITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension static final RedisExtension REDIS = new RedisExtension();

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;

    static final String SECRET = "a-test-secret-of-more-than-32-bytes!!";

    /** u3's devices: one iPhone and two Android phones, one of which FCM no longer knows. */
    static final String IOS_TOKEN = "a1b2c3d4e5f60718";

    static final String ANDROID_TOKEN = "fcm-token-1";
    static final String DEAD_TOKEN = "fcm-token-dead";

    private LocalKafka kafka;
    private PushServer server;
    private JobClient job;
    private WebSocket socket;
    private MockApnsProvider apns;
    private MockFcmProvider fcm;

    @BeforeEach
    void setUp() throws Exception {
        kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        Map<String, String> m = new HashMap<>();
        m.put("live.host", "127.0.0.1");
        m.put("live.port", "0");
        m.put("live.internal-host", "127.0.0.1");
        m.put("live.internal-port", "0");
        m.put("live.advertised-url", "http://127.0.0.1:0");
        m.put("live.secret", SECRET);
        m.put("live.redis-uri", REDIS.redis().uriWithoutPassword());
        m.put("live.redis-password-file", REDIS.redis().passwordFile().toString());
        m.put("live.heartbeat-interval", "500 ms");
        m.put("live.registry-ttl", "3 s");
        m.put("live.event-loop-threads", "1");
        server = PushServer.start(PushServerConfig.fromMap(m, Map.of()));
        ProviderScript script =
                ProviderScript.parse(
                        "{\"fcm\": {\""
                                + DEAD_TOKEN
                                + "\": {\"status\": 404, \"errorCode\": \"UNREGISTERED\"}}}");
        apns = MockApnsProvider.start(script);
        fcm = MockFcmProvider.start(script);
    }

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(job);
        if (socket != null) {
            socket.abort();
        }
        server.close();
        apns.close();
        fcm.close();
    }

    @Test
    void shouldDeliverToTheConnectedClientRetryWithoutAnAckAndFallBackWhenNotConnected()
            throws Exception {
        // u3 is never connected; its category's chain is live>push>email.
        kafka.produce(
                "user-preferences",
                "u1",
                "{\"userId\":\"u1\",\"email\":\"u1@example.com\",\"channels\":{\"live\":true}}");
        kafka.produce(
                "user-preferences",
                "u2",
                "{\"userId\":\"u2\",\"email\":\"u2@example.com\",\"channels\":{\"live\":true}}");
        kafka.produce(
                "user-preferences",
                "u3",
                "{\"userId\":\"u3\",\"email\":\"u3@example.com\",\"channels\":{\"live\":true}}");
        for (String[] d :
                new String[][] {
                    {IOS_TOKEN, "ios"}, {ANDROID_TOKEN, "android"}, {DEAD_TOKEN, "android"}
                }) {
            kafka.produce(
                    "device-tokens",
                    "u3:" + d[0],
                    "{\"userId\":\"u3\",\"token\":\""
                            + d[0]
                            + "\",\"platform\":\""
                            + d[1]
                            + "\",\"appId\":\""
                            + MockApnsProvider.DEFAULT_TOPIC
                            + "\"}");
        }
        List<JsonNode> received = new CopyOnWriteArrayList<>();
        socket = connect("u1", received);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.openConnections() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        Configuration config =
                TestJobs.config(kafka.bootstrapServers(), checkpoints, "it-" + System.nanoTime());
        config.setString("fallback.chains", "alert:live>push>email,*:live>email");
        config.set(LiveOptions.REDIS_URI, REDIS.redis().uriWithoutPassword());
        config.set(LiveOptions.REDIS_PASSWORD_FILE, REDIS.redis().passwordFile().toString());
        config.set(LiveOptions.ACK_TIMEOUT, Duration.ofSeconds(1));
        config.setString("retry.live.initial-backoff", "200 ms");
        apns.senderConfig().forEach(config::setString);
        fcm.senderConfig().forEach(config::setString);
        Gateways real = ProviderGateways.fromConfig(config);
        Map<Provider, SenderFactory> factories = new EnumMap<>(RecordingSenders.all());
        factories.put(Provider.LIVE, new LiveSenderFactory(LiveOptions.fromConfig(config)));
        factories.put(Provider.APNS, real.factory(Provider.APNS));
        factories.put(Provider.FCM, real.factory(Provider.FCM));
        job = TestJobs.define(config, Gateways.of(factories), null).executeAsync("live-it");
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences", "device-tokens");

        kafka.produce(
                "notification-events",
                "e1",
                "{\"eventId\":\"e1\",\"type\":\"chat.message\",\"userIds\":[\"u1\"],"
                        + "\"data\":{\"title\":\"Hi\",\"body\":\"there\"}}");
        kafka.produce(
                "notification-events",
                "e2",
                "{\"eventId\":\"e2\",\"type\":\"chat.message\",\"userIds\":[\"u1\"],"
                        + "\"data\":{\"title\":\"Unacked once\"}}");
        kafka.produce(
                "notification-events",
                "e3",
                "{\"eventId\":\"e3\",\"type\":\"chat.message\",\"userIds\":[\"u2\"]}");
        kafka.produce(
                "notification-events",
                "e4",
                "{\"eventId\":\"e4\",\"type\":\"security.alert\",\"category\":\"alert\","
                        + "\"userIds\":[\"u3\"],\"data\":{\"title\":\"New sign-in\"}}");

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka, "notification-deliveries", 9, Duration.ofSeconds(90)));
        assertThat(deliveries)
                .extracting(
                        d -> text(d, "eventId"),
                        d -> text(d, "userId"),
                        d -> text(d, "channel"),
                        d -> text(d, "provider"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"),
                        d -> d.path("attempts").asInt())
                .containsExactlyInAnyOrder(
                        tuple("e1", "u1", "live", "live", "SENT", null, 1),
                        tuple("e2", "u1", "live", "live", "SENT", null, 2),
                        tuple("e3", "u2", "live", "live", "SKIPPED", "NOT_CONNECTED", 1),
                        tuple("e3", "u2", "email", "smtp", "SENT", null, 1),
                        tuple("e4", "u3", "live", "live", "SKIPPED", "NOT_CONNECTED", 1),
                        tuple("e4", "u3", "push", "apns", "SENT", null, 1),
                        tuple("e4", "u3", "push", "fcm", "SENT", null, 1),
                        tuple("e4", "u3", "push", "fcm", "FAILED", "TOKEN_UNREGISTERED", 1),
                        tuple("e4", "u3", "email", "smtp", "SENT", null, 1));

        // Not connected, so one push per device, under the ids a push named by e4 would have; the
        // device FCM no longer knows falls back to email, the step after push.
        String liveId = NotificationIds.of("e4", "u3", Channel.LIVE, null);
        String deadId = NotificationIds.of("e4", "u3", Channel.PUSH, DEAD_TOKEN);
        assertThat(deliveries.stream().filter(d -> "e4".equals(text(d, "eventId"))))
                .extracting(
                        d -> text(d, "notificationId"),
                        d -> text(d, "device"),
                        // the provider's own words after "; " are not ours to pin down
                        d -> text(d, "detail").replaceFirst("; .*", ""))
                .containsExactlyInAnyOrder(
                        tuple(liveId, null, "no live connection"),
                        tuple(
                                NotificationIds.of("e4", "u3", Channel.PUSH, IOS_TOKEN),
                                NotificationIds.deviceRef(IOS_TOKEN),
                                "fallback for " + liveId),
                        tuple(
                                NotificationIds.of("e4", "u3", Channel.PUSH, ANDROID_TOKEN),
                                NotificationIds.deviceRef(ANDROID_TOKEN),
                                "fallback for " + liveId),
                        tuple(
                                deadId,
                                NotificationIds.deviceRef(DEAD_TOKEN),
                                "fallback for " + liveId),
                        tuple(
                                NotificationIds.of("e4", "u3", Channel.EMAIL, null),
                                null,
                                "fallback for " + deadId));
        assertThat(apns.received()).extracting(ReceivedCall::recipient).containsExactly(IOS_TOKEN);
        assertThat(fcm.received())
                .extracting(ReceivedCall::recipient)
                .containsExactlyInAnyOrder(ANDROID_TOKEN, DEAD_TOKEN);
        assertThat(apns.receivedNotifications().get(0).payload()).contains("New sign-in");

        // The client got e1 once, and e2 twice (it left the first unacked) at the same position.
        assertThat(received)
                .extracting(j -> text(j, "eventId"))
                .containsExactlyInAnyOrder("e1", "e2", "e2");
        JsonNode e1 =
                received.stream()
                        .filter(j -> "e1".equals(text(j, "eventId")))
                        .findFirst()
                        .orElseThrow();
        assertThat(text(e1, "title")).isEqualTo("Hi");
        assertThat(text(e1, "body")).isEqualTo("there");
        assertThat(
                        received.stream()
                                .filter(j -> "e2".equals(text(j, "eventId")))
                                .map(j -> text(j, "position"))
                                .distinct())
                .hasSize(1);
        assertThat(values(TestJobs.readAll(kafka, "notification-dlq", 1, Duration.ofSeconds(10))))
                .as("not connected is no failure; the push to the dead token is")
                .extracting(d -> text(d, "notificationId"))
                .containsExactly(deadId);
        TestJobs.assertNoRestarts(METRICS, job);
    }

    /** A WebSocket client that acks every message except the first arrival of event e2. */
    private WebSocket connect(String userId, List<JsonNode> received) throws Exception {
        String token =
                new LiveTokens(SECRET.getBytes(StandardCharsets.UTF_8))
                        .mint(userId, Duration.ofMinutes(5));
        WebSocket.Listener listener =
                new WebSocket.Listener() {
                    final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(
                            WebSocket ws, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            JsonNode msg =
                                    Json.fromBytes(
                                            partial.toString().getBytes(StandardCharsets.UTF_8),
                                            JsonNode.class);
                            partial.setLength(0);
                            if ("notification".equals(text(msg, "type"))) {
                                received.add(msg);
                                boolean firstE2 =
                                        "e2".equals(text(msg, "eventId"))
                                                && received.stream()
                                                                .filter(
                                                                        j ->
                                                                                "e2"
                                                                                        .equals(
                                                                                                text(
                                                                                                        j,
                                                                                                        "eventId")))
                                                                .count()
                                                        == 1;
                                if (!firstE2) {
                                    ws.sendText(
                                            "{\"notificationId\":\""
                                                    + text(msg, "notificationId")
                                                    + "\"}",
                                            true);
                                }
                            }
                        }
                        ws.request(1);
                        return null;
                    }
                };
        return HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/live/ws"), listener)
                .get(5, TimeUnit.SECONDS);
    }

    private static List<JsonNode> values(List<ConsumerRecord<String, String>> records) {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
            out.add(Json.fromBytes(r.value().getBytes(StandardCharsets.UTF_8), JsonNode.class));
        }
        return out;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
