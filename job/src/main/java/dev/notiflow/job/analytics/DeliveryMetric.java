package dev.notiflow.job.analytics;

import java.time.Instant;

/**
 * One row of {@code delivery_metrics_minute}: the deliveries decided in one minute ({@code
 * finalAt}) with one set of dimensions, and their latency percentiles.
 *
 * <p>Immutable; a Flink POJO (record).
 *
 * @param minute start of the minute, UTC
 * @param count deliveries in the minute with these dimensions
 * @param latencyCount deliveries among them that had a latency
 * @param latencyP50Ms approximate median latency in ms, {@code null} when latencyCount is 0
 * @param latencyP95Ms approximate 95th percentile in ms, or {@code null}
 * @param latencyP99Ms approximate 99th percentile in ms, or {@code null}
 * @param latencyMaxMs exact largest latency in ms, or {@code null}
 */
public record DeliveryMetric(
        Instant minute,
        String channel,
        String provider,
        String category,
        String status,
        String reason,
        long count,
        long latencyCount,
        Long latencyP50Ms,
        Long latencyP95Ms,
        Long latencyP99Ms,
        Long latencyMaxMs) {

    /** The row of one window's result. */
    public static DeliveryMetric of(Instant minute, MetricKey key, LatencyHistogram h) {
        return new DeliveryMetric(
                minute,
                key.channel(),
                key.provider(),
                key.category(),
                key.status(),
                key.reason(),
                h.count,
                h.latencyCount,
                h.percentile(0.50),
                h.percentile(0.95),
                h.percentile(0.99),
                h.latencyCount == 0 ? null : h.latencyMax);
    }
}
