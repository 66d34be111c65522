package dev.notiflow.job;

import org.apache.flink.streaming.api.datastream.DataStream;

import dev.notiflow.model.RawRecord;

/**
 * The raw input streams of the topology, built by the caller (Kafka sources in production, bounded
 * collections in tests), each already given its uid.
 *
 * @param invalidations the job's own {@code device-token-invalidations} read back, or {@code null}
 * @param retries the job's own {@code notification-retry} read back, or {@code null} (then no
 *     retryable send is retried: it ends EXHAUSTED)
 * @param templates {@code notification-templates}, or {@code null} (then every notification is
 *     built from its event's data)
 * @param cancellations {@code notification-cancellations}, or {@code null} (then nothing is
 *     cancelled)
 */
public record Inputs(
        DataStream<RawRecord> events,
        DataStream<RawRecord> preferences,
        DataStream<RawRecord> devices,
        DataStream<RawRecord> invalidations,
        DataStream<RawRecord> retries,
        DataStream<RawRecord> templates,
        DataStream<RawRecord> cancellations) {

    /** Inputs without cancellations. */
    public Inputs(
            DataStream<RawRecord> events,
            DataStream<RawRecord> preferences,
            DataStream<RawRecord> devices,
            DataStream<RawRecord> invalidations,
            DataStream<RawRecord> retries,
            DataStream<RawRecord> templates) {
        this(events, preferences, devices, invalidations, retries, templates, null);
    }

    /** Inputs without templates and cancellations. */
    public Inputs(
            DataStream<RawRecord> events,
            DataStream<RawRecord> preferences,
            DataStream<RawRecord> devices,
            DataStream<RawRecord> invalidations,
            DataStream<RawRecord> retries) {
        this(events, preferences, devices, invalidations, retries, null, null);
    }
}
