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

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Scheduled sends across a failure: events held for their {@code sendAt} and checkpointed, then a
 * failure before they are due. After recovery each is sent exactly once, not before its {@code
 * sendAt}, and the one cancelled before the failure stays cancelled.
 */
class ScheduleRestartITCase {

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
    void shouldSendEachHeldEventOnceAtItsTimeAfterAFailureBeforeIt() throws Exception {
        int users = 6;
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "user-preferences",
                    "u" + u,
                    "{\"userId\":\"u" + u + "\",\"email\":\"u" + u + "@example.com\"}");
        }
        // The failure comes with the event after the scheduled ones and the cancellation.
        Configuration config =
                TestJobs.config(kafka.bootstrapServers(), checkpoints, "it-" + System.nanoTime());
        job =
                TestJobs.define(
                                config,
                                Gateways.of(RecordingSenders.all()),
                                new FailOnceAfter(users + 1, 1))
                        .executeAsync("schedule-restart-it");
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");

        Instant sendAt = Instant.now().plusSeconds(12);
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "notification-events",
                    "s" + u,
                    "{\"eventId\":\"s"
                            + u
                            + "\",\"type\":\"news.daily\",\"userIds\":[\"u"
                            + u
                            + "\"],\"channels\":[\"email\"],\"sendAt\":\""
                            + sendAt
                            + "\"}");
        }
        kafka.produce(
                "notification-cancellations",
                "s0",
                "{\"eventId\":\"s0\",\"reason\":\"no longer needed\"}");
        // Held and cancelled in a completed checkpoint: the job committed their offsets.
        KafkaGroups.awaitCaughtUp(
                kafka,
                TestJobs.GROUP,
                Duration.ofSeconds(60),
                "notification-events",
                "notification-cancellations");
        assertThat(RecordingSenders.totalSends()).as("sends before sendAt").isZero();

        kafka.produce(
                "notification-events",
                "now",
                "{\"eventId\":\"now\",\"type\":\"news.daily\",\"userIds\":[\"u0\"],"
                        + "\"channels\":[\"email\"]}");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (FailOnceAfter.FAILURES.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(FailOnceAfter.FAILURES).hasValue(1);
        assertThat(Instant.now())
                .as("the failure came before the events were due")
                .isBefore(sendAt);

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka,
                                "notification-deliveries",
                                users + 1,
                                Duration.ofSeconds(90)));

        assertThat(deliveries)
                .extracting(d -> text(d, "eventId"), d -> text(d, "status"), d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("now", "SENT", null),
                        tuple("s0", "SKIPPED", "CANCELLED"),
                        tuple("s1", "SENT", null),
                        tuple("s2", "SENT", null),
                        tuple("s3", "SENT", null),
                        tuple("s4", "SENT", null),
                        tuple("s5", "SENT", null));
        assertThat(deliveries)
                .filteredOn(d -> text(d, "eventId").startsWith("s"))
                .filteredOn(d -> "SENT".equals(text(d, "status")))
                .allSatisfy(
                        d ->
                                assertThat(Instant.parse(text(d, "firstAttemptAt")))
                                        .as("first attempt of %s", text(d, "eventId"))
                                        .isAfterOrEqualTo(sendAt));
        assertThat(RecordingSenders.SENDS.values())
                .as("provider sends per notification")
                .hasSize(users)
                .allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(TestJobs.numRestarts(METRICS, job)).isEqualTo(1);
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
