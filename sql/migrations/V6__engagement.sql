-- V6: engagement per notification, the end of the funnel sent -> delivered -> opened -> clicked.
--
-- Written by the delivery tables job (dev.notiflow.job.analytics.EngagementTable) from the topic
-- notification-engagement. One row per (notification, step) with the first time of the step: the
-- upsert replaces a row only with an earlier report (at, then received_at), so a repeated report,
-- a replay of the topic, or the same reports in another order leave the same rows.
--
-- A table of its own rather than columns on deliveries: a report may arrive before its
-- notification's delivery row exists (the two topics are read independently, and a device can
-- report "delivered" before the sending job's Kafka transaction commits), and an UPDATE of a row
-- that does not exist yet would lose it; deliveries' NOT NULL columns (event_id, status,
-- final_at) forbid inserting a placeholder row. Here every report lands, and the funnel query
-- joins the two tables. The delivery upsert, which rewrites its row on replay, cannot clobber
-- engagement either. No foreign key, for the same reason.
-- No column holds a device token, phone number, email address or message body.

CREATE TABLE engagement (
    notification_id TEXT        NOT NULL,
    event           TEXT        NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    source          TEXT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, event)
);

COMMENT ON TABLE engagement IS
    'First time of each engagement step per notification; upserted (earliest wins) by the delivery tables job.';
COMMENT ON COLUMN engagement.notification_id IS 'deliveries.notification_id of the notification.';
COMMENT ON COLUMN engagement.event IS 'delivered | opened | clicked | dismissed.';
COMMENT ON COLUMN engagement.at IS
    'Earliest time reported for the step: the device''s time, or received_at when it gave none.';
COMMENT ON COLUMN engagement.received_at IS 'When the gateway received that earliest report.';
COMMENT ON COLUMN engagement.source IS 'Who reported it, e.g. gateway.';
COMMENT ON COLUMN engagement.updated_at IS
    'When the row last changed; a repeat or replay leaves it as it was.';

-- Retention by age and time-window scans.
CREATE INDEX engagement_at_idx ON engagement (at);
