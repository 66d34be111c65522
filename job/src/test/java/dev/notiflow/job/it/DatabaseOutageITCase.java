package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.KafkaWiring;
import dev.notiflow.job.analytics.DeliveryAnalytics;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL outage while the job sends: delivery rows are delayed, never lost, and the outage
 * never restarts the sending pipeline into re-sending (the delivery table is written from the
 * deliveries topic in a failover region of its own).
 */
class DatabaseOutageITCase {

    private static final Duration OUTAGE = Duration.ofSeconds(30);

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster();

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

    @TempDir Path checkpoints;

    private JobClient job;

    @AfterEach
    void tearDown() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
    }

    @Test
    void shouldDelayRowsButNeverResendWhenTheDatabaseIsDown() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        LocalPostgres postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.SENDS.clear();
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
        config.set(JdbcOptions.URL, postgres.jdbcUrl());
        config.set(JdbcOptions.USER, postgres.user());
        config.set(JdbcOptions.MAX_RETRIES, 1);
        JdbcSettings jdbc = JdbcOptions.settings(config);
        Migrations.apply(postgres.jdbcUrl(), postgres.user(), postgres.password());

        StreamExecutionEnvironment env =
                TestJobs.define(config, Gateways.of(RecordingSenders.all()), null);
        DeliveryAnalytics.attach(KafkaWiring.deliveryLog(env, config), jdbc);
        job = env.executeAsync("database-outage-it");
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");

        produceEvents(kafka, "before", users);
        awaitRows(postgres, users, Duration.ofSeconds(60));

        postgres.stop();
        produceEvents(kafka, "during", users);
        Thread.sleep(OUTAGE.toMillis());
        assertThat(RecordingSenders.totalSends())
                .as("sending goes on during the outage")
                .isEqualTo(2 * users);
        postgres.startAgain();

        awaitRows(postgres, 2 * users, Duration.ofSeconds(120));
        assertThat(RecordingSenders.totalSends())
                .as("no notification was sent twice")
                .isEqualTo(2 * users);
        assertThat(RecordingSenders.SENDS.values()).allMatch(n -> n.get() == 1);
        assertThat(kafka.readAllCommitted("notification-deliveries", Duration.ofSeconds(3)))
                .hasSize(2 * users);
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
