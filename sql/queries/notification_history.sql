-- Everything that happened to one event: one row per recipient, channel and device, plus a
-- DUPLICATE_EVENT row for each repeat of the eventId, in the order the outcomes were decided.
-- Parameter: event_id (psql variable).
-- Run: psql "$NOTIFLOW_PSQL_URL" -v event_id=order-123-shipped -f sql/queries/notification_history.sql
-- (From JDBC, replace :'event_id' with ? and bind the id; never paste it into the SQL.)
SELECT
    notification_id,
    user_id,
    channel,
    provider,
    platform,
    device,
    status,
    reason,
    detail,
    attempts,
    priority,
    provider_message_id,
    created_at,
    received_at,
    first_attempt_at,
    final_at,
    latency_ms
FROM deliveries
WHERE event_id = :'event_id'
ORDER BY final_at, user_id NULLS FIRST, channel, device, notification_id;
