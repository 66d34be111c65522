package dev.notiflow.job.analytics;

import dev.notiflow.jdbc.DeliveryTableSink;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.notiflow.job.analytics.AnalyticsTestSupport.delivery;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every file in {@code sql/queries} against a known set of deliveries in a real PostgreSQL. The
 * data sits at fixed distances from now, because the queries look back over 24 hours, 7 or 30 days.
 */
class AnalystQueriesITCase {

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Path QUERIES = queriesDir();

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    /** Three days ago, 10:00 UTC: inside 7 and 30 days, outside 24 hours. */
    private static final Instant DAY_A =
            NOW.truncatedTo(ChronoUnit.DAYS).minus(3, ChronoUnit.DAYS).plus(10, ChronoUnit.HOURS);

    /** Two days ago, 10:00 UTC. */
    private static final Instant DAY_B = DAY_A.plus(1, ChronoUnit.DAYS);

    /** An hour ago: inside every window. */
    private static final Instant RECENT = NOW.minus(1, ChronoUnit.HOURS);

    /** Forty days ago: outside every window. */
    private static final Instant OLD = NOW.minus(40, ChronoUnit.DAYS);

    private static JdbcSettings settings;
    private static int next;

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        settings = AnalyticsTestSupport.freshDatabase(PG.postgres(), "analyst_queries", dir);
        List<Delivery> rows = new ArrayList<>();
        // event order-42, user u1: push sent, SMS opted out, then a repeat of the event
        rows.add(
                new Delivery(
                        "h-push",
                        "order-42",
                        "u1",
                        "order.shipped",
                        "order",
                        Channel.PUSH,
                        dev.notiflow.model.Provider.APNS,
                        Platform.IOS,
                        "dev-h-push",
                        DeliveryStatus.SENT,
                        null,
                        null,
                        1,
                        dev.notiflow.model.Priority.HIGH,
                        "apns-1",
                        DAY_A.minusMillis(500),
                        DAY_A.minusMillis(400),
                        DAY_A.minusMillis(30),
                        DAY_A));
        rows.add(
                new Delivery(
                        "h-sms",
                        "order-42",
                        "u1",
                        "order.shipped",
                        "order",
                        Channel.SMS,
                        null,
                        null,
                        null,
                        DeliveryStatus.SKIPPED,
                        "OPTED_OUT",
                        null,
                        0,
                        dev.notiflow.model.Priority.HIGH,
                        null,
                        DAY_A.minusMillis(500),
                        DAY_A.minusMillis(400),
                        null,
                        DAY_A.plusSeconds(1)));
        rows.add(
                new Delivery(
                        "h-dup",
                        "order-42",
                        null,
                        "order.shipped",
                        "order",
                        null,
                        null,
                        null,
                        null,
                        DeliveryStatus.SKIPPED,
                        "DUPLICATE_EVENT",
                        null,
                        0,
                        dev.notiflow.model.Priority.HIGH,
                        null,
                        DAY_A.minusMillis(500),
                        DAY_B.minusMillis(100),
                        null,
                        DAY_B));
        // day A, push: 3 sent (one is h-push), 2 dead tokens, 1 throttled
        add(rows, 2, Channel.PUSH, Platform.IOS, DeliveryStatus.SENT, null, DAY_A);
        add(
                rows,
                1,
                Channel.PUSH,
                Platform.ANDROID,
                DeliveryStatus.FAILED,
                "TOKEN_UNREGISTERED",
                DAY_A);
        add(rows, 1, Channel.PUSH, Platform.IOS, DeliveryStatus.FAILED, "BAD_DEVICE_TOKEN", DAY_A);
        add(rows, 1, Channel.PUSH, null, DeliveryStatus.SKIPPED, "THROTTLED", DAY_A);
        // day A, SMS: 1 sent, 1 exhausted, 2 opted out (one is h-sms)
        add(rows, 1, Channel.SMS, null, DeliveryStatus.SENT, null, DAY_A);
        add(rows, 1, Channel.SMS, null, DeliveryStatus.EXHAUSTED, "PROVIDER_UNAVAILABLE", DAY_A);
        add(rows, 1, Channel.SMS, null, DeliveryStatus.SKIPPED, "OPTED_OUT", DAY_A);
        // day B, email: 2 sent, 1 invalid contact, 1 category opt-out; push: 1 dead token
        add(rows, 2, Channel.EMAIL, null, DeliveryStatus.SENT, null, DAY_B);
        add(rows, 1, Channel.EMAIL, null, DeliveryStatus.FAILED, "INVALID_CONTACT", DAY_B);
        add(rows, 1, Channel.EMAIL, null, DeliveryStatus.SKIPPED, "CATEGORY_OPTED_OUT", DAY_B);
        add(
                rows,
                1,
                Channel.PUSH,
                Platform.ANDROID,
                DeliveryStatus.FAILED,
                "TOKEN_UNREGISTERED",
                DAY_B);
        // an hour ago: email sent with latencies 100, 200, 300, 400, 1000 ms; push sent in 50 ms
        for (long latency : new long[] {100, 200, 300, 400, 1_000}) {
            rows.add(sentWithLatency(Channel.EMAIL, null, latency));
        }
        rows.add(sentWithLatency(Channel.PUSH, Platform.IOS, 50));
        // forty days ago: outside every window
        add(
                rows,
                3,
                Channel.PUSH,
                Platform.ANDROID,
                DeliveryStatus.FAILED,
                "TOKEN_UNREGISTERED",
                OLD);
        add(rows, 2, Channel.EMAIL, null, DeliveryStatus.SENT, null, OLD);

        try (Connection c = AnalyticsTestSupport.connect(settings);
                PreparedStatement ps = c.prepareStatement(DeliveryTableSink.UPSERT_SQL)) {
            for (Delivery d : rows) {
                DeliveryTableSink.bind(ps, d);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Test
    void shouldHaveATestForEveryQueryFileAndEachIsOneCommentedSelect() throws IOException {
        List<String> files;
        try (Stream<Path> list = Files.list(QUERIES)) {
            files = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(files)
                .containsExactly(
                        "dead_tokens.sql",
                        "delivery_rates_by_channel_day.sql",
                        "engagement_funnel.sql",
                        "latency_percentiles_by_channel.sql",
                        "notification_history.sql",
                        "opt_out_and_throttle_rates.sql",
                        "top_failure_reasons.sql");
        for (String file : files) {
            String sql = Files.readString(QUERIES.resolve(file), StandardCharsets.UTF_8);
            assertThat(sql).as(file).startsWith("-- ").contains("-- Run: psql");
            String code = withoutComments(sql).strip();
            assertThat(code).as(file).startsWith("SELECT").endsWith(";");
            assertThat(code.indexOf(';')).as(file).isEqualTo(code.length() - 1);
        }
    }

    @Test
    void shouldReportDeliveryAndFailureRatePerChannelAndDay() throws Exception {
        LocalDate a = day(DAY_A);
        LocalDate b = day(DAY_B);
        LocalDate recent = day(RECENT);

        assertThat(run("delivery_rates_by_channel_day.sql"))
                .containsExactly(
                        rates(a, "push", 6, 5, 3, 2, 0, 1, "60.00", "40.00"),
                        rates(a, "sms", 4, 2, 1, 0, 1, 2, "50.00", "50.00"),
                        rates(b, "email", 4, 3, 2, 1, 0, 1, "66.67", "33.33"),
                        rates(b, "push", 1, 1, 0, 1, 0, 0, "0.00", "100.00"),
                        rates(recent, "email", 5, 5, 5, 0, 0, 0, "100.00", "0.00"),
                        rates(recent, "push", 1, 1, 1, 0, 0, 0, "100.00", "0.00"));
    }

    @Test
    void shouldRankFailureReasonsOfTheLastWeek() throws Exception {
        assertThat(run("top_failure_reasons.sql"))
                .extracting(
                        r -> r.get("channel"),
                        r -> r.get("provider"),
                        r -> r.get("status"),
                        r -> r.get("reason"),
                        r -> r.get("failures"),
                        r -> r.get("share_of_failures_pct"))
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "push", "fcm", "FAILED", "TOKEN_UNREGISTERED", 2L, pct("40.00")),
                        org.assertj.core.groups.Tuple.tuple(
                                "email", "smtp", "FAILED", "INVALID_CONTACT", 1L, pct("20.00")),
                        org.assertj.core.groups.Tuple.tuple(
                                "push", "apns", "FAILED", "BAD_DEVICE_TOKEN", 1L, pct("20.00")),
                        org.assertj.core.groups.Tuple.tuple(
                                "sms",
                                "twilio",
                                "EXHAUSTED",
                                "PROVIDER_UNAVAILABLE",
                                1L,
                                pct("20.00")));
    }

    @Test
    void shouldComputeExactLatencyPercentilesPerChannel() throws Exception {
        assertThat(run("latency_percentiles_by_channel.sql"))
                .containsExactly(
                        row(
                                "channel", "email", "sent", 5L, "p50_ms", 300L, "p95_ms", 880L,
                                "p99_ms", 976L, "max_ms", 1_000L),
                        row(
                                "channel", "push", "sent", 1L, "p50_ms", 50L, "p95_ms", 50L,
                                "p99_ms", 50L, "max_ms", 50L));
    }

    @Test
    void shouldReportOptOutAndThrottleRatesPerChannel() throws Exception {
        assertThat(run("opt_out_and_throttle_rates.sql"))
                .containsExactly(
                        row(
                                "channel",
                                "email",
                                "notifications",
                                9L,
                                "channel_opt_outs",
                                0L,
                                "category_opt_outs",
                                1L,
                                "throttled",
                                0L,
                                "opt_out_rate_pct",
                                pct("11.11"),
                                "throttle_rate_pct",
                                pct("0.00")),
                        row(
                                "channel",
                                "push",
                                "notifications",
                                8L,
                                "channel_opt_outs",
                                0L,
                                "category_opt_outs",
                                0L,
                                "throttled",
                                1L,
                                "opt_out_rate_pct",
                                pct("0.00"),
                                "throttle_rate_pct",
                                pct("12.50")),
                        row(
                                "channel",
                                "sms",
                                "notifications",
                                4L,
                                "channel_opt_outs",
                                2L,
                                "category_opt_outs",
                                0L,
                                "throttled",
                                0L,
                                "opt_out_rate_pct",
                                pct("50.00"),
                                "throttle_rate_pct",
                                pct("0.00")));
    }

    @Test
    void shouldCountDeadTokensPerProviderAndPlatform() throws Exception {
        assertThat(run("dead_tokens.sql"))
                .containsExactly(
                        row(
                                "provider",
                                "fcm",
                                "platform",
                                "android",
                                "token_unregistered",
                                2L,
                                "bad_device_token",
                                0L,
                                "dead_token_failures",
                                2L,
                                "devices",
                                2L,
                                "users",
                                2L),
                        row(
                                "provider",
                                "apns",
                                "platform",
                                "ios",
                                "token_unregistered",
                                0L,
                                "bad_device_token",
                                1L,
                                "dead_token_failures",
                                1L,
                                "devices",
                                1L,
                                "users",
                                1L));
    }

    @Test
    void shouldListOneEventsHistoryInDecisionOrder() throws Exception {
        List<Map<String, Object>> history = run("notification_history.sql", "order-42");

        assertThat(history)
                .extracting(
                        r -> r.get("notification_id"),
                        r -> r.get("channel"),
                        r -> r.get("status"),
                        r -> r.get("reason"),
                        r -> r.get("latency_ms"))
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("h-push", "push", "SENT", null, 500L),
                        org.assertj.core.groups.Tuple.tuple(
                                "h-sms", "sms", "SKIPPED", "OPTED_OUT", 1_500L),
                        org.assertj.core.groups.Tuple.tuple(
                                "h-dup",
                                null,
                                "SKIPPED",
                                "DUPLICATE_EVENT",
                                DAY_B.toEpochMilli() - DAY_A.minusMillis(500).toEpochMilli()));
        assertThat(run("notification_history.sql", "no-such-event")).isEmpty();
        // the parameter is bound, never spliced into the SQL
        assertThat(run("notification_history.sql", "x' OR '1'='1")).isEmpty();
    }

    /** Runs a query file; its psql variable :'event_id' becomes a bound parameter. */
    private static List<Map<String, Object>> run(String file, Object... params) throws Exception {
        String sql = Files.readString(QUERIES.resolve(file), StandardCharsets.UTF_8);
        String jdbcSql = sql.replace(":'event_id'", "?").strip();
        if (jdbcSql.endsWith(";")) {
            jdbcSql = jdbcSql.substring(0, jdbcSql.length() - 1);
        }
        return AnalyticsTestSupport.rows(settings, jdbcSql, params);
    }

    private static void add(
            List<Delivery> rows,
            int count,
            Channel channel,
            Platform platform,
            DeliveryStatus status,
            String reason,
            Instant at) {
        for (int i = 0; i < count; i++) {
            String id = "d" + (next++);
            rows.add(
                    delivery(
                            id,
                            "e-" + id,
                            "u-" + id,
                            channel,
                            platform,
                            status,
                            reason,
                            at.minusSeconds(2),
                            at.plusMillis(i)));
        }
    }

    private static Delivery sentWithLatency(Channel channel, Platform platform, long latencyMs) {
        String id = "d" + (next++);
        return delivery(
                id,
                "e-" + id,
                "u-" + id,
                channel,
                platform,
                DeliveryStatus.SENT,
                null,
                RECENT.minusMillis(latencyMs),
                RECENT);
    }

    private static Map<String, Object> rates(
            LocalDate day,
            String channel,
            long notifications,
            long attempted,
            long sent,
            long failed,
            long exhausted,
            long skipped,
            String deliveryRate,
            String failureRate) {
        return row(
                "day", java.sql.Date.valueOf(day),
                "channel", channel,
                "notifications", notifications,
                "attempted", attempted,
                "sent", sent,
                "failed", failed,
                "exhausted", exhausted,
                "skipped", skipped,
                "delivery_rate_pct", pct(deliveryRate),
                "failure_rate_pct", pct(failureRate));
    }

    private static Map<String, Object> row(Object... keyValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            row.put((String) keyValues[i], keyValues[i + 1]);
        }
        return row;
    }

    private static BigDecimal pct(String value) {
        return new BigDecimal(value);
    }

    private static LocalDate day(Instant t) {
        return t.atOffset(ZoneOffset.UTC).toLocalDate();
    }

    private static String withoutComments(String sql) {
        return String.join(
                "\n",
                Arrays.stream(sql.split("\n")).filter(l -> !l.strip().startsWith("--")).toList());
    }

    private static Path queriesDir() {
        Path dir = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path candidate = p.resolve("sql/queries");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("sql/queries not found above " + dir);
    }
}
