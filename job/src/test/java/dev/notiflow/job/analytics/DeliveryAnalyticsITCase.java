package dev.notiflow.job.analytics;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

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
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.notiflow.job.analytics.AnalyticsTestSupport.delivery;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link DeliveryAnalytics#attach} on bounded streams against a real PostgreSQL. */
class DeliveryAnalyticsITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = AnalyticsTestSupport.miniCluster();

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Instant NINE = Instant.parse("2026-11-22T09:00:00Z");
    private static final Instant NOON = Instant.parse("2026-11-22T12:00:00Z");

    private static final String METRICS_BY_CHANNEL_STATUS =
            "SELECT channel, status, sum(count)::bigint AS n FROM delivery_metrics_minute"
                    + " GROUP BY channel, status ORDER BY channel, status";
    private static final String TABLE_BY_CHANNEL_STATUS =
            "SELECT coalesce(channel, '') AS channel, status, count(*) AS n FROM deliveries"
                    + " GROUP BY 1, 2 ORDER BY 1, 2";

    @TempDir Path dir;

    @Test
    void shouldSumMetricsToTheDeliveriesTablePerChannelAndStatus() throws Exception {
        JdbcSettings settings =
                AnalyticsTestSupport.freshDatabase(PG.postgres(), "analytics_sums", dir);
        List<Delivery> input = mixedDeliveries(400);

        StreamExecutionEnvironment env = AnalyticsTestSupport.env(2);
        DeliveryAnalytics.attach(
                env.fromData(input).uid("test-deliveries").name("Test deliveries"), settings);
        JobExecutionResult result = env.execute("delivery analytics test");

        assertThat(count(settings, "SELECT count(*) FROM deliveries")).isEqualTo(400);
        assertThat(count(settings, "SELECT sum(count) FROM delivery_metrics_minute"))
                .isEqualTo(400);
        List<Map<String, Object>> fromMetrics =
                AnalyticsTestSupport.rows(settings, METRICS_BY_CHANNEL_STATUS);
        assertThat(fromMetrics)
                .hasSizeGreaterThanOrEqualTo(8)
                .isEqualTo(AnalyticsTestSupport.rows(settings, TABLE_BY_CHANNEL_STATUS));
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT minute, channel, provider, category, status, reason,"
                                        + " count, latency_count, latency_max_ms"
                                        + " FROM delivery_metrics_minute ORDER BY 1, 2, 3, 4, 5, 6"))
                .isEqualTo(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT date_trunc('minute', final_at) AS minute,"
                                        + " coalesce(channel, '') AS channel,"
                                        + " coalesce(provider, '') AS provider,"
                                        + " coalesce(category, '') AS category, status,"
                                        + " coalesce(reason, '') AS reason, count(*) AS count,"
                                        + " count(latency_ms) AS latency_count,"
                                        + " max(latency_ms) AS latency_max_ms FROM deliveries"
                                        + " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"));
        assertThat(result.<Long>getAccumulatorResult(DeliveryMetricsFunctions.LATE_DROPPED))
                .isZero();
    }

    @Test
    void shouldApproximateLatencyPercentilesWithinTheHistogramError() throws Exception {
        JdbcSettings settings =
                AnalyticsTestSupport.freshDatabase(PG.postgres(), "analytics_latency", dir);
        List<Delivery> input = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < 1_000; i++) {
            Instant finalAt = NINE.plusMillis(i * 150L);
            long latency = 20 + (long) (random.nextDouble() * random.nextDouble() * 30_000);
            input.add(
                    delivery(
                            "lat-" + i,
                            "e-" + i,
                            "u" + i,
                            Channel.EMAIL,
                            null,
                            DeliveryStatus.SENT,
                            null,
                            finalAt.minusMillis(latency),
                            finalAt));
        }

        StreamExecutionEnvironment env = AnalyticsTestSupport.env(2);
        DeliveryAnalytics.attach(
                env.fromData(input).uid("test-deliveries").name("Test deliveries"), settings);
        env.execute("delivery latency test");

        List<Map<String, Object>> exact =
                AnalyticsTestSupport.rows(
                        settings,
                        "SELECT date_trunc('minute', final_at) AS minute, count(*) AS n,"
                                + " percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,"
                                + " percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,"
                                + " percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99"
                                + " FROM deliveries GROUP BY 1 ORDER BY 1");
        List<Map<String, Object>> approx =
                AnalyticsTestSupport.rows(
                        settings,
                        "SELECT minute, count AS n, latency_p50_ms AS p50,"
                                + " latency_p95_ms AS p95, latency_p99_ms AS p99"
                                + " FROM delivery_metrics_minute ORDER BY minute");
        assertThat(approx).hasSize(exact.size()).hasSizeGreaterThan(1);
        for (int i = 0; i < exact.size(); i++) {
            assertThat(approx.get(i).get("minute")).isEqualTo(exact.get(i).get("minute"));
            assertThat(approx.get(i).get("n")).isEqualTo(exact.get(i).get("n"));
            for (String p : List.of("p50", "p95", "p99")) {
                long e = (Long) exact.get(i).get(p);
                long a = (Long) approx.get(i).get(p);
                assertThat((double) Math.abs(a - e))
                        .as("%s of minute %s: %s vs exact %s", p, exact.get(i).get("minute"), a, e)
                        .isLessThanOrEqualTo(Math.max(1.0, e / 32.0));
            }
        }
    }

    @Test
    void shouldCountRecordsLaterThanTheAllowedLatenessAndKeepThemInTheTable() throws Exception {
        JdbcSettings settings =
                AnalyticsTestSupport.freshDatabase(PG.postgres(), "analytics_late", dir);
        List<Delivery> input =
                List.of(
                        sent("pause-after", NOON.plusSeconds(600)), // 12:10:00, then a pause
                        sent("too-late", NOON.plusSeconds(30)), // minute 12:00, > 1 min late
                        sent("late-within", NOON.plusSeconds(510)), // minute 12:08, re-fires
                        sent("on-time", NOON.plusSeconds(598))); // minute 12:09

        // One subtask throughout, and a pause after the first record: the periodic watermark
        // reaches 12:09:55 before the late ones arrive.
        StreamExecutionEnvironment env = AnalyticsTestSupport.env(1);
        DataStream<Delivery> deliveries =
                env.fromData(input)
                        .uid("test-deliveries")
                        .name("Test deliveries")
                        .map(new PauseAfter("pause-after", 1_500))
                        .uid("test-pause")
                        .name("Pause");
        DeliveryAnalytics.attach(deliveries, settings);
        JobExecutionResult result = env.execute("late deliveries test");

        assertThat(count(settings, "SELECT count(*) FROM deliveries")).isEqualTo(4);
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT to_char(minute AT TIME ZONE 'UTC', 'HH24:MI') AS minute,"
                                        + " count FROM delivery_metrics_minute ORDER BY 1"))
                .containsExactly(
                        Map.of("minute", "12:08", "count", 1L),
                        Map.of("minute", "12:09", "count", 1L),
                        Map.of("minute", "12:10", "count", 1L));
        assertThat(result.<Long>getAccumulatorResult(DeliveryMetricsFunctions.LATE_DROPPED))
                .isEqualTo(1L);
    }

    /** Deliveries over five minutes: every channel, status and the usual reasons. */
    private static List<Delivery> mixedDeliveries(int n) {
        Random random = new Random(42);
        List<Delivery> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // in finalAt order, with up to 2 s of disorder (below the 5 s bound)
            Instant finalAt = NINE.plusMillis(i * 750L + random.nextInt(2_000));
            Instant createdAt =
                    random.nextInt(10) == 0 ? null : finalAt.minusMillis(random.nextInt(5_000));
            int kind = random.nextInt(9);
            Delivery d;
            switch (kind) {
                case 0:
                case 1:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.PUSH,
                                    Platform.IOS,
                                    DeliveryStatus.SENT,
                                    null,
                                    createdAt,
                                    finalAt);
                    break;
                case 2:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.PUSH,
                                    Platform.ANDROID,
                                    DeliveryStatus.FAILED,
                                    "TOKEN_UNREGISTERED",
                                    createdAt,
                                    finalAt);
                    break;
                case 3:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.SMS,
                                    null,
                                    DeliveryStatus.SENT,
                                    null,
                                    createdAt,
                                    finalAt);
                    break;
                case 4:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.SMS,
                                    null,
                                    DeliveryStatus.SKIPPED,
                                    "OPTED_OUT",
                                    createdAt,
                                    finalAt);
                    break;
                case 5:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.EMAIL,
                                    null,
                                    DeliveryStatus.EXHAUSTED,
                                    "TIMEOUT",
                                    createdAt,
                                    finalAt);
                    break;
                case 6:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.EMAIL,
                                    null,
                                    DeliveryStatus.SENT,
                                    null,
                                    createdAt,
                                    finalAt);
                    break;
                case 7:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    "u" + i,
                                    Channel.PUSH,
                                    null,
                                    DeliveryStatus.SKIPPED,
                                    "THROTTLED",
                                    createdAt,
                                    finalAt);
                    break;
                default:
                    d =
                            delivery(
                                    "m" + i,
                                    "e" + i,
                                    null,
                                    null,
                                    null,
                                    DeliveryStatus.SKIPPED,
                                    "DUPLICATE_EVENT",
                                    createdAt,
                                    finalAt);
            }
            out.add(d);
        }
        return out;
    }

    private static Delivery sent(String id, Instant finalAt) {
        return delivery(
                id,
                "e-" + id,
                "u1",
                Channel.EMAIL,
                null,
                DeliveryStatus.SENT,
                null,
                finalAt.minusMillis(300),
                finalAt);
    }

    private static long count(JdbcSettings settings, String sql) throws Exception {
        Object n = AnalyticsTestSupport.rows(settings, sql).get(0).values().iterator().next();
        return ((Number) n).longValue();
    }

    /** Passes records through, sleeping after the one with the given id. */
    static final class PauseAfter implements MapFunction<Delivery, Delivery> {
        private static final long serialVersionUID = 1L;
        private final String id;
        private final long millis;

        PauseAfter(String id, long millis) {
            this.id = id;
            this.millis = millis;
        }

        @Override
        public Delivery map(Delivery d) throws InterruptedException {
            if (id.equals(d.notificationId())) {
                Thread.sleep(millis);
            }
            return d;
        }
    }
}
