-- Opt-out and throttle rates per channel, last 30 days, as a share of all the channel's
-- notifications: opted_out = the user turned the channel off (OPTED_OUT) or the event's
-- category (CATEGORY_OPTED_OUT); throttled = over the per-user, per-channel limit (THROTTLED).
-- Run: psql "$NOTIFLOW_PSQL_URL" -f sql/queries/opt_out_and_throttle_rates.sql
SELECT
    channel,
    count(*)                                                                   AS notifications,
    count(*) FILTER (WHERE reason = 'OPTED_OUT')                               AS channel_opt_outs,
    count(*) FILTER (WHERE reason = 'CATEGORY_OPTED_OUT')                      AS category_opt_outs,
    count(*) FILTER (WHERE reason = 'THROTTLED')                               AS throttled,
    round(100.0 * count(*) FILTER (WHERE reason IN ('OPTED_OUT', 'CATEGORY_OPTED_OUT'))
          / count(*), 2)                                                       AS opt_out_rate_pct,
    round(100.0 * count(*) FILTER (WHERE reason = 'THROTTLED') / count(*), 2)  AS throttle_rate_pct
FROM deliveries
WHERE final_at >= now() - interval '30 days'
  AND channel IS NOT NULL
GROUP BY channel
ORDER BY channel;
