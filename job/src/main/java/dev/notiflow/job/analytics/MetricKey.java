package dev.notiflow.job.analytics;

import org.apache.flink.api.java.functions.KeySelector;

import dev.notiflow.model.Delivery;

/**
 * The dimensions of one row of {@code delivery_metrics_minute}, as stored: channel, provider and
 * category in the topic's lower-case spelling, status and reason in UPPER_SNAKE, and {@code ""} for
 * a missing value (it is part of the table's primary key).
 *
 * <p>Only strings, so the key hashes the same in every JVM (an enum's hash code does not).
 * Immutable; a Flink POJO (record).
 */
public record MetricKey(
        String channel, String provider, String category, String status, String reason) {

    /** The key of one delivery. */
    public static MetricKey of(Delivery d) {
        return new MetricKey(
                d.channel() == null ? "" : d.channel().wireName(),
                d.provider() == null ? "" : d.provider().wireName(),
                d.category() == null ? "" : d.category(),
                d.status() == null ? "" : d.status().name(),
                d.reason() == null ? "" : d.reason());
    }

    /** Keys deliveries by {@link #of(Delivery)}. Stateless. */
    public static final class Selector implements KeySelector<Delivery, MetricKey> {
        private static final long serialVersionUID = 1L;

        @Override
        public MetricKey getKey(Delivery d) {
            return of(d);
        }
    }
}
