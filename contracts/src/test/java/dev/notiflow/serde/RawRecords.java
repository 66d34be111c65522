package dev.notiflow.serde;

import dev.notiflow.model.RawRecord;

import java.nio.charset.StandardCharsets;

/** Builds {@link RawRecord}s as the Kafka source would, for parser tests. */
final class RawRecords {

    static final long TIMESTAMP = 1_795_000_000_000L;

    private RawRecords() {}

    static RawRecord value(String topic, String json) {
        return bytes(topic, null, json.getBytes(StandardCharsets.UTF_8));
    }

    static RawRecord keyed(String topic, String key, String json) {
        return bytes(
                topic,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    static RawRecord bytes(String topic, byte[] key, byte[] value) {
        return new RawRecord(topic, 2, 42L, TIMESTAMP, key, value);
    }
}
