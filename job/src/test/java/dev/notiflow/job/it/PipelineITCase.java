package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.Gateways;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The whole job on a MiniCluster against a real KRaft broker, with RocksDB and exactly-once
 * checkpoints; outputs are read with {@code read_committed} until they stay unchanged, and compared
 * whole. Providers are the recording stand-in. A test that injects no failure also checks that the
 * job never restarted.
 */
class PipelineITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;

    private LocalKafka kafka;
    private JobClient job;

    @BeforeEach
    void setUp() {
        kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        FailOnceAfter.reset();
    }

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(job);
    }

    @Test
    void shouldWriteExactlyTheExpectedDeliveriesAndDeadLetters() throws Exception {
        kafka.produce(
                "user-preferences",
                "u1",
                "{\"userId\":\"u1\",\"email\":\"u1@example.com\",\"phone\":\"+14155552671\"}");
        kafka.produce(
                "user-preferences",
                "u2",
                "{\"userId\":\"u2\",\"email\":\"u2@example.com\",\"channels\":{\"push\":true,\"email\":false}}");
        kafka.produce(
                "user-preferences", "gone", "{\"userId\":\"gone\",\"email\":\"gone@example.com\"}");
        kafka.produce("user-preferences", "gone", (String) null);
        kafka.produce(
                "device-tokens",
                "u1:ios-1",
                "{\"userId\":\"u1\",\"token\":\"ios-1\",\"platform\":\"ios\"}");
        kafka.produce(
                "device-tokens",
                "u1:fcm:and-1",
                "{\"userId\":\"u1\",\"token\":\"fcm:and-1\",\"platform\":\"android\"}");
        kafka.produce(
                "device-tokens",
                "u1:dead-1",
                "{\"userId\":\"u1\",\"token\":\"dead-1\",\"platform\":\"ios\"}");
        startJob(null);
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences", "device-tokens");

        kafka.produce(
                "notification-events",
                "e1",
                "{\"eventId\":\"e1\",\"type\":\"order.shipped\",\"userIds\":[\"u1\",\"u2\"],\"channels\":[\"push\",\"email\"]}");
        kafka.produce(
                "notification-events",
                "e1",
                "{\"eventId\":\"e1\",\"type\":\"order.shipped\",\"userIds\":[\"u1\",\"u2\"],\"channels\":[\"push\",\"email\"]}");
        kafka.produce(
                "notification-events",
                "e2",
                "{\"eventId\":\"e2\",\"type\":\"order.shipped\",\"userIds\":[\"nobody\", \"gone\"],\"channels\":[\"email\"]}");
        kafka.produce("notification-events", "bad1", "{\"eventId\": \"bad1\", ");
        kafka.produce(
                "notification-events", "bad2", "{\"type\":\"order.shipped\",\"userIds\":[\"u1\"]}");
        kafka.produce(
                "notification-events",
                "bad3",
                "{\"eventId\":\"bad3\",\"type\":\"x\",\"userIds\":[\"u1\"],\"channels\":[\"fax\"]}");
        kafka.produce(
                "notification-events",
                "bad4",
                new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka, "notification-deliveries", 9, Duration.ofSeconds(60)));
        List<JsonNode> dlq =
                values(TestJobs.readAll(kafka, "notification-dlq", 5, Duration.ofSeconds(30)));

        assertThat(deliveries)
                .extracting(
                        d -> text(d, "eventId"),
                        d -> text(d, "userId"),
                        d -> text(d, "channel"),
                        d -> text(d, "provider"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("e1", "u1", "push", "apns", "SENT", null),
                        tuple("e1", "u1", "push", "fcm", "SENT", null),
                        tuple("e1", "u1", "push", "apns", "FAILED", "TOKEN_UNREGISTERED"),
                        tuple("e1", "u1", "email", "smtp", "SENT", null),
                        tuple("e1", "u2", "push", null, "SKIPPED", "NO_DEVICE"),
                        tuple("e1", "u2", "email", "smtp", "SKIPPED", "OPTED_OUT"),
                        tuple("e1", null, null, null, "SKIPPED", "DUPLICATE_EVENT"),
                        tuple("e2", "nobody", null, null, "SKIPPED", "NO_PROFILE"),
                        tuple("e2", "gone", null, null, "SKIPPED", "NO_PROFILE"));
        assertThat(deliveries).extracting(d -> text(d, "notificationId")).doesNotHaveDuplicates();

        assertThat(dlq)
                .extracting(d -> text(d, "kind"), d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("INPUT", "MALFORMED_JSON"),
                        tuple("INPUT", "MISSING_FIELD"),
                        tuple("INPUT", "UNKNOWN_CHANNEL"),
                        tuple("INPUT", "INVALID_ENCODING"),
                        tuple("SEND", "TOKEN_UNREGISTERED"));
        JsonNode malformed =
                dlq.stream()
                        .filter(d -> "MALFORMED_JSON".equals(text(d, "reason")))
                        .findFirst()
                        .orElseThrow();
        assertThat(text(malformed, "payload")).isEqualTo("{\"eventId\": \"bad1\", ");
        assertThat(text(malformed, "sourceTopic")).isEqualTo("notification-events");

        List<JsonNode> invalidations =
                values(
                        TestJobs.readAll(
                                kafka, "device-token-invalidations", 1, Duration.ofSeconds(30)));
        assertThat(invalidations)
                .extracting(d -> text(d, "token"), d -> text(d, "reason"))
                .containsExactly(tuple("dead-1", "TOKEN_UNREGISTERED"));

        // The job reads its invalidations back: a later event no longer tries the dead token.
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "device-token-invalidations");
        kafka.produce(
                "notification-events",
                "e3",
                "{\"eventId\":\"e3\",\"type\":\"order.shipped\",\"userIds\":[\"u1\"],\"channels\":[\"push\"]}");
        List<JsonNode> after =
                values(
                        TestJobs.readAll(
                                kafka, "notification-deliveries", 11, Duration.ofSeconds(60)));
        assertThat(after).hasSize(11);
        assertThat(after)
                .filteredOn(d -> "e3".equals(text(d, "eventId")))
                .extracting(d -> text(d, "provider"), d -> text(d, "status"))
                .containsExactlyInAnyOrder(tuple("apns", "SENT"), tuple("fcm", "SENT"));
        assertThat(after).extracting(d -> text(d, "notificationId")).doesNotHaveDuplicates();
        assertThat(values(kafka.readAllCommitted("notification-dlq", TestJobs.QUIET))).hasSize(5);
        assertThat(values(kafka.readAllCommitted("device-token-invalidations", TestJobs.QUIET)))
                .hasSize(1);
        // e1 to u1: two iOS devices and an Android one, and an email; e3: the two live devices.
        assertThat(SendLog.providerSends()).isEqualTo(6);
        assertThat(SendLog.repeatedProviderSends()).isZero();
        TestJobs.assertNoRestarts(METRICS, job);
    }

    @Test
    void shouldKeepOneRecordPerNotificationWhenTheJobFailsThreeTimesMidStream() throws Exception {
        int users = 20;
        loadEmailUsers(users);
        startJob(FailOnceAfter.whileSending(50, 3));
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");
        int expected = users * TestJobs.produceEmailEventsUntilFailed(kafka, users, 10, 3);

        assertExactlyOnce(expected);
        assertThat(FailOnceAfter.FAILURES).hasValue(3);
        assertThat(TestJobs.numRestarts(METRICS, job)).isEqualTo(3);
        assertRepeatsWithinTheCrashWindows(3);
        // Each crash fell after an answered send of an event the job replays.
        assertThat(SendLog.repeatedProviderSends()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void shouldLoseNothingWhenTheBrokerRestartsMidStream() throws Exception {
        int users = 20;
        loadEmailUsers(users);
        startJob(FailOnceAfter.never());
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");
        TestJobs.produceEmailEvents(kafka, users, 0, 3);
        kafka.readCommitted("notification-deliveries", users, Duration.ofSeconds(60));

        kafka.restartBroker();
        TestJobs.produceEmailEvents(kafka, users, 3, 6);

        assertExactlyOnce(users * 6);
        long restarts = TestJobs.numRestarts(METRICS, job);
        System.out.printf("restarts while the broker restarted: %d%n", restarts);
        assertRepeatsWithinTheCrashWindows((int) restarts);
    }

    private void loadEmailUsers(int users) {
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "user-preferences",
                    "u" + u,
                    "{\"userId\":\"u" + u + "\",\"email\":\"u" + u + "@example.com\"}");
        }
    }

    /** Every notification has exactly one SENT record, and every one of them was sent. */
    private void assertExactlyOnce(int expected) {
        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka,
                                "notification-deliveries",
                                expected,
                                Duration.ofSeconds(180)));

        assertThat(deliveries).hasSize(expected);
        assertThat(deliveries).extracting(d -> text(d, "status")).containsOnly("SENT");
        List<String> ids = deliveries.stream().map(d -> text(d, "notificationId")).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(RecordingSenders.SENDS.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    }

    /**
     * Without the ledger a crash may repeat the provider sends made after the barrier of the
     * checkpoint the job restored (one checkpoint interval plus the failover), and any send whose
     * answer had not come back: measured per crash, and the repeats must stay within their sum.
     */
    private void assertRepeatsWithinTheCrashWindows(int restarts) {
        List<SendLog.Crash> crashes = SendLog.crashes();
        crashes.forEach(c -> System.out.println("crash: " + c));
        assertThat(crashes).hasSize(restarts);
        int window = crashes.stream().mapToInt(SendLog.Crash::replayable).sum();
        int repeated = SendLog.repeatedProviderSends();
        System.out.printf(
                "provider sends: %d (%d repeated after %d crashes; sent after the restored"
                        + " checkpoint or unanswered at the crashes: %d)%n",
                SendLog.providerSends(), repeated, restarts, window);
        assertThat(repeated).isLessThanOrEqualTo(window);
    }

    @Test
    void shouldFallBackToSmsWhenThePushTokenIsDead() throws Exception {
        kafka.produce(
                "user-preferences",
                "f1",
                "{\"userId\":\"f1\",\"phone\":\"+14155552671\",\"channels\":{\"push\":true,\"sms\":true}}");
        kafka.produce(
                "device-tokens",
                "f1:dead-f1",
                "{\"userId\":\"f1\",\"token\":\"dead-f1\",\"platform\":\"android\"}");
        kafka.produce(
                "device-tokens",
                "f1:dead-f2",
                "{\"userId\":\"f1\",\"token\":\"dead-f2\",\"platform\":\"ios\"}");
        startJob(null, Map.of("fallback.chains", "order:push>sms>email"));
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences", "device-tokens");

        kafka.produce(
                "notification-events",
                "fb-1",
                "{\"eventId\":\"fb-1\",\"type\":\"order.shipped\",\"userIds\":[\"f1\"],\"channels\":[\"push\"]}");

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka, "notification-deliveries", 3, Duration.ofSeconds(90)));
        assertThat(deliveries)
                .extracting(d -> text(d, "channel"), d -> text(d, "status"), d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("push", "FAILED", "TOKEN_UNREGISTERED"),
                        tuple("push", "FAILED", "TOKEN_UNREGISTERED"),
                        tuple("sms", "SENT", null));
        JsonNode sms =
                deliveries.stream()
                        .filter(d -> "sms".equals(text(d, "channel")))
                        .findFirst()
                        .orElseThrow();
        List<String> failedPushIds =
                deliveries.stream()
                        .filter(d -> "push".equals(text(d, "channel")))
                        .map(d -> text(d, "notificationId"))
                        .toList();
        assertThat(text(sms, "detail")).startsWith("fallback for ");
        assertThat(text(sms, "detail").substring("fallback for ".length())).isIn(failedPushIds);
        assertThat(RecordingSenders.SENDS.get(text(sms, "notificationId")))
                .as("one SMS for two failed devices")
                .hasValue(1);
        assertThat(SendLog.providerSends()).isEqualTo(3);
        assertThat(SendLog.repeatedProviderSends()).isZero();
        TestJobs.assertNoRestarts(METRICS, job);
    }

    private void startJob(FailOnceAfter failure) throws Exception {
        startJob(failure, Map.of());
    }

    private void startJob(FailOnceAfter failure, Map<String, String> extra) throws Exception {
        Configuration config =
                TestJobs.config(kafka.bootstrapServers(), checkpoints, "it-" + System.nanoTime());
        extra.forEach(config::setString);
        job =
                TestJobs.define(config, Gateways.of(RecordingSenders.all()), failure)
                        .executeAsync("pipeline-it");
    }

    private static List<JsonNode> values(List<ConsumerRecord<String, String>> records) {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
            out.add(
                    Json.fromBytes(
                            r.value().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            JsonNode.class));
        }
        return out;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
