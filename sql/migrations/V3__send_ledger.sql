-- V3: the send ledger, one row per notification a provider accepted.
--
-- Written by dev.notiflow.sinks.ledger.LedgeredSender (when ledger.enabled is true) right after a
-- provider accepted a send, with INSERT ... ON CONFLICT DO NOTHING, and read before every send:
-- a notification found here is not sent again. After a crash, Flink re-fires the sends made since
-- the last checkpoint; the ledger turns those whose first attempt was accepted into no-ops, so
-- only sends still in flight at the crash (accepted, but not yet recorded) can repeat.
-- The ledger fails open: when the database is down or slow, sends go out without it.
-- No column holds a device token, phone number, email address or message body.
--
-- Retention: rows are needed only while a send can be replayed, i.e. within the dedupe window
-- (job option dedupe.ttl, which covers checkpoint replays and retry delays). Delete older rows
-- periodically, e.g. daily with a dedupe.ttl of 7 days:
--   DELETE FROM send_ledger WHERE sent_at < now() - INTERVAL '7 days';

CREATE TABLE send_ledger (
    notification_id     TEXT        NOT NULL PRIMARY KEY,
    provider            TEXT        NOT NULL,
    provider_message_id TEXT,
    sent_at             TIMESTAMPTZ NOT NULL
);

COMMENT ON TABLE send_ledger IS
    'Notifications a provider accepted; checked before each send so a replay does not send twice. Keep rows for dedupe.ttl.';
COMMENT ON COLUMN send_ledger.notification_id IS
    'Deterministic id: f(eventId, userId, channel, device), as in deliveries.notification_id.';
COMMENT ON COLUMN send_ledger.provider IS 'apns | fcm | twilio | smtp.';
COMMENT ON COLUMN send_ledger.provider_message_id IS
    'The provider''s id of the accepted message; NULL when the provider gives none.';
COMMENT ON COLUMN send_ledger.sent_at IS 'When the provider accepted the send.';

-- Retention deletes by age.
CREATE INDEX send_ledger_sent_at_idx ON send_ledger (sent_at);
