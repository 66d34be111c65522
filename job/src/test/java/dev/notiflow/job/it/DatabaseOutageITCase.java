package dev.notiflow.job.it;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.Gateways;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL outage longer than any reconnect window while the job sends: delivery rows are
 * delayed, never lost; the sending job keeps sending and committing its outputs, and nothing
 * restarts into re-sending (the tables are written by {@code DeliveryTablesJob}, a job of its own,
 * which waits for the database).
 */
class DatabaseOutageITCase {

    /**
     * How long PostgreSQL stays down. The test checks that nothing gives up during an outage, so
     * the outage must outlast the window a wrong implementation would give up after: 150 s is
     * beyond the 2-minute reconnect window the connection once had (and beyond the 10 s cap of the
     * connection backoff, the 3 s restart backoff and the retries configured below). It is the one
     * wait of this test that is not shortened.
     */
    private static final Duration OUTAGE = Duration.ofSeconds(150);

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

    @TempDir Path checkpoints;

    private JobClient job;
    private JobClient tables;

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(job, tables);
    }

    @Test
    void shouldDelayRowsButNeverResendWhenTheDatabaseIsDown() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        LocalPostgres postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        int users = 30;
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "user-preferences",
                    "u" + u,
                    "{\"userId\":\"u" + u + "\",\"email\":\"u" + u + "@example.com\"}");
        }

        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "db-it-" + System.nanoTime());
        config.setString("restart-strategy.type", "exponential-delay");
        config.setString("restart-strategy.exponential-delay.initial-backoff", "500 ms");
        config.setString("restart-strategy.exponential-delay.max-backoff", "3 s");
        postgres.jdbcOptions().forEach(config::setString);
        config.set(JdbcOptions.MAX_RETRIES, 1);
        Migrations.apply(postgres.jdbcUrl(), postgres.user(), postgres.password());

        StreamExecutionEnvironment env =
                TestJobs.define(config, Gateways.of(RecordingSenders.all()), null);
        job = env.executeAsync("database-outage-it");
        tables = TestJobs.startTablesJob(config);
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");

        produceEvents(kafka, "before", users);
        awaitRows(postgres, users, Duration.ofSeconds(60));

        postgres.stop();
        long outageEnds = System.nanoTime() + OUTAGE.toNanos();
        produceEvents(kafka, "during", users);
        // The sending job's checkpoints go on: its outputs are committed during the outage.
        assertThat(kafka.readCommitted("notification-deliveries", 2 * users, OUTAGE))
                .hasSize(2 * users);
        Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(outageEnds - System.nanoTime())));
        assertThat(RecordingSenders.totalSends())
                .as("sending goes on during the outage")
                .isEqualTo(2 * users);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        assertThat(tables.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        postgres.startAgain();

        awaitRows(postgres, 2 * users, Duration.ofSeconds(120));
        assertThat(RecordingSenders.totalSends())
                .as("no notification was sent twice")
                .isEqualTo(2 * users);
        assertThat(RecordingSenders.SENDS.values()).allMatch(n -> n.get() == 1);
        assertThat(kafka.readAllCommitted("notification-deliveries", TestJobs.QUIET))
                .hasSize(2 * users);
        System.out.printf(
                "restarts of the tables job during the outage: %d%n",
                TestJobs.numRestarts(METRICS, tables));
        TestJobs.assertNoRestarts(METRICS, job);
    }

    private static void produceEvents(LocalKafka kafka, String prefix, int users) {
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "notification-events",
                    prefix + u,
                    "{\"eventId\":\""
                            + prefix
                            + u
                            + "\",\"type\":\"news.daily\",\"userIds\":[\"u"
                            + u
                            + "\"],\"channels\":[\"email\"]}");
        }
    }

    private static void awaitRows(LocalPostgres postgres, int expected, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int rows = -1;
        while (System.nanoTime() < deadline) {
            try (Connection c = postgres.connect();
                    Statement s = c.createStatement();
                    ResultSet rs =
                            s.executeQuery(
                                    "SELECT count(*) FROM deliveries WHERE status = 'SENT'")) {
                rs.next();
                rows = rs.getInt(1);
                if (rows == expected) {
                    return;
                }
            } catch (java.sql.SQLException down) {
                // still starting
            }
            Thread.sleep(500);
        }
        assertThat(rows).as("rows in the delivery table").isEqualTo(expected);
    }
}
