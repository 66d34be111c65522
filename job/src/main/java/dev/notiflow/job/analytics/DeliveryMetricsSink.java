package dev.notiflow.job.analytics;

import org.apache.flink.connector.jdbc.JdbcStatementBuilder;
import org.apache.flink.connector.jdbc.core.datastream.sink.JdbcSink;

import dev.notiflow.jdbc.DeliveryTableSink;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.TableWriter;
import dev.notiflow.model.DeadLetter;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/**
 * The sink of {@code delivery_metrics_minute} (see {@code
 * sql/migrations/V2__delivery_metrics.sql}): an upsert on (minute, channel, provider, category,
 * status, reason) that replaces the figures, because every window firing carries the whole minute.
 * At-least-once like every JDBC sink here; a replay rewrites the same rows. Prepared statements
 * only. {@link #rows()} is the table for a {@link TableWriter}: a row the database refuses (e.g. a
 * category with U+0000 that reached the job some other way) becomes a dead letter with the row as
 * JSON, the table's name first in its detail, and {@code sourceTopic} the deliveries topic.
 *
 * <p>Stateless and thread-safe.
 */
public final class DeliveryMetricsSink {

    /** The upsert; one parameter per column except {@code updated_at}. */
    public static final String UPSERT_SQL =
            "INSERT INTO delivery_metrics_minute (minute, channel, provider, category, status,"
                    + " reason, count, latency_count, latency_p50_ms, latency_p95_ms,"
                    + " latency_p99_ms, latency_max_ms)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (minute, channel, provider, category, status, reason)"
                    + " DO UPDATE SET count = EXCLUDED.count,"
                    + " latency_count = EXCLUDED.latency_count,"
                    + " latency_p50_ms = EXCLUDED.latency_p50_ms,"
                    + " latency_p95_ms = EXCLUDED.latency_p95_ms,"
                    + " latency_p99_ms = EXCLUDED.latency_p99_ms,"
                    + " latency_max_ms = EXCLUDED.latency_max_ms, updated_at = now()";

    /** The table's name. */
    public static final String TABLE = "delivery_metrics_minute";

    private DeliveryMetricsSink() {}

    /**
     * The per-minute metrics table, computed from {@code deliveriesTopic}, for a {@link
     * TableWriter}.
     */
    public static TableWriter.Rows<DeliveryMetric> rows(String deliveriesTopic) {
        return new MetricRows(deliveriesTopic);
    }

    private static final class MetricRows implements TableWriter.Rows<DeliveryMetric> {

        private static final long serialVersionUID = 1L;

        private final MetricStatementBuilder binder = new MetricStatementBuilder();
        private final String deliveriesTopic;

        MetricRows(String deliveriesTopic) {
            this.deliveriesTopic = deliveriesTopic;
        }

        @Override
        public String table() {
            return TABLE;
        }

        @Override
        public String sql() {
            return UPSERT_SQL;
        }

        @Override
        public void bind(PreparedStatement statement, DeliveryMetric row) throws SQLException {
            binder.accept(statement, row);
        }

        @Override
        public DeadLetter refused(DeliveryMetric m, String detail, Instant now) {
            return TableWriter.refusedRow(m, detail, deliveriesTopic, null, now);
        }
    }

    /** An at-least-once upsert sink into {@code delivery_metrics_minute}. */
    public static JdbcSink<DeliveryMetric> create(JdbcSettings settings) {
        return JdbcSink.<DeliveryMetric>builder()
                .withQueryStatement(UPSERT_SQL, new MetricStatementBuilder())
                .withExecutionOptions(settings.executionOptions())
                .buildAtLeastOnce(settings.connectionProvider());
    }

    /** Binds one metric row to {@link #UPSERT_SQL}. Stateless. */
    static final class MetricStatementBuilder implements JdbcStatementBuilder<DeliveryMetric> {
        private static final long serialVersionUID = 1L;

        @Override
        public void accept(PreparedStatement ps, DeliveryMetric m) throws SQLException {
            DeliveryTableSink.setInstant(ps, 1, m.minute());
            ps.setString(2, m.channel());
            ps.setString(3, m.provider());
            ps.setString(4, m.category());
            ps.setString(5, m.status());
            ps.setString(6, m.reason());
            ps.setLong(7, m.count());
            ps.setLong(8, m.latencyCount());
            setLong(ps, 9, m.latencyP50Ms());
            setLong(ps, 10, m.latencyP95Ms());
            setLong(ps, 11, m.latencyP99Ms());
            setLong(ps, 12, m.latencyMaxMs());
        }

        private static void setLong(PreparedStatement ps, int index, Long value)
                throws SQLException {
            if (value == null) {
                ps.setNull(index, Types.BIGINT);
            } else {
                ps.setLong(index, value);
            }
        }
    }
}
