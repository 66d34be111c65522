package dev.notiflow.job.analytics;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;

import dev.notiflow.jdbc.DeliveryTableSink;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.TableWriter;
import dev.notiflow.job.JobOptions;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;

import java.time.Duration;

/**
 * Writes the final deliveries to PostgreSQL for analysts: every record into {@code deliveries}, and
 * per-minute counts and latency percentiles into {@code delivery_metrics_minute}. It is the
 * topology of {@link dev.notiflow.job.DeliveryTablesJob}, fed by the committed deliveries topic;
 * the sending job has no database sink.
 *
 * <pre>{@code
 * if (JdbcOptions.enabled(config)) {
 *     DataStream<DeadLetter> refused =
 *             DeliveryAnalytics.attach(deliveries, JdbcOptions.settings(config), deliveriesTopic);
 *     refused.sinkTo(dlqSink);
 * }
 * }</pre>
 *
 * <p>Operators, each with a stable uid (see the constants):
 *
 * <ul>
 *   <li>{@value #TABLE_SINK_UID}: upsert of every delivery on {@code notification_id} (a {@link
 *       TableWriter});
 *   <li>{@value #WATERMARKS_UID}: event time = {@code finalAt}, watermarks {@value
 *       #OUT_OF_ORDERNESS_SECONDS} s behind the largest seen, a subtask idle for {@value
 *       #IDLENESS_SECONDS} s stops holding the watermark back;
 *   <li>{@value #WINDOW_UID}: keyed by (channel, provider, category, status, reason), tumbling
 *       one-minute event-time windows with {@value #ALLOWED_LATENESS_SECONDS} s allowed lateness: a
 *       record late by less re-fires its window, and the sink replaces the row;
 *   <li>{@value #LATE_UID}: records later than that are counted in the metric {@value
 *       DeliveryMetricsFunctions#LATE_DROPPED} and left out of the minute table; they are still in
 *       {@code deliveries}, which remains the source of truth (recompute a minute from it if
 *       needed);
 *   <li>{@value #METRICS_SINK_UID}: upsert of each window result (a {@link TableWriter});
 *   <li>{@code "Sink Committer: deliveries-table-sink"} and {@code "Sink Committer:
 *       delivery-metrics-sink"}: each writer's refused rows pass through a {@link
 *       JdbcCommitterPlace}, which holds the uid of the committer of release 0.1's JDBC sink, so
 *       that release's savepoints restore with all their state claimed.
 * </ul>
 *
 * <p>Both writers are at-least-once upserts, so replays after a restore rewrite the same rows. A
 * row the database refuses for its content (SQLState class 22 or 23) is returned as a dead letter
 * (kind {@value DeadLetter#TABLE}, reason {@value TableWriter#ROW_REFUSED}) and the other rows are
 * written; a flush that keeps failing otherwise ({@link JdbcSettings#maxRetries()}) fails the task
 * and restarts the job from its last checkpoint; while the database is unreachable the writers wait
 * for the connection instead. Stateless; call it while building the topology.
 */
public final class DeliveryAnalytics {

    public static final String TABLE_SINK_UID = "deliveries-table-sink";
    public static final String WATERMARKS_UID = "delivery-metrics-watermarks";
    public static final String WINDOW_UID = "delivery-metrics-window";
    public static final String LATE_UID = "delivery-metrics-late";
    public static final String METRICS_SINK_UID = "delivery-metrics-sink";

    /**
     * The uids of the committers of release 0.1's JDBC sinks, held by {@link JdbcCommitterPlace} so
     * that release's savepoints restore.
     */
    public static final String TABLE_SINK_COMMITTER_UID = JdbcCommitterPlace.uidOf(TABLE_SINK_UID);

    public static final String METRICS_SINK_COMMITTER_UID =
            JdbcCommitterPlace.uidOf(METRICS_SINK_UID);

    public static final long OUT_OF_ORDERNESS_SECONDS = 5;
    public static final long IDLENESS_SECONDS = 60;
    public static final long ALLOWED_LATENESS_SECONDS = 60;

    /** Deliveries that came after their minute's allowed lateness. */
    public static final OutputTag<Delivery> TOO_LATE =
            new OutputTag<>("delivery-metrics-too-late") {};

    private DeliveryAnalytics() {}

    /**
     * {@link #attach(DataStream, JdbcSettings, String)} for deliveries read from the default
     * deliveries topic.
     */
    public static DataStream<DeadLetter> attach(
            DataStream<Delivery> deliveries, JdbcSettings settings) {
        return attach(deliveries, settings, JobOptions.TOPIC_DELIVERIES.defaultValue());
    }

    /**
     * Adds the delivery table and the per-minute metrics to the topology of {@code deliveries},
     * read from {@code deliveriesTopic}; returns the rows either table refused, as dead letters.
     */
    public static DataStream<DeadLetter> attach(
            DataStream<Delivery> deliveries, JdbcSettings settings, String deliveriesTopic) {
        TypeInformation<DeadLetter> deadLetters = TypeInformation.of(DeadLetter.class);
        DataStream<DeadLetter> refusedDeliveries =
                deliveries
                        .transform(
                                "Deliveries table (PostgreSQL)",
                                deadLetters,
                                new TableWriter<>(
                                        settings, DeliveryTableSink.rows(deliveriesTopic)))
                        .uid(TABLE_SINK_UID)
                        .map(new JdbcCommitterPlace())
                        .uid(TABLE_SINK_COMMITTER_UID)
                        .name("Refused deliveries (JDBC committer's place)");

        SingleOutputStreamOperator<DeliveryMetric> perMinute =
                deliveries
                        .assignTimestampsAndWatermarks(
                                WatermarkStrategy.<Delivery>forBoundedOutOfOrderness(
                                                Duration.ofSeconds(OUT_OF_ORDERNESS_SECONDS))
                                        .withTimestampAssigner(
                                                new DeliveryMetricsFunctions.FinalAtTimestamps())
                                        .withIdleness(Duration.ofSeconds(IDLENESS_SECONDS)))
                        .uid(WATERMARKS_UID)
                        .name("Delivery event time (finalAt)")
                        .keyBy(new MetricKey.Selector())
                        .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
                        .allowedLateness(Duration.ofSeconds(ALLOWED_LATENESS_SECONDS))
                        .sideOutputLateData(TOO_LATE)
                        .aggregate(
                                new DeliveryMetricsFunctions.CountAndLatency(),
                                new DeliveryMetricsFunctions.ToDeliveryMetric())
                        .uid(WINDOW_UID)
                        .name("Delivery metrics per minute");

        perMinute
                .getSideOutput(TOO_LATE)
                .process(new DeliveryMetricsFunctions.LateDeliveryCounter())
                .uid(LATE_UID)
                .name("Count deliveries too late for metrics");

        DataStream<DeadLetter> refusedMetrics =
                perMinute
                        .transform(
                                "Delivery metrics table (PostgreSQL)",
                                deadLetters,
                                new TableWriter<>(
                                        settings, DeliveryMetricsSink.rows(deliveriesTopic)))
                        .uid(METRICS_SINK_UID)
                        .map(new JdbcCommitterPlace())
                        .uid(METRICS_SINK_COMMITTER_UID)
                        .name("Refused metrics (JDBC committer's place)");
        return refusedDeliveries.union(refusedMetrics);
    }
}
