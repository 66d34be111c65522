package dev.notiflow.job.analytics;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.notiflow.job.analytics.AnalyticsTestSupport.delivery;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Rows PostgreSQL refuses for their content, in a MiniCluster job against a real PostgreSQL: each
 * goes to the dead letters with its SQLState, every other row of its batch is written, and the job
 * ends without a failure (the MiniCluster has no restart strategy, so a failed flush fails the
 * test).
 */
class RefusedRowsITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = AnalyticsTestSupport.miniCluster();

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Instant CREATED = Instant.parse("2026-11-22T09:00:00.000Z");
    private static final String TOPIC = "notification-deliveries";

    @TempDir Path dir;

    @Test
    void shouldSendRefusedRowsToTheDeadLettersAndWriteEveryOtherRow() throws Exception {
        JdbcSettings settings = AnalyticsTestSupport.freshDatabase(PG.postgres(), "refused", dir);
        List<Delivery> input = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            input.add(sent("n-" + i, "u" + i, i));
        }
        // Records that bypassed the parser: NUL in an id, NUL in a category (refused by both
        // tables), no finalAt (NOT NULL), and NUL in a provider's detail (written, sanitised).
        Delivery nulUser = with(sent("n-nul-user", "u", 3), "userId", "u\u0000x");
        Delivery nulCategory = with(sent("n-nul-category", "u8", 8), "category", "ord\u0000er");
        Delivery noFinalAt = with(sent("n-no-final-at", "u11", 11), "finalAt", null);
        Delivery nulDetail =
                with(
                        sent("n-nul-detail", "u12", 12),
                        "status",
                        "FAILED",
                        "reason",
                        "INVALID_CONTACT",
                        "detail",
                        "550 mailbox \u0000unavailable",
                        "providerMessageId",
                        null);
        input.add(4, nulUser);
        input.add(9, nulCategory);
        input.add(15, noFinalAt);
        input.add(17, nulDetail);

        List<DeadLetter> refused = run(input, settings);

        Set<String> expectedRows = new TreeSet<>();
        input.forEach(d -> expectedRows.add(d.notificationId()));
        expectedRows.removeAll(Set.of("n-nul-user", "n-nul-category", "n-no-final-at"));
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings, "SELECT notification_id FROM deliveries ORDER BY 1"))
                .extracting(r -> r.get("notification_id"))
                .containsExactlyElementsOf(expectedRows);
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT detail FROM deliveries WHERE notification_id = ?",
                                "n-nul-detail"))
                .containsExactly(Map.of("detail", "550 mailbox \uFFFDunavailable"));

        assertThat(refused)
                .extracting(
                        DeadLetter::kind,
                        DeadLetter::reason,
                        d -> d.detail().replaceFirst("(SQLState [0-9A-Z]{5}).*", "$1"),
                        DeadLetter::notificationId,
                        DeadLetter::sourceTopic)
                .containsExactlyInAnyOrder(
                        tuple(
                                "TABLE",
                                "ROW_REFUSED",
                                "deliveries: SQLState 22021",
                                "n-nul-user",
                                TOPIC),
                        tuple(
                                "TABLE",
                                "ROW_REFUSED",
                                "deliveries: SQLState 22021",
                                "n-nul-category",
                                TOPIC),
                        tuple(
                                "TABLE",
                                "ROW_REFUSED",
                                "deliveries: SQLState 23502",
                                "n-no-final-at",
                                TOPIC),
                        tuple(
                                "TABLE",
                                "ROW_REFUSED",
                                "delivery_metrics_minute: SQLState 22021",
                                null,
                                TOPIC));
        for (DeadLetter d : refused) {
            assertThat(d.payloadBase64())
                    .isEqualTo(
                            Base64.getEncoder()
                                    .encodeToString(d.payload().getBytes(StandardCharsets.UTF_8)));
            if (d.notificationId() != null) {
                Delivery original =
                        input.stream()
                                .filter(x -> x.notificationId().equals(d.notificationId()))
                                .findFirst()
                                .orElseThrow();
                assertThat(
                                Json.fromBytes(
                                        d.payload().getBytes(StandardCharsets.UTF_8),
                                        Delivery.class))
                        .isEqualTo(original);
                assertThat(d.key()).isEqualTo(original.notificationId());
                assertThat(d.eventId()).isEqualTo(original.eventId());
            } else {
                assertThat(d.payload()).contains("\"category\":\"ord\\u0000er\"");
            }
        }
        // The metrics of every other delivery are in their table.
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT sum(count)::int AS n FROM delivery_metrics_minute"))
                .containsExactly(Map.of("n", input.size() - 1));
    }

    private static List<DeadLetter> run(List<Delivery> input, JdbcSettings settings)
            throws Exception {
        StreamExecutionEnvironment env = AnalyticsTestSupport.env(2);
        DataStream<Delivery> deliveries =
                env.fromData(input).uid("test-deliveries").name("Test deliveries");
        List<DeadLetter> out = new ArrayList<>();
        try (CloseableIterator<DeadLetter> it =
                DeliveryAnalytics.attach(deliveries, settings, TOPIC)
                        .executeAndCollect("refused rows test")) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    private static Delivery sent(String id, String user, int second) {
        return delivery(
                id,
                "e-" + id,
                user,
                Channel.PUSH,
                Platform.IOS,
                DeliveryStatus.SENT,
                null,
                CREATED,
                CREATED.plusSeconds(second));
    }

    /** {@code d} with its JSON fields replaced: {@code name, value, name, value, ...}. */
    private static Delivery with(Delivery d, Object... fieldsAndValues) {
        ObjectNode node = Json.MAPPER.valueToTree(d);
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            node.set((String) fieldsAndValues[i], Json.MAPPER.valueToTree(fieldsAndValues[i + 1]));
        }
        try {
            return Json.MAPPER.treeToValue(node, Delivery.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
