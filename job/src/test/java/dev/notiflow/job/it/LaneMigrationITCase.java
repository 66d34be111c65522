package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.job.LaneRouterJob;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's migration from the single job to the lanes, on the current savepoint fixture of the
 * single job ({@link SavepointCompatibilityITCase#CURRENT}: it had read two events, remembers
 * eventId {@code sent-1}, and holds {@code waiting-1} for a user without a profile): the router and
 * the normal lane start from it with unclaimed state allowed.
 */
class LaneMigrationITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster();

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;

    private final List<JobClient> jobs = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(jobs);
    }

    @Test
    void shouldCarryOnTheSingleJobsOffsetsDedupeAndWaitingEventInTheLanes() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        for (String lane : List.of("high", "normal", "low")) {
            kafka.createTopic("notification-events." + lane, 2, false);
        }
        kafka.createTopic("notification-events-priority", 2, false);
        RecordingSenders.reset();
        Path savepoint =
                Files.list(
                                SavepointCompatibilityITCase.FIXTURES.resolve(
                                        SavepointCompatibilityITCase.CURRENT))
                        .filter(p -> p.getFileName().toString().startsWith("savepoint-"))
                        .findFirst()
                        .orElseThrow();
        Configuration shared =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "migration-it-" + System.nanoTime());
        // The fixture's waiting event holds a timer at (time written + this wait).
        shared.set(JobOptions.PROFILE_WAIT, Duration.ofDays(100 * 365));
        shared.setString("parallelism.default", "1");
        shared.setString("execution.state-recovery.path", savepoint.toUri().toString());
        shared.setString("execution.state-recovery.ignore-unclaimed-state", "true");

        Configuration normal = new Configuration(shared);
        normal.set(LaneOptions.LANE, "normal");
        StreamExecutionEnvironment lane =
                StreamExecutionEnvironment.getExecutionEnvironment(normal);
        NotificationJob.build(lane, normal, Gateways.of(RecordingSenders.all()));
        jobs.add(lane.executeAsync(NotificationJob.name(normal)));
        StreamExecutionEnvironment router =
                StreamExecutionEnvironment.getExecutionEnvironment(shared);
        LaneRouterJob.build(router, shared);
        jobs.add(router.executeAsync(LaneRouterJob.NAME));

        // The fixture's offsets are restored into a fresh broker: of these ten, the router skips
        // as many as the single job had read (two), then it routes the rest; sent-1 is dropped
        // by the restored dedupe set.
        for (int i = 0; i < 10; i++) {
            kafka.produce(
                    "notification-events",
                    "m" + i,
                    "{\"eventId\":\"m"
                            + i
                            + "\",\"type\":\"news.daily\",\"userIds\":[\"nobody\"],\"channels\":[\"email\"]}");
        }
        kafka.produce(
                "notification-events",
                "sent-1",
                "{\"eventId\":\"sent-1\",\"type\":\"promo.weekly\",\"category\":\"marketing\",\"userIds\":[\"known-user\"],\"channels\":[\"email\"]}");
        // The profile the waiting event in the normal lane's restored state waits for. The
        // fixture had consumed known-user's profile: its partition's first offset is written
        // again to be skipped, and late-user's profile is read wherever its key lands.
        kafka.produce(
                "user-preferences",
                "known-user",
                "{\"userId\":\"known-user\",\"email\":\"known@example.com\"}");
        kafka.produce(
                "user-preferences",
                "late-user",
                "{\"userId\":\"late-user\",\"email\":\"late@example.com\"}");

        List<ConsumerRecord<String, String>> deliveries = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!(has(deliveries, "waiting-1", "\"status\":\"SENT\"")
                        && has(deliveries, "sent-1", "DUPLICATE_EVENT"))
                && System.nanoTime() < deadline) {
            deliveries = kafka.readAllCommitted("notification-deliveries", Duration.ofSeconds(1));
        }
        assertThat(deliveries)
                .filteredOn(d -> d.value().contains("\"eventId\":\"waiting-1\""))
                .singleElement()
                .satisfies(d -> assertThat(d.value()).contains("\"status\":\"SENT\""));
        assertThat(deliveries)
                .filteredOn(d -> d.value().contains("\"eventId\":\"sent-1\""))
                .singleElement()
                .satisfies(d -> assertThat(d.value()).contains("DUPLICATE_EVENT"));
        List<ConsumerRecord<String, String>> routed =
                kafka.readAllCommitted("notification-events.normal", Duration.ofSeconds(2));
        assertThat(routed)
                .as("events routed after the single job's last offsets")
                .extracting(ConsumerRecord::key)
                .hasSize(8)
                .allMatch(k -> k.startsWith("m"));
        assertThat(SendLog.providerSends()).as("waiting-1, sent once").isEqualTo(1);
    }

    private static boolean has(
            List<ConsumerRecord<String, String>> deliveries, String eventId, String text) {
        return deliveries.stream()
                .anyMatch(
                        d ->
                                d.value().contains("\"eventId\":\"" + eventId + "\"")
                                        && d.value().contains(text));
    }
}
