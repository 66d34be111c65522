package dev.notiflow.client;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.Platform;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.EngagementParser;
import dev.notiflow.serde.EventParser;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Kafka transport against a real broker: what lands on which topic under which key, read
 * committed as the job reads, and a batch that fails at the broker leaves nothing behind.
 */
class KafkaNotiflowClientITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    /** The events topic of the all-or-nothing test: the broker refuses values above 2000 bytes. */
    private static final String SMALL_EVENTS = "small-events";

    private static final Duration QUIET = Duration.ofSeconds(2);

    private static KafkaNotiflowClient client;

    @BeforeAll
    static void start() throws Exception {
        LocalKafka kafka = KAFKA.kafka();
        for (String t :
                List.of(
                        "notification-events",
                        "user-preferences",
                        "device-tokens",
                        "notification-templates",
                        "notification-engagement")) {
            kafka.createTopic(t, t.equals("notification-events") ? 2 : 1, false);
        }
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            admin.createTopics(
                            List.of(
                                    new NewTopic(SMALL_EVENTS, 3, (short) 1)
                                            .configs(
                                                    Map.of(
                                                            TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                                            "2000"))))
                    .all()
                    .get();
        }
        client =
                NotiflowClient.kafka(kafka.bootstrapServers())
                        .transactionalIdPrefix("client-it")
                        .build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
    }

    @Test
    void shouldWriteABatchOfEventsKeyedByEventIdInOneTransaction() throws Exception {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            events.add(
                    Event.builder("order.shipped")
                            .eventId("batch-" + i)
                            .userIds("u" + i)
                            .channels(Channel.PUSH)
                            .data("orderId", i)
                            .build());
        }

        SendResult result = client.sendBatch(events).join();

        assertThat(result.allAccepted()).isTrue();
        assertThat(result.items())
                .extracting(SendResult.Item::eventId)
                .containsExactly("batch-0", "batch-1", "batch-2");
        List<ConsumerRecord<String, String>> written =
                KAFKA.kafka().readCommitted("notification-events", 3, Duration.ofSeconds(20));
        assertThat(written)
                .extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("batch-0", "batch-1", "batch-2");
        for (ConsumerRecord<String, String> r : written) {
            // the job's parser reads what the client wrote
            assertThat(
                            EventParser.parse(
                                            new RawRecord(
                                                    r.topic(),
                                                    r.partition(),
                                                    r.offset(),
                                                    r.timestamp(),
                                                    r.key().getBytes(StandardCharsets.UTF_8),
                                                    r.value().getBytes(StandardCharsets.UTF_8)),
                                            64 * 1024)
                                    .eventId())
                    .isEqualTo(r.key());
        }
    }

    @Test
    void shouldWriteNothingOfABatchWhenOneRecordFailsAtTheBroker() {
        KafkaNotiflowClient small =
                NotiflowClient.kafka(KAFKA.bootstrapServers())
                        .transactionalIdPrefix("client-it-small")
                        .topic("notification-events", SMALL_EVENTS)
                        .build();
        try (small) {
            List<Event> batch =
                    List.of(
                            event("fits-1", 10),
                            event("fits-2", 10),
                            // valid for the contract (64 KiB), too large for this topic
                            event("too-large", 5000));

            assertThatThrownBy(() -> small.sendBatch(batch).join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(NotiflowException.class)
                    .hasMessageContaining("nothing was written");
            assertThat(KAFKA.kafka().readAllCommitted(SMALL_EVENTS, QUIET))
                    .as("a failed batch is invisible to a read-committed consumer")
                    .isEmpty();

            // the client goes on after an aborted transaction
            small.sendBatch(List.of(event("after-1", 10), event("after-2", 10))).join();
            assertThat(KAFKA.kafka().readCommitted(SMALL_EVENTS, 2, Duration.ofSeconds(20)))
                    .extracting(ConsumerRecord::key)
                    .containsExactlyInAnyOrder("after-1", "after-2");
        }
    }

    @Test
    void shouldWriteUsersDevicesTemplatesAndEngagementWithTheContractsKeys() throws Exception {
        String user = "user-" + UUID.randomUUID();
        client.putPreferences(Preferences.builder(user).email("a@example.com").build()).join();
        client.putDevice(Device.builder(user, "tok:1", Platform.IOS).build()).join();
        client.deleteDevice(user, "tok:1").join();
        client.deleteUser(user, List.of("tok:2")).join();
        client.putTemplate(Template.builder("welcome", "en").title("Hi").body("Hello").build())
                .join();
        client.deleteTemplate("welcome", "en").join();
        Instant at = Instant.parse("2026-11-22T00:00:05Z");
        client.reportEngagement("n-1", Engagement.Event.OPENED, at).join();

        assertThat(keysAndValues("user-preferences", user))
                .containsExactly(user + " value", user + " tombstone");
        assertThat(keysAndValues("device-tokens", user))
                .containsExactly(
                        user + ":tok:1 value",
                        user + ":tok:1 tombstone",
                        user + ":tok:2 tombstone");
        assertThat(keysAndValues("notification-templates", "welcome"))
                .containsExactly("welcome:en value", "welcome:en tombstone");
        List<ConsumerRecord<String, String>> engagement =
                KAFKA.kafka().readCommitted("notification-engagement", 1, Duration.ofSeconds(20));
        assertThat(engagement).hasSize(1);
        ConsumerRecord<String, String> r = engagement.get(0);
        assertThat(r.key()).isEqualTo("n-1");
        Engagement e =
                EngagementParser.parse(
                        new RawRecord(
                                r.topic(),
                                0,
                                0,
                                0,
                                r.key().getBytes(StandardCharsets.UTF_8),
                                r.value().getBytes(StandardCharsets.UTF_8)),
                        64 * 1024);
        assertThat(e.event()).isEqualTo(Engagement.Event.OPENED);
        assertThat(e.at()).isEqualTo(at);
        assertThat(e.source()).isEqualTo("client");
    }

    @Test
    void shouldFailAnInvalidRequestBeforeSendingIt() {
        assertThatThrownBy(() -> client.deleteDevice("u\u0000", "t").join())
                .cause()
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("INVALID_FIELD");
    }

    private static Event event(String id, int dataChars) {
        return Event.builder("order.shipped")
                .eventId(id)
                .userIds("u1")
                .data("pad", "x".repeat(dataChars))
                .build();
    }

    /** "key value|tombstone" of the committed records whose key starts with {@code prefix}. */
    private static List<String> keysAndValues(String topic, String prefix) {
        List<String> out = new ArrayList<>();
        List<ConsumerRecord<String, String>> all = KAFKA.kafka().readAllCommitted(topic, QUIET);
        all.sort(
                (a, b) ->
                        a.partition() != b.partition()
                                ? Integer.compare(a.partition(), b.partition())
                                : Long.compare(a.offset(), b.offset()));
        for (ConsumerRecord<String, String> r : all) {
            if (r.key().startsWith(prefix)) {
                out.add(r.key() + (r.value() == null ? " tombstone" : " value"));
            }
        }
        return out;
    }
}
