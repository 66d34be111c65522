package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.RawRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Parses {@code notification-cancellations} records (key eventId, value {@code {"eventId": ...,
 * "reason": ...}}) into {@link Cancellation}s. A value whose record key is given and is not its
 * eventId is rejected, so that the key a producer partitions by is the event it cancels. The topic
 * has no tombstones. Stateless and thread-safe.
 */
public final class CancellationParser {

    /** Longest accepted reason, in characters. */
    public static final int MAX_REASON_LENGTH = 1024;

    private CancellationParser() {}

    /**
     * @param now when the cancellation is read: its {@link Cancellation#requestedAt()}
     */
    public static Cancellation parse(RawRecord record, int maxRecordBytes, Instant now)
            throws InvalidRecordException {
        if (record.value() == null) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON, "value is null: cancellations have no tombstones");
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String eventId = JsonFields.requiredId(obj, "eventId");
        if (eventId.length() > EventParser.MAX_ID_LENGTH) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "eventId: longer than " + EventParser.MAX_ID_LENGTH + " characters");
        }
        String reason = JsonFields.optionalCleanText(obj, "reason");
        if (reason != null && reason.length() > MAX_REASON_LENGTH) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "reason: longer than " + MAX_REASON_LENGTH + " characters");
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (key != null && !key.isEmpty() && !key.equals(eventId)) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "key: '" + key + "' is not the eventId '" + eventId + "'");
        }
        return new Cancellation(eventId, reason, now);
    }
}
