package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.client.Device;
import dev.notiflow.client.Event;
import dev.notiflow.client.HttpNotiflowClient;
import dev.notiflow.client.NotiflowClient;
import dev.notiflow.client.NotiflowException;
import dev.notiflow.client.Preferences;
import dev.notiflow.client.RetryPolicy;
import dev.notiflow.client.SendResult;
import dev.notiflow.client.Template;
import dev.notiflow.gateway.ApiKeys;
import dev.notiflow.gateway.Gateway;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.Platform;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client library's HTTP transport against the real gateway, started in-process on a real broker
 * and PostgreSQL, as a service would use it: what reaches the topics under which keys, an
 * idempotent repeat, the 422 of a reused key, a wrong API key, and a 429 of the gateway's rate
 * limit waited out through {@code Retry-After}. It lives beside the gateway's other users in the
 * sandbox, so that the client module never depends on the gateway (the gateway may use the client).
 */
class ClientOverGatewayITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final String KEY = "client-it-key-0123456789";
    private static final String TOPIC_EVENTS = "cl-events";
    private static final Duration READ = Duration.ofSeconds(20);

    private static final List<Gateway> GATEWAYS = new ArrayList<>();

    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        KAFKA.kafka().createTopic(TOPIC_EVENTS, 2, false);
        for (String t : List.of("cl-preferences", "cl-devices", "cl-templates", "cl-engagement")) {
            KAFKA.kafka().createTopic(t, 1, !t.equals("cl-engagement"));
        }
        gateway = gateway("10000/s");
    }

    @AfterAll
    static void stop() {
        GATEWAYS.forEach(Gateway::close);
    }

    private static Gateway gateway(String rateLimit) throws Exception {
        Map<String, String> c = new HashMap<>(PG.jdbcOptions());
        c.put("kafka.bootstrap-servers", KAFKA.bootstrapServers());
        c.put("gateway.port", "0");
        c.put("gateway.host", "127.0.0.1");
        c.put("gateway.instance-id", "client-it-" + System.nanoTime());
        c.put("gateway.transactional-id-prefix", "client-it-" + System.nanoTime());
        c.put("gateway.rate-limit", rateLimit);
        c.put("topics.events", TOPIC_EVENTS);
        c.put("topics.preferences", "cl-preferences");
        c.put("topics.devices", "cl-devices");
        c.put("topics.templates", "cl-templates");
        c.put("topics.engagement", "cl-engagement");
        Gateway g =
                new Gateway(c, ApiKeys.parse(ApiKeys.line(KEY, "send,manage,read", "it"), "test"))
                        .start();
        GATEWAYS.add(g);
        return g;
    }

    private static HttpNotiflowClient client(Gateway g, String key, RetryPolicy retry) {
        return NotiflowClient.http(URI.create("http://127.0.0.1:" + g.port()))
                .apiKey(key)
                .retryPolicy(retry)
                .build();
    }

    private static Event event(String id, String user) {
        return Event.builder("order.shipped").eventId(id).userIds(user).build();
    }

    private static List<String> keys(String topic, int expected) {
        return KAFKA.kafka().readCommitted(topic, expected, READ).stream()
                .map(ConsumerRecord::key)
                .toList();
    }

    @Test
    void shouldEnqueueABatchAndAnswerARepeatWithoutEnqueueingAgain() {
        try (HttpNotiflowClient client = client(gateway, KEY, RetryPolicy.DEFAULT)) {
            SendResult batch =
                    client.sendBatch(List.of(event("b-1", "u1"), event("b-2", "u2"))).join();
            Event single = event("s-1", "u3");
            SendResult first = client.send(single).join();
            SendResult repeat = client.send(single).join();

            assertThat(batch.items())
                    .containsExactly(
                            new SendResult.Item(0, "b-1", true, null, null),
                            new SendResult.Item(1, "b-2", true, null, null));
            assertThat(first.allAccepted()).isTrue();
            assertThat(repeat).isEqualTo(first);
            assertThat(KAFKA.kafka().readAllCommitted(TOPIC_EVENTS, Duration.ofSeconds(2)))
                    .extracting(ConsumerRecord::key)
                    .filteredOn(k -> k.startsWith("b-") || k.startsWith("s-"))
                    .containsExactlyInAnyOrder("b-1", "b-2", "s-1");

            // the same eventId (the idempotency key) with another body
            assertThatThrownBy(() -> client.send(event("s-1", "someone-else")).join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOfSatisfying(
                            NotiflowException.class, e -> assertThat(e.status()).isEqualTo(422));

            JsonNode status = client.eventStatus("s-1").join();
            assertThat(status.path("eventId").asText()).isEqualTo("s-1");
            assertThat(status.path("notifications").isArray()).isTrue();
        }
    }

    @Test
    void shouldWriteUsersDevicesTemplatesAndEngagementThroughTheGateway() {
        try (HttpNotiflowClient client = client(gateway, KEY, RetryPolicy.DEFAULT)) {
            client.putPreferences(Preferences.builder("m1").email("m1@example.com").build()).join();
            client.putDevice(Device.builder("m1", "tok:9 a", Platform.ANDROID).build()).join();
            client.deleteDevice("m1", "tok:9 a").join();
            client.putTemplate(Template.builder("welcome", "en").body("Hi").build()).join();
            client.deleteTemplate("welcome", "en").join();
            client.reportEngagement(
                            "n-77", Engagement.Event.CLICKED, Instant.parse("2026-11-22T00:00:00Z"))
                    .join();

            assertThat(keys("cl-preferences", 1)).containsExactly("m1");
            assertThat(keys("cl-devices", 2)).containsExactly("m1:tok:9 a", "m1:tok:9 a");
            assertThat(keys("cl-templates", 2)).containsExactly("welcome:en", "welcome:en");
            List<ConsumerRecord<String, String>> engagement =
                    KAFKA.kafka().readCommitted("cl-engagement", 1, READ);
            assertThat(engagement).extracting(ConsumerRecord::key).containsExactly("n-77");
            assertThat(engagement.get(0).value())
                    .contains("\"event\":\"clicked\"")
                    .contains("\"at\":\"2026-11-22T00:00:00Z\"");
        }
    }

    @Test
    void shouldFailOnAWrongKeyAndWaitOutTheRateLimit() throws Exception {
        try (HttpNotiflowClient wrong = client(gateway, "not-a-key", RetryPolicy.DEFAULT)) {
            assertThatThrownBy(() -> wrong.send(event("w-1", "u1")).join())
                    .cause()
                    .isInstanceOfSatisfying(
                            NotiflowException.class, e -> assertThat(e.status()).isEqualTo(401));
        }

        Gateway limited = gateway("1/s");
        RetryPolicy patient =
                new RetryPolicy(
                        5, Duration.ofSeconds(15), Duration.ofMillis(100), Duration.ofSeconds(2));
        try (HttpNotiflowClient client = client(limited, KEY, patient);
                HttpNotiflowClient impatient = client(limited, KEY, RetryPolicy.NONE)) {
            client.send(event("r-1", "u1")).join();
            // a second request within the second is answered 429: without retries it fails ...
            assertThatThrownBy(() -> impatient.send(event("r-2", "u1")).join())
                    .cause()
                    .isInstanceOfSatisfying(
                            NotiflowException.class, e -> assertThat(e.status()).isEqualTo(429));
            // ... and with them it waits as Retry-After says, then goes through
            SendResult r = client.send(event("r-3", "u1")).join();
            assertThat(r.allAccepted()).isTrue();
        }
        assertThat(KAFKA.kafka().readAllCommitted(TOPIC_EVENTS, Duration.ofSeconds(2)))
                .extracting(ConsumerRecord::key)
                .filteredOn(k -> k.startsWith("r-") || k.startsWith("w-"))
                .containsExactlyInAnyOrder("r-1", "r-3");
    }
}
