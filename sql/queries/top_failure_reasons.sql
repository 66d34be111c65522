-- Top 20 failure reasons, last 7 days: permanent failures (FAILED) and retries run out
-- (EXHAUSTED), per channel and provider, with each reason's share of all failures.
-- Run: psql "$NOTIFLOW_PSQL_URL" -f sql/queries/top_failure_reasons.sql
SELECT
    channel,
    provider,
    status,
    reason,
    count(*)                                                   AS failures,
    count(DISTINCT user_id)                                    AS users,
    round(100.0 * count(*) / sum(count(*)) OVER (), 2)         AS share_of_failures_pct
FROM deliveries
WHERE final_at >= now() - interval '7 days'
  AND status IN ('FAILED', 'EXHAUSTED')
GROUP BY channel, provider, status, reason
ORDER BY failures DESC, channel, provider, status, reason
LIMIT 20;
