package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
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

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An audience event on the whole job (MiniCluster, real broker, RocksDB, exactly-once), with the
 * walk slowed down so that it spans several checkpoints, and one crash in the middle of it: every
 * notification the audience implies (user × channel, × device for push) ends in exactly one final
 * record, and users outside the audience in none.
 */
class AudienceITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;

    private static final int USERS = 300;

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
    void aCrashInTheMiddleOfAWalkShouldLeaveOneFinalRecordPerNotification() throws Exception {
        List<String> expected = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            String user = "a" + u;
            boolean optedOut = u % 10 == 9;
            kafka.produce(
                    "user-preferences",
                    user,
                    "{\"userId\":\""
                            + user
                            + "\",\"email\":\""
                            + user
                            + "@example.com\""
                            + (optedOut ? ",\"categories\":{\"sale\":false}" : "")
                            + "}");
            List<String> tokens = new ArrayList<>();
            tokens.add(user + "-ios");
            if (u % 3 == 0) {
                tokens.add(user + "-android");
            }
            for (String token : tokens) {
                kafka.produce(
                        "device-tokens",
                        user + ":" + token,
                        "{\"userId\":\""
                                + user
                                + "\",\"token\":\""
                                + token
                                + "\",\"platform\":\""
                                + (token.endsWith("ios") ? "ios" : "android")
                                + "\"}");
            }
            if (!optedOut) {
                expected.add(user + " email");
                tokens.forEach(t -> expected.add(user + " push"));
            }
        }
        // A plain event to one user, which also trips the crash while the walk is under way.
        expected.add("a0 email");

        Configuration config =
                TestJobs.config(kafka.bootstrapServers(), checkpoints, "it-" + System.nanoTime());
        // 150 users per subtask, 10 per turn, a turn every 200 ms: a walk of about 3 s, six
        // checkpoint intervals.
        config.set(JobOptions.AUDIENCE_WALK_CHUNK, 10);
        config.set(JobOptions.AUDIENCE_WALK_PAUSE, Duration.ofMillis(200));
        job =
                TestJobs.define(
                                config,
                                Gateways.of(RecordingSenders.all()),
                                new FailOnceAfter(2, 1))
                        .executeAsync("audience-it");
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences", "device-tokens");

        kafka.produce(
                "notification-events",
                "sale-1",
                "{\"eventId\":\"sale-1\",\"type\":\"sale.flash\",\"audience\":{\"all\":true},"
                        + "\"channels\":[\"push\",\"email\"]}");
        int committedBeforeCrash =
                kafka.readCommitted("notification-deliveries", 1, Duration.ofSeconds(60)).size();
        kafka.produce(
                "notification-events",
                "one-1",
                "{\"eventId\":\"one-1\",\"type\":\"order.shipped\",\"userIds\":[\"a0\"],"
                        + "\"channels\":[\"email\"]}");
        assertThat(committedBeforeCrash)
                .as("records committed when the crash was set off: the walk was under way")
                .isBetween(1, expected.size() / 2);

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka,
                                "notification-deliveries",
                                expected.size(),
                                Duration.ofSeconds(120)));

        assertThat(FailOnceAfter.FAILURES).hasValue(1);
        assertThat(TestJobs.numRestarts(METRICS, job)).isEqualTo(1);
        // The restored attempt resumed a walk: it visited some users, and skipped the marked rest.
        long visitedAfterRestore =
                METRICS.findOperatorMetricGroups(job.getJobID(), "Walk audiences").stream()
                        .map(g -> METRICS.getMetricsByGroup(g).get("audienceUsersVisited"))
                        .mapToLong(m -> ((Counter) m).getCount())
                        .sum();
        assertThat(visitedAfterRestore).isBetween(1L, (long) USERS - 1);
        assertThat(deliveries).extracting(d -> text(d, "status")).containsOnly("SENT");
        assertThat(deliveries)
                .extracting(d -> text(d, "userId") + " " + text(d, "channel"))
                .containsExactlyInAnyOrderElementsOf(expected);
        // The device is a digest of the token: a user's two pushes went to two devices.
        assertThat(
                        deliveries.stream()
                                .filter(d -> text(d, "device") != null)
                                .map(d -> text(d, "userId") + " " + text(d, "device")))
                .doesNotHaveDuplicates();
        assertThat(deliveries.stream().map(d -> text(d, "notificationId"))).doesNotHaveDuplicates();
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
