package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole job run into a real PostgreSQL: after a mid-stream failure and its replay, the delivery
 * table equals the deliveries topic row for row, the per-minute metrics sum to the same counts, and
 * replaying the whole topic into the tables again changes nothing.
 */
class DeliveryTableEndToEndITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

    @TempDir Path checkpoints;
    @TempDir Path savepoints;

    @Test
    void shouldMatchTheTopicRowForRowAndStayUnchangedOnReplay() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        LocalPostgres postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        FailOnceAfter.reset();
        int users = 12;
        for (int u = 0; u < users; u++) {
            String channels = u % 4 == 0 ? ",\"channels\":{\"email\":false}" : "";
            String email = u % 5 == 0 ? "not an address" : "u" + u + "@example.com";
            kafka.produce(
                    "user-preferences",
                    "u" + u,
                    "{\"userId\":\"u" + u + "\",\"email\":\"" + email + "\"" + channels + "}");
        }
        Migrations.apply(postgres.jdbcUrl(), postgres.user(), postgres.password());

        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "table-it-" + System.nanoTime());
        postgres.jdbcOptions().forEach(config::setString);
        StreamExecutionEnvironment env =
                TestJobs.define(
                        config, Gateways.of(RecordingSenders.all()), new FailOnceAfter(25, 1));
        JobClient job = env.executeAsync("delivery-table-e2e-it");
        JobClient tables = TestJobs.startTablesJob(config);
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");

        int expected = 0;
        for (int e = 0; e < 5; e++) {
            for (int u = 0; u < users; u++) {
                kafka.produce(
                        "notification-events",
                        "t" + e + "-" + u,
                        "{\"eventId\":\"t"
                                + e
                                + "-"
                                + u
                                + "\",\"type\":\"order.shipped\",\"userIds\":[\"u"
                                + u
                                + "\"],\"channels\":[\"email\"]}");
                expected++;
            }
        }
        kafka.readCommitted("notification-deliveries", expected, Duration.ofSeconds(120));
        awaitRowCount(postgres, expected);
        assertThat(TestJobs.numRestarts(METRICS, job))
                .as("restarts: the injected one")
                .isEqualTo(1);
        TestJobs.assertNoRestarts(METRICS, tables);
        TestJobs.cancel(job);
        // Draining fires the last event-time windows of the per-minute metrics.
        tables.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
        assertThat(FailOnceAfter.FAILURES).hasValue(1);

        Map<String, String> topic = new TreeMap<>();
        Map<String, Integer> topicCounts = new TreeMap<>();
        for (ConsumerRecord<String, String> r :
                kafka.readAllCommitted("notification-deliveries", Duration.ofSeconds(3))) {
            JsonNode d = Json.fromBytes(r.value().getBytes(StandardCharsets.UTF_8), JsonNode.class);
            String row =
                    d.get("channel").asText()
                            + "|"
                            + d.get("status").asText()
                            + "|"
                            + d.get("reason").asText("null")
                            + "|"
                            + d.get("attempts").asInt();
            assertThat(topic.put(d.get("notificationId").asText(), row))
                    .as("one record per notification")
                    .isNull();
            topicCounts.merge(
                    d.get("channel").asText() + "|" + d.get("status").asText(), 1, Integer::sum);
        }
        assertThat(topic).hasSize(expected);
        List<SendLog.Crash> crashes = SendLog.crashes();
        assertThat(crashes).hasSize(1);
        assertThat(SendLog.repeatedProviderSends())
                .as("repeated provider sends, within the crash window %s", crashes.get(0))
                .isLessThanOrEqualTo(crashes.get(0).replayable());
        assertThat(rows(postgres)).isEqualTo(topic);
        assertThat(metricCounts(postgres)).isEqualTo(topicCounts);
        assertThat(topicCounts).containsKeys("email|SENT", "email|SKIPPED", "email|FAILED");

        String before = snapshot(postgres);
        replayWholeTopic(kafka, config);
        assertThat(snapshot(postgres))
                .as("a replay leaves the delivery table unchanged")
                .isEqualTo(before);
        assertThat(metricCounts(postgres)).isEqualTo(topicCounts);
    }

    /** Reads the deliveries topic again from the start into the tables, in a fresh job. */
    private void replayWholeTopic(LocalKafka kafka, Configuration base) throws Exception {
        Configuration config = new Configuration(base);
        config.set(JobOptions.KAFKA_GROUP_ID, "replay-" + System.nanoTime());
        JobClient replay = TestJobs.startTablesJob(config);
        KafkaGroups.awaitCaughtUp(
                kafka,
                config.get(JobOptions.KAFKA_GROUP_ID) + "-delivery-log",
                Duration.ofSeconds(60),
                "notification-deliveries");
        TestJobs.assertNoRestarts(METRICS, replay);
        replay.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
    }

    private static void awaitRowCount(LocalPostgres postgres, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline
                && query(postgres, "SELECT count(*) FROM deliveries")
                                .equals(String.valueOf(expected))
                        == false) {
            Thread.sleep(500);
        }
    }

    private static Map<String, String> rows(LocalPostgres postgres) throws Exception {
        Map<String, String> rows = new TreeMap<>();
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery(
                                "SELECT notification_id, channel, status, coalesce(reason, 'null'), attempts FROM deliveries")) {
            while (rs.next()) {
                rows.put(
                        rs.getString(1),
                        rs.getString(2)
                                + "|"
                                + rs.getString(3)
                                + "|"
                                + rs.getString(4)
                                + "|"
                                + rs.getInt(5));
            }
        }
        return rows;
    }

    private static Map<String, Integer> metricCounts(LocalPostgres postgres) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery(
                                "SELECT channel, status, sum(count) FROM delivery_metrics_minute GROUP BY 1, 2")) {
            while (rs.next()) {
                counts.put(rs.getString(1) + "|" + rs.getString(2), rs.getInt(3));
            }
        }
        return counts;
    }

    private static String snapshot(LocalPostgres postgres) throws Exception {
        return query(
                postgres,
                "SELECT md5(string_agg(d::text, ',' ORDER BY notification_id)) FROM deliveries d");
    }

    private static String query(LocalPostgres postgres, String sql) throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
