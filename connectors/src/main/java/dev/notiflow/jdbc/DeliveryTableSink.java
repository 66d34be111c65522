package dev.notiflow.jdbc;

import org.apache.flink.connector.jdbc.JdbcStatementBuilder;
import org.apache.flink.connector.jdbc.core.datastream.sink.JdbcSink;

import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The sink of the {@code deliveries} table (see {@code sql/migrations/V1__deliveries.sql}): one row
 * per {@link Delivery}, upserted on {@code notification_id}.
 *
 * <p>Flink's JDBC sink is at-least-once, so the statement is an {@code INSERT ... ON CONFLICT
 * (notification_id) DO UPDATE}: a record replayed after a restore rewrites its own row. The update
 * only happens when the incoming record was decided no earlier ({@code final_at}) and differs from
 * the row, so an identical replay changes nothing (not even {@code updated_at}) and two records for
 * one notification leave the later decision in place, whatever order they arrive in. Values are
 * bound as parameters of a prepared statement; nothing from a record ever becomes SQL.
 *
 * <p>Free text from providers ({@code detail}, {@code providerMessageId}) is written with U+0000
 * replaced by U+FFFD, since PostgreSQL refuses NUL in text. Ids are written as they are: the
 * parsers reject control characters in them, and an id changed on the way would no longer match the
 * topic.
 *
 * <p>{@link #rows(String)} with a {@link TableWriter} is how the delivery tables job writes: a row
 * PostgreSQL still refuses goes to the DLQ. {@link #create(JdbcSettings)} is Flink's plain JDBC
 * sink with the same statement (e.g. for a backfill), which fails on such a row.
 *
 * <pre>{@code
 * DataStream<DeadLetter> refused =
 *         deliveries
 *                 .transform("Deliveries table", TypeInformation.of(DeadLetter.class),
 *                         new TableWriter<>(settings, DeliveryTableSink.rows(deliveriesTopic)))
 *                 .uid("deliveries-table-sink");
 * }</pre>
 *
 * <p>Stateless and thread-safe; each sink subtask gets its own connection.
 */
public final class DeliveryTableSink {

    /** The upsert, with one parameter per column except the generated and default ones. */
    public static final String UPSERT_SQL =
            "INSERT INTO deliveries (notification_id, event_id, user_id, type, category, channel,"
                    + " provider, platform, device, status, reason, detail, attempts, priority,"
                    + " provider_message_id, created_at, received_at, first_attempt_at, final_at,"
                    + " locale)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (notification_id) DO UPDATE SET"
                    + " event_id = EXCLUDED.event_id, user_id = EXCLUDED.user_id,"
                    + " type = EXCLUDED.type, category = EXCLUDED.category,"
                    + " channel = EXCLUDED.channel, provider = EXCLUDED.provider,"
                    + " platform = EXCLUDED.platform, device = EXCLUDED.device,"
                    + " status = EXCLUDED.status, reason = EXCLUDED.reason,"
                    + " detail = EXCLUDED.detail, attempts = EXCLUDED.attempts,"
                    + " priority = EXCLUDED.priority,"
                    + " provider_message_id = EXCLUDED.provider_message_id,"
                    + " created_at = EXCLUDED.created_at, received_at = EXCLUDED.received_at,"
                    + " first_attempt_at = EXCLUDED.first_attempt_at,"
                    + " final_at = EXCLUDED.final_at, locale = EXCLUDED.locale,"
                    + " updated_at = now()"
                    + " WHERE EXCLUDED.final_at >= deliveries.final_at"
                    + " AND (deliveries.event_id, deliveries.user_id, deliveries.type,"
                    + " deliveries.category, deliveries.channel, deliveries.provider,"
                    + " deliveries.platform, deliveries.device, deliveries.status,"
                    + " deliveries.reason, deliveries.detail, deliveries.attempts,"
                    + " deliveries.priority, deliveries.provider_message_id,"
                    + " deliveries.created_at, deliveries.received_at,"
                    + " deliveries.first_attempt_at, deliveries.final_at, deliveries.locale)"
                    + " IS DISTINCT FROM (EXCLUDED.event_id, EXCLUDED.user_id, EXCLUDED.type,"
                    + " EXCLUDED.category, EXCLUDED.channel, EXCLUDED.provider,"
                    + " EXCLUDED.platform, EXCLUDED.device, EXCLUDED.status, EXCLUDED.reason,"
                    + " EXCLUDED.detail, EXCLUDED.attempts, EXCLUDED.priority,"
                    + " EXCLUDED.provider_message_id, EXCLUDED.created_at,"
                    + " EXCLUDED.received_at, EXCLUDED.first_attempt_at, EXCLUDED.final_at,"
                    + " EXCLUDED.locale)";

    private DeliveryTableSink() {}

    /** An at-least-once upsert sink into {@code deliveries}, batched as the settings say. */
    public static JdbcSink<Delivery> create(JdbcSettings settings) {
        return JdbcSink.<Delivery>builder()
                .withQueryStatement(UPSERT_SQL, new DeliveryStatementBuilder())
                .withExecutionOptions(settings.executionOptions())
                .buildAtLeastOnce(settings.connectionProvider());
    }

    /**
     * The delivery table for a {@link TableWriter}; a refused row becomes a dead letter with the
     * delivery as JSON, its ids, {@code key} = its notification id and {@code sourceTopic} = {@code
     * deliveriesTopic}.
     */
    public static TableWriter.Rows<Delivery> rows(String deliveriesTopic) {
        return new DeliveryRows(deliveriesTopic);
    }

    private static final class DeliveryRows implements TableWriter.Rows<Delivery> {

        private static final long serialVersionUID = 1L;

        private final String deliveriesTopic;

        DeliveryRows(String deliveriesTopic) {
            this.deliveriesTopic = deliveriesTopic;
        }

        @Override
        public String table() {
            return "deliveries";
        }

        @Override
        public String sql() {
            return UPSERT_SQL;
        }

        @Override
        public void bind(PreparedStatement statement, Delivery row) throws SQLException {
            DeliveryTableSink.bind(statement, row);
        }

        @Override
        public DeadLetter refused(Delivery d, String detail, Instant now) {
            return TableWriter.refusedRow(d, detail, deliveriesTopic, d, now);
        }
    }

    /** Binds one delivery to {@link #UPSERT_SQL}. Stateless. */
    static final class DeliveryStatementBuilder implements JdbcStatementBuilder<Delivery> {

        private static final long serialVersionUID = 1L;

        @Override
        public void accept(PreparedStatement ps, Delivery d) throws SQLException {
            bind(ps, d);
        }
    }

    /**
     * Binds one delivery to the parameters of {@link #UPSERT_SQL}, e.g. for a backfill through
     * plain JDBC.
     */
    public static void bind(PreparedStatement ps, Delivery d) throws SQLException {
        ps.setString(1, d.notificationId());
        ps.setString(2, d.eventId());
        ps.setString(3, d.userId());
        ps.setString(4, d.type());
        ps.setString(5, d.category());
        ps.setString(6, d.channel() == null ? null : d.channel().wireName());
        ps.setString(7, d.provider() == null ? null : d.provider().wireName());
        ps.setString(8, d.platform() == null ? null : d.platform().wireName());
        ps.setString(9, d.device());
        ps.setString(10, d.status() == null ? null : d.status().name());
        ps.setString(11, d.reason());
        ps.setString(12, freeText(d.detail()));
        ps.setInt(13, d.attempts());
        ps.setString(14, d.priority() == null ? null : d.priority().wireName());
        ps.setString(15, freeText(d.providerMessageId()));
        setInstant(ps, 16, d.createdAt());
        setInstant(ps, 17, d.receivedAt());
        setInstant(ps, 18, d.firstAttemptAt());
        setInstant(ps, 19, d.finalAt());
        ps.setString(20, d.locale());
    }

    /** Free text as PostgreSQL can store it: U+0000 replaced by U+FFFD. */
    static String freeText(String text) {
        return text == null || text.indexOf('\u0000') < 0 ? text : text.replace('\u0000', '\uFFFD');
    }

    /**
     * Binds an instant to a {@code TIMESTAMPTZ} parameter, or SQL NULL. The JDBC 4.2 way (setObject
     * with an OffsetDateTime) keeps the instant exact whatever the JVM's time zone.
     */
    public static void setInstant(PreparedStatement ps, int index, Instant instant)
            throws SQLException {
        if (instant == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, instant.atOffset(ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
        }
    }
}
