package dev.notiflow.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record as it arrived, before parsing, so a bad one can go to the DLQ with its original
 * bytes. {@code value == null} is a tombstone.
 */
public record RawRecord(
        String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {

    /** A stable reference to where the record came from, e.g. {@code notification-events-0@42}. */
    public String sourceRef() {
        return topic + "-" + partition + "@" + offset;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RawRecord)) {
            return false;
        }
        RawRecord r = (RawRecord) o;
        return partition == r.partition
                && offset == r.offset
                && timestamp == r.timestamp
                && Objects.equals(topic, r.topic)
                && Arrays.equals(key, r.key)
                && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset, timestamp)
                + 31 * Arrays.hashCode(key)
                + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "RawRecord{"
                + sourceRef()
                + ", "
                + (value == null ? "tombstone" : value.length + " B")
                + "}";
    }
}
