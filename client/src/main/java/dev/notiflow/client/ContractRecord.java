package dev.notiflow.client;

import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.InvalidRecordException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record of an input topic as the client sends it: the contract's default topic name, the
 * record key of {@code docs/contracts.md}, and the JSON value ({@code null}: a tombstone). Built
 * only by the request builders, after the contract's parser accepted it.
 */
final class ContractRecord {

    /** The parsers' default record size limit, the job's {@code input.max-record-bytes}. */
    static final int MAX_RECORD_BYTES = 64 * 1024;

    interface Parser {
        void parse(RawRecord record, int maxBytes) throws InvalidRecordException;
    }

    final String topic;
    final String key;
    final byte[] value;

    private ContractRecord(String topic, String key, byte[] value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    /** The record, after {@code parser} accepted it exactly as the job would read it. */
    static ContractRecord validated(String topic, String key, byte[] value, Parser parser) {
        try {
            parser.parse(
                    new RawRecord(
                            topic,
                            0,
                            0L,
                            System.currentTimeMillis(),
                            key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                            value),
                    MAX_RECORD_BYTES);
        } catch (InvalidRecordException e) {
            throw new ValidationException(e.rejection());
        }
        return new ContractRecord(topic, key, value);
    }

    byte[] keyBytes() {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContractRecord r
                && topic.equals(r.topic)
                && key.equals(r.key)
                && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, key) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return topic + "/" + key + (value == null ? " (tombstone)" : " (" + value.length + " B)");
    }
}
