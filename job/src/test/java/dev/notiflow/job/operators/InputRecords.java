package dev.notiflow.job.operators;

import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.RawRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** Kafka records as the source hands them to the parse operators, and the DLQ records expected. */
final class InputRecords {

    static final int PARTITION = 2;
    static final long OFFSET = 42L;
    static final long TIMESTAMP = Fixtures.BEGINNING.toEpochMilli();

    private InputRecords() {}

    static RawRecord json(String topic, String key, String value) {
        return bytes(
                topic,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    static RawRecord bytes(String topic, byte[] key, byte[] value) {
        return new RawRecord(topic, PARTITION, OFFSET, TIMESTAMP, key, value);
    }

    /**
     * The INPUT dead letter of {@code record}: its topic, reference, key and original bytes (as
     * text only when they are UTF-8), with {@code failedAt} as given.
     */
    static DeadLetter deadLetter(
            RawRecord record, String reason, String detail, boolean utf8, Instant failedAt) {
        byte[] value = record.value();
        return new DeadLetter(
                DeadLetter.INPUT,
                reason,
                detail,
                record.topic(),
                record.topic() + "-" + PARTITION + "@" + OFFSET,
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                value == null || !utf8 ? null : new String(value, StandardCharsets.UTF_8),
                value == null ? null : Base64.getEncoder().encodeToString(value),
                null,
                null,
                null,
                null,
                failedAt);
    }
}
