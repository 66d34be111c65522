-- End-to-end latency of sent notifications per channel, last 24 hours: p50, p95 and p99 in
-- milliseconds, exact (percentile_cont over the deliveries table, interpolated between rows).
-- latency_ms = final_at - COALESCE(created_at, received_at), i.e. from the producer's createdAt
-- (or arrival in Kafka) to the provider's acceptance. Scheduled sends (sendAt) count their wait.
-- For dashboards over longer ranges use delivery_metrics_minute (approximate, cheaper).
-- Run: psql "$NOTIFLOW_PSQL_URL" -f sql/queries/latency_percentiles_by_channel.sql
SELECT
    channel,
    count(*)                                                                    AS sent,
    round(percentile_cont(0.50) WITHIN GROUP (ORDER BY latency_ms))::bigint     AS p50_ms,
    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms))::bigint     AS p95_ms,
    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms))::bigint     AS p99_ms,
    max(latency_ms)                                                             AS max_ms
FROM deliveries
WHERE final_at >= now() - interval '24 hours'
  AND status = 'SENT'
  AND latency_ms IS NOT NULL
GROUP BY channel
ORDER BY channel;
