package dev.notiflow.job.analytics;

import dev.notiflow.jdbc.DeliveryTableSink;
import dev.notiflow.jdbc.TableWriter;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Engagement;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;

/**
 * The table {@code engagement} (see {@code sql/migrations/V6__engagement.sql}) for a {@link
 * TableWriter}: one row per (notification, step) holding the first time of the step. The upsert
 * replaces a row only with an earlier report (earlier {@code at}, then earlier {@code receivedAt}),
 * so the table is the minimum over every report: a repeat, a replay after a restore, or the same
 * reports in any other order leave exactly the same rows ({@code updated_at} included). A refused
 * row becomes a dead letter with the row as JSON and the engagement topic as its source.
 *
 * <p>Stateless and thread-safe.
 */
public final class EngagementTable {

    /** The table's name. */
    public static final String TABLE = "engagement";

    /** The upsert; one parameter per column except {@code updated_at}. */
    public static final String UPSERT_SQL =
            "INSERT INTO engagement (notification_id, event, at, received_at, source)"
                    + " VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT (notification_id, event) DO UPDATE SET at = EXCLUDED.at,"
                    + " received_at = EXCLUDED.received_at, source = EXCLUDED.source,"
                    + " updated_at = now()"
                    + " WHERE (EXCLUDED.at, EXCLUDED.received_at)"
                    + " < (engagement.at, engagement.received_at)";

    private EngagementTable() {}

    /** The engagement table, read from {@code engagementTopic}, for a {@link TableWriter}. */
    public static TableWriter.Rows<Engagement> rows(String engagementTopic) {
        return new EngagementRows(engagementTopic);
    }

    private static final class EngagementRows implements TableWriter.Rows<Engagement> {

        private static final long serialVersionUID = 1L;

        private final String engagementTopic;

        EngagementRows(String engagementTopic) {
            this.engagementTopic = engagementTopic;
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
        public void bind(PreparedStatement ps, Engagement e) throws SQLException {
            ps.setString(1, e.notificationId());
            ps.setString(2, e.event().wireName());
            DeliveryTableSink.setInstant(ps, 3, e.at());
            DeliveryTableSink.setInstant(ps, 4, e.receivedAt());
            ps.setString(5, e.source());
        }

        @Override
        public DeadLetter refused(Engagement e, String detail, Instant now) {
            DeadLetter d = TableWriter.refusedRow(e, detail, engagementTopic, null, now);
            return new DeadLetter(
                    d.kind(),
                    d.reason(),
                    d.detail(),
                    d.sourceTopic(),
                    d.sourceRef(),
                    e.notificationId(),
                    d.payload(),
                    d.payloadBase64(),
                    null,
                    e.notificationId(),
                    null,
                    null,
                    d.failedAt());
        }
    }
}
