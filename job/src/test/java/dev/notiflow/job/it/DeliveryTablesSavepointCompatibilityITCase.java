package dev.notiflow.job.it;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restores the current {@link dev.notiflow.job.DeliveryTablesJob} from a savepoint of release 0.1
 * (kept under {@code src/test/resources/savepoints/delivery-tables-0.1}), whose two table sinks
 * were Flink's JDBC sink: a writer and a committer operator each, where the current topology has
 * one {@link dev.notiflow.jdbc.TableWriter} under the same uid. The restore must claim all of the
 * savepoint's state (no {@code ignore-unclaimed-state}), as {@code scripts/submit.sh} requires.
 *
 * <p>When the savepoint was taken, {@value #OLD} deliveries of the minute {@link #MINUTE} had been
 * read and written, and waited in their (not yet fired) metrics window. After the upgrade, {@value
 * #NEW} more deliveries of that minute arrive: the delivery table gets exactly those (the source
 * resumed at the savepoint's offsets, the old ones are not read again), and the minute's metrics
 * count the old and the new ones (the window state was kept).
 */
class DeliveryTablesSavepointCompatibilityITCase {

    static final Path FIXTURE = Path.of("src/test/resources/savepoints/delivery-tables-0.1");

    /** The minute of every delivery's {@code finalAt}, long past, so no window fires by itself. */
    static final Instant MINUTE = Instant.parse("2026-01-01T00:00:00Z");

    /** Deliveries read before the savepoint. */
    static final int OLD = 6;

    /** Deliveries produced after the restore. */
    static final int NEW = 10;

    private static final String TOPIC = "notification-deliveries";

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster();

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

    @TempDir Path checkpoints;
    @TempDir Path savepoints;

    @Test
    void shouldRestoreAnOlderVersionsSavepointWithoutUnclaimedState() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        LocalPostgres postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);
        // The savepoint's source offsets refer to the topic of the fixture's broker: the same
        // records, produced here by key to the same partitions, put each partition's end exactly
        // where the savepoint's offset points. Read again, they would show in the table.
        produceDeliveries(kafka, "old-", OLD, 10);

        Configuration config = config(kafka, postgres);
        config.setString("execution.state-recovery.path", savepoint().toUri().toString());
        config.setString("execution.state-recovery.ignore-unclaimed-state", "false");
        // A failure ends the job instead of restarting it, so a restart fails the test.
        config.setString("restart-strategy.type", "none");
        JobClient job = TestJobs.startTablesJob(config);
        awaitRunning(job);

        produceDeliveries(kafka, "new-", NEW, 20);
        awaitRowCount(postgres, job, NEW);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        // Draining fires the minute's window: its count shows whether the old state was kept.
        job.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < NEW; i++) {
            expected.add("new-" + i);
        }
        assertThat(strings(postgres, "SELECT notification_id FROM deliveries ORDER BY 1"))
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(
                        strings(
                                postgres,
                                "SELECT to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
                                        + " || ' ' || status || ' ' || count"
                                        + " FROM delivery_metrics_minute"))
                .containsExactly("2026-01-01 00:00 SENT " + (OLD + NEW));
    }

    /**
     * Writes the fixture with this version, with {@code -Dnotiflow.savepoint.fixture=write}: the
     * {@value #OLD} deliveries read and written, then stop-with-savepoint without draining, so the
     * minute's window stays open in the savepoint. The fixture of release 0.1 was written by these
     * steps on that release; running them on a later one replaces it (point {@link #FIXTURE} at a
     * directory of the new release's name first to keep both).
     */
    @Test
    @EnabledIfSystemProperty(named = "notiflow.savepoint.fixture", matches = "write")
    void writeFixture() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        LocalPostgres postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);
        JobClient job = TestJobs.startTablesJob(config(kafka, postgres));
        produceDeliveries(kafka, "old-", OLD, 10);
        awaitRowCount(postgres, job, OLD);
        assertThat(strings(postgres, "SELECT count(*) FROM deliveries"))
                .containsExactly(String.valueOf(OLD));
        String written =
                job.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get();
        Path from = Path.of(URI.create(written));
        deleteContents(FIXTURE);
        copy(from, FIXTURE.resolve(from.getFileName()));
    }

    private Configuration config(LocalKafka kafka, LocalPostgres postgres) {
        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(),
                        checkpoints,
                        "tables-compat-it-" + System.nanoTime());
        postgres.jdbcOptions().forEach(config::setString);
        return config;
    }

    private static Path savepoint() throws IOException {
        try (Stream<Path> files = Files.list(FIXTURE)) {
            return files.filter(p -> p.getFileName().toString().startsWith("savepoint-"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /**
     * Produces deliveries {@code <prefix>0..<prefix><count-1>}, keyed by notification id, SENT by
     * email with {@code finalAt} = {@link #MINUTE} + {@code firstSecond} + i seconds.
     */
    static void produceDeliveries(LocalKafka kafka, String prefix, int count, int firstSecond) {
        for (int i = 0; i < count; i++) {
            String id = prefix + i;
            Instant finalAt = MINUTE.plusSeconds(firstSecond + i);
            Delivery d =
                    new Delivery(
                            id,
                            "e-" + id,
                            "u" + i,
                            "order.shipped",
                            "order",
                            Channel.EMAIL,
                            Provider.forChannel(Channel.EMAIL),
                            null,
                            null,
                            DeliveryStatus.SENT,
                            null,
                            null,
                            1,
                            Priority.NORMAL,
                            "<" + id + "@example.com>",
                            finalAt.minusSeconds(3),
                            finalAt.minusSeconds(2),
                            finalAt.minusSeconds(1),
                            finalAt);
            kafka.produce(TOPIC, id, Json.toText(d));
        }
    }

    /** Waits until the job runs; a job that failed to start (e.g. a refused restore) throws. */
    private static void awaitRunning(JobClient job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JobStatus status = job.getJobStatus().get();
        while (status != JobStatus.RUNNING && System.nanoTime() < deadline) {
            if (status.isGloballyTerminalState()) {
                throw failure(job, status);
            }
            Thread.sleep(200);
            status = job.getJobStatus().get();
        }
        assertThat(status).isEqualTo(JobStatus.RUNNING);
    }

    private static void awaitRowCount(LocalPostgres postgres, JobClient job, int expected)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline
                && !strings(postgres, "SELECT count(*) FROM deliveries")
                        .equals(List.of(String.valueOf(expected)))) {
            JobStatus status = job.getJobStatus().get();
            if (status.isGloballyTerminalState()) {
                throw failure(job, status);
            }
            Thread.sleep(300);
        }
    }

    private static AssertionError failure(JobClient job, JobStatus status) {
        try {
            job.getJobExecutionResult().get();
            return new AssertionError("the tables job ended early: " + status);
        } catch (InterruptedException | ExecutionException e) {
            return new AssertionError("the tables job ended early: " + status, e);
        }
    }

    private static List<String> strings(LocalPostgres postgres, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static void deleteContents(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                if (!f.equals(dir)) {
                    Files.delete(f);
                }
            }
        }
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
