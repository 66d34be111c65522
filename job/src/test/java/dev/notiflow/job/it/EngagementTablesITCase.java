package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.JobOptions;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
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

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The delivery tables job folds {@code notification-engagement} into the table {@code engagement}
 * (real broker, real PostgreSQL): each step once per notification with its first time, whatever the
 * order of the reports; repeats and a replay of both topics change nothing; records that break the
 * contract reach the DLQ with their reason; and {@code sql/queries/engagement_funnel.sql} computes
 * the funnel from the tables the job wrote.
 */
class EngagementTablesITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

    @TempDir Path checkpoints;
    @TempDir Path savepoints;

    /** Two days ago, 10:00 UTC: the send time of the first day's notifications. */
    private static final Instant DAY_A =
            Instant.now()
                    .truncatedTo(ChronoUnit.DAYS)
                    .minus(2, ChronoUnit.DAYS)
                    .plus(10, ChronoUnit.HOURS);

    private static final Instant DAY_B = DAY_A.plus(1, ChronoUnit.DAYS);

    private static final String TOPIC = "notification-engagement";

    @Test
    void shouldKeepTheFirstTimeOfEachStepOnceAndFeedTheFunnel() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        LocalPostgres postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);

        delivery(kafka, "n1", "order", Channel.PUSH, DeliveryStatus.SENT, DAY_A);
        delivery(kafka, "n2", "order", Channel.PUSH, DeliveryStatus.SENT, DAY_A);
        delivery(kafka, "n3", "order", Channel.PUSH, DeliveryStatus.SENT, DAY_A);
        delivery(kafka, "n4", "order", Channel.PUSH, DeliveryStatus.FAILED, DAY_A);
        delivery(kafka, "n5", "order", Channel.EMAIL, DeliveryStatus.SENT, DAY_A);
        delivery(kafka, "n6", "promo", Channel.EMAIL, DeliveryStatus.SENT, DAY_A);
        delivery(kafka, "n7", "order", Channel.PUSH, DeliveryStatus.SENT, DAY_B);

        engagement(kafka, "n1", "delivered", DAY_A.plusSeconds(2));
        engagement(kafka, "n1", "opened", DAY_A.plusSeconds(5));
        engagement(kafka, "n1", "clicked", DAY_A.plusSeconds(9));
        // a repeat, later: nothing changes; a report of an earlier time, read later: it wins
        engagement(kafka, "n1", "opened", DAY_A.plusSeconds(30));
        engagement(kafka, "n1", "delivered", DAY_A.plusSeconds(1));
        engagement(kafka, "n2", "opened", DAY_A.plusSeconds(3));
        engagement(kafka, "n3", "delivered", DAY_A.plusSeconds(4));
        engagement(kafka, "n3", "dismissed", DAY_A.plusSeconds(6));
        engagement(kafka, "n4", "opened", DAY_A.plusSeconds(7));
        // no device time: the gateway's receivedAt is the time
        kafka.produce(
                TOPIC,
                "n5",
                "{\"notificationId\":\"n5\",\"event\":\"opened\",\"receivedAt\":\""
                        + DAY_A.plusSeconds(8)
                        + "\",\"source\":\"gateway\",\"extra\":true}");
        engagement(kafka, "n7", "clicked", DAY_B.plusSeconds(5));
        // a report whose delivery row is unknown: kept, but outside the funnel
        engagement(kafka, "n-unknown", "opened", DAY_A.plusSeconds(9));
        // three records that break the contract
        kafka.produce(TOPIC, "n1", "{\"notificationId\":\"n1\"");
        kafka.produce(
                TOPIC,
                "n1",
                "{\"notificationId\":\"n1\",\"event\":\"sent\",\"receivedAt\":\"" + DAY_A + "\"}");
        kafka.produce(
                TOPIC,
                "n2",
                "{\"notificationId\":\"n1\",\"event\":\"opened\",\"receivedAt\":\""
                        + DAY_A
                        + "\"}");

        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(),
                        checkpoints,
                        "engagement-it-" + System.nanoTime());
        postgres.jdbcOptions().forEach(config::setString);
        JobClient tables = TestJobs.startTablesJob(config);

        List<String> expected =
                List.of(
                        "n-unknown opened " + DAY_A.plusSeconds(9),
                        "n1 clicked " + DAY_A.plusSeconds(9),
                        "n1 delivered " + DAY_A.plusSeconds(1),
                        "n1 opened " + DAY_A.plusSeconds(5),
                        "n2 opened " + DAY_A.plusSeconds(3),
                        "n3 delivered " + DAY_A.plusSeconds(4),
                        "n3 dismissed " + DAY_A.plusSeconds(6),
                        "n4 opened " + DAY_A.plusSeconds(7),
                        "n5 opened " + DAY_A.plusSeconds(8),
                        "n7 clicked " + DAY_B.plusSeconds(5));
        List<ConsumerRecord<String, String>> dlq =
                kafka.readCommitted("notification-dlq", 3, Duration.ofSeconds(90));
        awaitEngagementRows(postgres, expected.size(), Duration.ofSeconds(60));
        KafkaGroups.awaitCaughtUp(
                kafka,
                config.get(JobOptions.KAFKA_GROUP_ID) + "-engagement",
                Duration.ofSeconds(60),
                TOPIC);
        KafkaGroups.awaitCaughtUp(
                kafka,
                config.get(JobOptions.KAFKA_GROUP_ID) + "-delivery-log",
                Duration.ofSeconds(60),
                "notification-deliveries");
        TestJobs.assertNoRestarts(METRICS, tables);
        tables.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();

        assertThat(engagementRows(postgres)).containsExactlyElementsOf(expected);
        List<String> reasons = new ArrayList<>();
        for (ConsumerRecord<String, String> r : dlq) {
            JsonNode d = Json.fromBytes(r.value().getBytes(StandardCharsets.UTF_8), JsonNode.class);
            assertThat(d.get("kind").asText()).isEqualTo("INPUT");
            assertThat(d.get("sourceTopic").asText()).isEqualTo(TOPIC);
            assertThat(r.key()).isEqualTo(d.get("sourceRef").asText());
            reasons.add(d.get("reason").asText() + ": " + d.get("detail").asText());
        }
        assertThat(reasons)
                .hasSize(3)
                .anySatisfy(r -> assertThat(r).startsWith("MALFORMED_JSON: "))
                .contains(
                        "INVALID_FIELD: event: 'sent' is not one of delivered, opened, clicked,"
                                + " dismissed",
                        "INVALID_FIELD: key: 'n2' is not the notificationId 'n1'");

        String before = snapshot(postgres);
        // the same reports again, and the whole of both topics read again by a fresh job
        engagement(kafka, "n1", "opened", DAY_A.plusSeconds(5));
        engagement(kafka, "n7", "clicked", DAY_B.plusSeconds(6));
        Configuration replay = new Configuration(config);
        replay.set(JobOptions.KAFKA_GROUP_ID, "replay-" + System.nanoTime());
        JobClient again = TestJobs.startTablesJob(replay);
        KafkaGroups.awaitCaughtUp(
                kafka,
                replay.get(JobOptions.KAFKA_GROUP_ID) + "-engagement",
                Duration.ofSeconds(60),
                TOPIC);
        TestJobs.assertNoRestarts(METRICS, again);
        again.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
        assertThat(snapshot(postgres))
                .as("repeats and a replay leave the engagement table unchanged")
                .isEqualTo(before);

        String day = DAY_A.toString().substring(0, 10);
        String dayB = DAY_B.toString().substring(0, 10);
        assertThat(funnel(postgres))
                .containsExactly(
                        day + " order email 1 1 1 0 0 100.00 0.00 0.00",
                        // n1 (clicked), n2 (opened), n3 (delivered, dismissed); n4 failed
                        day + " order push 3 3 2 1 1 66.67 33.33 50.00",
                        day + " promo email 1 0 0 0 0 0.00 0.00 null",
                        // a click alone counts as delivered and opened
                        dayB + " order push 1 1 1 1 0 100.00 100.00 100.00");
    }

    private static void delivery(
            LocalKafka kafka,
            String id,
            String category,
            Channel channel,
            DeliveryStatus status,
            Instant finalAt) {
        Delivery d =
                new Delivery(
                        id,
                        "e-" + id,
                        "u-" + id,
                        category + ".update",
                        category,
                        channel,
                        channel == Channel.PUSH ? Provider.APNS : Provider.forChannel(channel),
                        channel == Channel.PUSH ? Platform.IOS : null,
                        null,
                        status,
                        status == DeliveryStatus.SENT ? null : "PROVIDER_ERROR",
                        null,
                        1,
                        Priority.NORMAL,
                        null,
                        finalAt.minusSeconds(2),
                        finalAt.minusSeconds(1),
                        finalAt.minusMillis(500),
                        finalAt);
        kafka.produce("notification-deliveries", id, Json.toText(d));
    }

    private static void engagement(LocalKafka kafka, String id, String event, Instant at) {
        kafka.produce(
                TOPIC,
                id,
                "{\"notificationId\":\""
                        + id
                        + "\",\"event\":\""
                        + event
                        + "\",\"at\":\""
                        + at
                        + "\",\"source\":\"gateway\",\"receivedAt\":\""
                        + at.plusSeconds(1)
                        + "\"}");
    }

    private static void awaitEngagementRows(LocalPostgres postgres, int expected, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && engagementRows(postgres).size() < expected) {
            Thread.sleep(300);
        }
    }

    private static List<String> engagementRows(LocalPostgres postgres) throws Exception {
        return strings(
                postgres,
                "SELECT notification_id || ' ' || event || ' '"
                        + " || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                        + " FROM engagement ORDER BY notification_id, event");
    }

    private static String snapshot(LocalPostgres postgres) throws Exception {
        return String.join(
                "\n",
                strings(
                        postgres,
                        "SELECT notification_id || '|' || event || '|' || at || '|' || received_at"
                                + " || '|' || coalesce(source, '') || '|' || updated_at"
                                + " FROM engagement ORDER BY 1"));
    }

    /** The funnel query's rows, each as its columns separated by spaces. */
    private static List<String> funnel(LocalPostgres postgres) throws Exception {
        String sql =
                Files.readString(
                                Path.of("../sql/queries/engagement_funnel.sql"),
                                StandardCharsets.UTF_8)
                        .strip();
        List<String> out = new ArrayList<>();
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql.substring(0, sql.length() - 1))) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                List<String> cols = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    Object v = rs.getObject(i);
                    cols.add(v instanceof BigDecimal b ? b.toPlainString() : String.valueOf(v));
                }
                out.add(String.join(" ", cols));
            }
        }
        return out;
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
}
