-- V2: per-minute delivery metrics, written by the job's event-time windows
-- (dev.notiflow.job.analytics.DeliveryAnalytics).
--
-- One row per minute of final_at and (channel, provider, category, status, reason); a missing
-- dimension is stored as '' so that it can be part of the primary key. Each window firing
-- upserts the whole minute's figures, so a late firing (allowed lateness: 1 minute) or a replay
-- after recovery replaces the row instead of adding to it.
-- Latency percentiles come from a log-linear histogram (relative error below 3.2 %); exact
-- figures come from the deliveries table, which stays the source of truth.

CREATE TABLE delivery_metrics_minute (
    minute          TIMESTAMPTZ NOT NULL,
    channel         TEXT        NOT NULL DEFAULT '',
    provider        TEXT        NOT NULL DEFAULT '',
    category        TEXT        NOT NULL DEFAULT '',
    status          TEXT        NOT NULL,
    reason          TEXT        NOT NULL DEFAULT '',
    count           BIGINT      NOT NULL,
    latency_count   BIGINT      NOT NULL DEFAULT 0,
    latency_p50_ms  BIGINT,
    latency_p95_ms  BIGINT,
    latency_p99_ms  BIGINT,
    latency_max_ms  BIGINT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (minute, channel, provider, category, status, reason)
);

COMMENT ON TABLE delivery_metrics_minute IS
    'Deliveries per minute of final_at and dimensions; upserted by the notiflow job.';
COMMENT ON COLUMN delivery_metrics_minute.minute IS 'Start of the minute (UTC) of final_at.';
COMMENT ON COLUMN delivery_metrics_minute.count IS 'Deliveries in the minute with these dimensions.';
COMMENT ON COLUMN delivery_metrics_minute.latency_count IS
    'Deliveries among count that had a latency (created_at or received_at known).';
COMMENT ON COLUMN delivery_metrics_minute.latency_p50_ms IS
    'Approximate median latency (ms), relative error below 3.2 %; NULL when latency_count = 0.';
COMMENT ON COLUMN delivery_metrics_minute.latency_max_ms IS 'Exact maximum latency (ms).';

-- Dashboards: one channel over a time range.
CREATE INDEX delivery_metrics_minute_channel_idx ON delivery_metrics_minute (channel, minute);
