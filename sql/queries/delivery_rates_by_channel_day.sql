-- Delivery and failure rate per channel and day (UTC), last 30 days.
--
-- notifications: every row of the channel that day; attempted: rows that reached a provider
-- (SENT, FAILED, EXHAUSTED); skipped rows (opt-outs, throttling, no contact) are not attempts.
-- delivery_rate_pct = sent / attempted, failure_rate_pct = (failed + exhausted) / attempted.
-- DUPLICATE_EVENT rows have no channel and are left out.
-- Run: psql "$NOTIFLOW_PSQL_URL" -f sql/queries/delivery_rates_by_channel_day.sql
SELECT
    (final_at AT TIME ZONE 'UTC')::date                                AS day,
    channel,
    count(*)                                                           AS notifications,
    count(*) FILTER (WHERE status <> 'SKIPPED')                        AS attempted,
    count(*) FILTER (WHERE status = 'SENT')                            AS sent,
    count(*) FILTER (WHERE status = 'FAILED')                          AS failed,
    count(*) FILTER (WHERE status = 'EXHAUSTED')                       AS exhausted,
    count(*) FILTER (WHERE status = 'SKIPPED')                         AS skipped,
    round(100.0 * count(*) FILTER (WHERE status = 'SENT')
          / NULLIF(count(*) FILTER (WHERE status <> 'SKIPPED'), 0), 2)   AS delivery_rate_pct,
    round(100.0 * count(*) FILTER (WHERE status IN ('FAILED', 'EXHAUSTED'))
          / NULLIF(count(*) FILTER (WHERE status <> 'SKIPPED'), 0), 2)   AS failure_rate_pct
FROM deliveries
WHERE final_at >= now() - interval '30 days'
  AND channel IS NOT NULL
GROUP BY day, channel
ORDER BY day, channel;
