-- V1: the delivery table, one row per notification (event x recipient x channel x device).
--
-- Written by dev.notiflow.jdbc.DeliveryTableSink with an upsert on notification_id: the JDBC
-- sink is at-least-once, and notification_id is a deterministic function of
-- (eventId, userId, channel, device), so a replayed record rewrites the same row.
-- Values use the topic contract's spelling: channel, provider, platform and priority in lower
-- case (push, apns, ios, high), status and reason in UPPER_SNAKE (SENT, TOKEN_UNREGISTERED).
-- No column holds a device token, phone number, email address or message body.

CREATE TABLE deliveries (
    notification_id     TEXT        NOT NULL PRIMARY KEY,
    event_id            TEXT        NOT NULL,
    user_id             TEXT,
    type                TEXT,
    category            TEXT,
    channel             TEXT,
    provider            TEXT,
    platform            TEXT,
    device              TEXT,
    status              TEXT        NOT NULL,
    reason              TEXT,
    detail              TEXT,
    attempts            INTEGER     NOT NULL DEFAULT 0,
    priority            TEXT,
    provider_message_id TEXT,
    created_at          TIMESTAMPTZ,
    received_at         TIMESTAMPTZ,
    first_attempt_at    TIMESTAMPTZ,
    final_at            TIMESTAMPTZ NOT NULL,
    latency_ms          BIGINT GENERATED ALWAYS AS (
                            (EXTRACT(EPOCH FROM (final_at - COALESCE(created_at, received_at)))
                                * 1000)::BIGINT) STORED,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

COMMENT ON TABLE deliveries IS
    'One final outcome per notification; upserted on notification_id by the notiflow job.';
COMMENT ON COLUMN deliveries.notification_id IS
    'Deterministic id: f(eventId, userId, channel, device); DUPLICATE_EVENT rows: f(eventId, source record).';
COMMENT ON COLUMN deliveries.channel IS 'push | sms | email; NULL for DUPLICATE_EVENT rows.';
COMMENT ON COLUMN deliveries.provider IS 'apns | fcm | twilio | smtp; NULL when no provider was chosen.';
COMMENT ON COLUMN deliveries.platform IS 'ios | android | web for push rows, else NULL.';
COMMENT ON COLUMN deliveries.device IS 'Short one-way hash of the device token (never the token).';
COMMENT ON COLUMN deliveries.status IS 'SENT | FAILED | EXHAUSTED | SKIPPED.';
COMMENT ON COLUMN deliveries.reason IS 'UPPER_SNAKE reason; NULL for SENT.';
COMMENT ON COLUMN deliveries.detail IS 'Provider wording or validation message, without PII.';
COMMENT ON COLUMN deliveries.attempts IS 'Send attempts made; 0 when nothing was sent.';
COMMENT ON COLUMN deliveries.created_at IS 'The event''s createdAt, when the producer gave one.';
COMMENT ON COLUMN deliveries.received_at IS 'When the event reached Kafka.';
COMMENT ON COLUMN deliveries.first_attempt_at IS 'First send attempt; NULL when nothing was sent.';
COMMENT ON COLUMN deliveries.final_at IS 'When the final outcome was decided.';
COMMENT ON COLUMN deliveries.latency_ms IS
    'final_at - COALESCE(created_at, received_at) in milliseconds; NULL when both are NULL.';
COMMENT ON COLUMN deliveries.updated_at IS
    'When the row last changed; a replay of an identical record leaves it as it was.';

-- A notification's history by event (sql/queries/notification_history.sql).
CREATE INDEX deliveries_event_id_idx ON deliveries (event_id);
-- Time-window scans and retention (DELETE ... WHERE final_at < ...).
CREATE INDEX deliveries_final_at_idx ON deliveries (final_at);
-- Per-channel rates and latency over a time window.
CREATE INDEX deliveries_channel_final_at_idx ON deliveries (channel, final_at);
-- Failure reasons and dead-token counts.
CREATE INDEX deliveries_status_reason_idx ON deliveries (status, reason);
