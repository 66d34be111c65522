package dev.notiflow.job.analytics;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.jdbc.DeliveryTableSink;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.notiflow.job.analytics.AnalyticsTestSupport.delivery;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link DeliveryTableSink} in a MiniCluster job against a real PostgreSQL. */
class DeliveryTableSinkITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = AnalyticsTestSupport.miniCluster();

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Instant CREATED = Instant.parse("2026-11-22T09:00:00.000Z");
    private static final Instant DECIDED = CREATED.plusMillis(1_250);
    private static final Instant DECIDED_LATER = CREATED.plusMillis(9_500);

    @TempDir Path dir;

    @Test
    void shouldWriteOneRowPerNotificationEqualToItsLatestRecord() throws Exception {
        JdbcSettings settings = AnalyticsTestSupport.freshDatabase(PG.postgres(), "sink_rows", dir);
        List<Delivery> input = input();

        run(input, settings);

        assertThat(AnalyticsTestSupport.readDeliveries(settings))
                .containsExactlyElementsOf(expectedRows(input));
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT notification_id, latency_ms FROM deliveries"
                                        + " WHERE notification_id IN ('n-apns', 'n-no-created')"
                                        + " ORDER BY notification_id"))
                .containsExactly(
                        Map.of("notification_id", "n-apns", "latency_ms", 1_250L),
                        // no createdAt: latency counts from receivedAt, 40 ms after it
                        Map.of("notification_id", "n-no-created", "latency_ms", 1_210L));
    }

    @Test
    void shouldLeaveTheTableUnchangedWhenTheSameInputIsWrittenAgain() throws Exception {
        JdbcSettings settings =
                AnalyticsTestSupport.freshDatabase(PG.postgres(), "sink_replay", dir);
        List<Delivery> input = input();
        String snapshot =
                "SELECT notification_id, xmin::text AS row_version, updated_at, deliveries::text"
                        + " AS content FROM deliveries ORDER BY notification_id";

        run(input, settings);
        List<Map<String, Object>> first = AnalyticsTestSupport.rows(settings, snapshot);
        List<Delivery> reversed = new ArrayList<>(input);
        java.util.Collections.reverse(reversed);
        run(reversed, settings);

        assertThat(first).hasSize(expectedRows(input).size());
        assertThat(AnalyticsTestSupport.rows(settings, snapshot)).isEqualTo(first);
    }

    @Test
    void shouldUpdateARowWhenALaterOutcomeArrives() throws Exception {
        JdbcSettings settings =
                AnalyticsTestSupport.freshDatabase(PG.postgres(), "sink_update", dir);
        Delivery first =
                delivery(
                        "n-retry",
                        "e-1",
                        "u1",
                        Channel.SMS,
                        null,
                        DeliveryStatus.EXHAUSTED,
                        "PROVIDER_UNAVAILABLE",
                        CREATED,
                        DECIDED);
        Delivery later =
                delivery(
                        "n-retry",
                        "e-1",
                        "u1",
                        Channel.SMS,
                        null,
                        DeliveryStatus.SENT,
                        null,
                        CREATED,
                        DECIDED_LATER);

        run(List.of(first), settings);
        run(List.of(later), settings);
        run(List.of(first), settings);

        assertThat(AnalyticsTestSupport.readDeliveries(settings)).containsExactly(later);
    }

    private static void run(List<Delivery> input, JdbcSettings settings) throws Exception {
        StreamExecutionEnvironment env = AnalyticsTestSupport.env(2);
        env.fromData(input)
                .uid("test-deliveries")
                .name("Test deliveries")
                .sinkTo(DeliveryTableSink.create(settings))
                .uid(DeliveryAnalytics.TABLE_SINK_UID)
                .name("Deliveries table");
        env.execute("delivery table sink test");
    }

    /** Every kind of row, one repeated verbatim and one repeated with an earlier decision. */
    private static List<Delivery> input() {
        List<Delivery> in = new ArrayList<>();
        in.add(
                delivery(
                        "n-apns",
                        "e-1",
                        "u1",
                        Channel.PUSH,
                        Platform.IOS,
                        DeliveryStatus.SENT,
                        null,
                        CREATED,
                        DECIDED));
        in.add(
                delivery(
                        "n-fcm-dead",
                        "e-1",
                        "u1",
                        Channel.PUSH,
                        Platform.ANDROID,
                        DeliveryStatus.FAILED,
                        "TOKEN_UNREGISTERED",
                        CREATED,
                        DECIDED));
        in.add(
                delivery(
                        "n-sms-optout",
                        "e-1",
                        "u2",
                        Channel.SMS,
                        null,
                        DeliveryStatus.SKIPPED,
                        "OPTED_OUT",
                        CREATED,
                        DECIDED));
        in.add(
                delivery(
                        "n-email",
                        "e-1",
                        "u2",
                        Channel.EMAIL,
                        null,
                        DeliveryStatus.EXHAUSTED,
                        "TIMEOUT",
                        CREATED,
                        DECIDED));
        in.add(
                delivery(
                        "n-duplicate",
                        "e-1",
                        null,
                        null,
                        null,
                        DeliveryStatus.SKIPPED,
                        "DUPLICATE_EVENT",
                        CREATED,
                        DECIDED));
        Delivery withoutCreatedAt =
                delivery(
                        "n-no-created",
                        "e-2",
                        "u3",
                        Channel.EMAIL,
                        null,
                        DeliveryStatus.SENT,
                        null,
                        CREATED,
                        DECIDED);
        in.add(
                new Delivery(
                        withoutCreatedAt.notificationId(),
                        withoutCreatedAt.eventId(),
                        withoutCreatedAt.userId(),
                        "account.reset",
                        "account",
                        withoutCreatedAt.channel(),
                        withoutCreatedAt.provider(),
                        null,
                        null,
                        withoutCreatedAt.status(),
                        null,
                        null,
                        2,
                        dev.notiflow.model.Priority.HIGH,
                        "msg-x",
                        null,
                        withoutCreatedAt.receivedAt(),
                        withoutCreatedAt.firstAttemptAt(),
                        withoutCreatedAt.finalAt()));
        // text that would be SQL if it were not bound as a parameter, and an instant with
        // microseconds: both must come back exactly
        in.add(
                new Delivery(
                        "n-quotes",
                        "e-3",
                        "o'brien",
                        "order.shipped",
                        "order",
                        Channel.EMAIL,
                        dev.notiflow.model.Provider.SMTP,
                        null,
                        null,
                        DeliveryStatus.FAILED,
                        "RECIPIENT_REJECTED",
                        "550 5.1.1 '\"주문\"'); DROP TABLE deliveries; --",
                        1,
                        dev.notiflow.model.Priority.LOW,
                        null,
                        CREATED,
                        CREATED.plusMillis(40),
                        DECIDED.minusMillis(20),
                        DECIDED.plusNanos(123_456_000),
                        "ko-KR"));
        // the same record again, as after a replay
        in.add(in.get(0));
        // an earlier decision for an id that has a later one: must not win, whatever the order
        in.add(
                delivery(
                        "n-email",
                        "e-1",
                        "u2",
                        Channel.EMAIL,
                        null,
                        DeliveryStatus.FAILED,
                        "INVALID_CONTACT",
                        CREATED,
                        CREATED.plusMillis(300)));
        return in;
    }

    /** Per notification id, the record with the latest finalAt, ordered by id. */
    private static List<Delivery> expectedRows(List<Delivery> input) {
        Map<String, Delivery> latest = new LinkedHashMap<>();
        for (Delivery d : input) {
            latest.merge(d.notificationId(), d, (a, b) -> b.finalAt().isAfter(a.finalAt()) ? b : a);
        }
        List<Delivery> rows = new ArrayList<>(latest.values());
        rows.sort(Comparator.comparing(Delivery::notificationId));
        return rows;
    }
}
