package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restores the current topology from savepoints written by earlier versions, kept under {@code
 * src/test/resources/savepoints/}: {@code v0.1-pending} (whose state POJO {@code PendingEvent} had
 * fewer fields), {@code v0.2-pending} (the topology before the policy operators) and {@code
 * v0.3-pending} (with the throttle, the template renderer and the audience walker, whose throttle
 * state holds the count of one marketing notification sent before it was taken). In each, a user
 * without a profile had an event waiting in the resolver's state when it was taken. After the
 * upgrade, the profile arrives and the waiting event is delivered.
 */
class SavepointCompatibilityITCase {

    static final Path FIXTURES = Path.of("src/test/resources/savepoints");

    /** The fixture that {@link #writeFixture()} writes: the current version's. */
    static final String CURRENT = "v0.3-pending";

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;
    @TempDir Path savepoints;

    @ParameterizedTest
    @ValueSource(strings = {"v0.1-pending", "v0.2-pending", CURRENT})
    void shouldDeliverAnEventThatWaitedInAnOlderVersionsSavepoint(String fixture) throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        Path savepoint =
                Files.list(FIXTURES.resolve(fixture))
                        .filter(p -> p.getFileName().toString().startsWith("savepoint-"))
                        .findFirst()
                        .orElseThrow();

        Configuration config = config(kafka);
        config.setString("execution.state-recovery.path", savepoint.toUri().toString());
        config.setString("execution.state-recovery.ignore-unclaimed-state", "false");
        JobClient job = start(config);
        try {
            // The fixtures' source offsets are restored into a fresh broker: a newer fixture
            // consumed known-user's profile, so its partition's first offset is written again
            // here to be skipped, and late-user's profile is read wherever its key lands.
            kafka.produce(
                    "user-preferences",
                    "known-user",
                    "{\"userId\":\"known-user\",\"email\":\"known@example.com\"}");
            kafka.produce(
                    "user-preferences",
                    "late-user",
                    "{\"userId\":\"late-user\",\"email\":\"late@example.com\"}");

            List<ConsumerRecord<String, String>> deliveries =
                    TestJobs.readAll(kafka, "notification-deliveries", 1, Duration.ofSeconds(90));
            assertThat(deliveries).hasSize(1);
            assertThat(deliveries.get(0).value())
                    .contains("\"eventId\":\"waiting-1\"")
                    .contains("\"userId\":\"late-user\"")
                    .contains("\"status\":\"SENT\"");
            assertThat(SendLog.providerSends()).isEqualTo(1);
            TestJobs.assertNoRestarts(METRICS, job);
        } finally {
            TestJobs.cancel(job);
        }
    }

    /**
     * Writes the fixture; run once per format change with {@code
     * -Dnotiflow.savepoint.fixture=write}.
     */
    @Test
    @EnabledIfSystemProperty(named = "notiflow.savepoint.fixture", matches = "write")
    void writeFixture() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        JobClient job = start(config(kafka));
        kafka.produce(
                "user-preferences",
                "known-user",
                "{\"userId\":\"known-user\",\"email\":\"known@example.com\"}");
        kafka.produce(
                "notification-events",
                "sent-1",
                "{\"eventId\":\"sent-1\",\"type\":\"promo.weekly\",\"category\":\"marketing\",\"userIds\":[\"known-user\"],\"channels\":[\"email\"]}");
        TestJobs.readAll(kafka, "notification-deliveries", 1, Duration.ofSeconds(60));
        kafka.produce(
                "notification-events",
                "waiting-1",
                "{\"eventId\":\"waiting-1\",\"type\":\"order.shipped\",\"userIds\":[\"late-user\"],\"channels\":[\"email\"]}");
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "notification-events");
        String written =
                job.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get();
        copy(
                Path.of(java.net.URI.create(written)),
                FIXTURES.resolve(CURRENT)
                        .resolve(Path.of(java.net.URI.create(written)).getFileName()));
    }

    private Configuration config(LocalKafka kafka) {
        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "compat-it-" + System.nanoTime());
        // The fixture's waiting event holds a processing-time timer at (time written + this
        // wait): it must not fire in any later test run, or the event ends as NO_PROFILE.
        config.set(JobOptions.PROFILE_WAIT, Duration.ofDays(100 * 365));
        return config;
    }

    private static JobClient start(Configuration config) throws Exception {
        StreamExecutionEnvironment env =
                TestJobs.define(config, Gateways.of(RecordingSenders.all()), null);
        return env.executeAsync("savepoint-compat-it");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
