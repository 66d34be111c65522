package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.RawRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Parses {@code notification-engagement} records (key notificationId, value {@code
 * {"notificationId": ..., "event": "delivered|opened|clicked|dismissed", "at": ..., "source": ...,
 * "receivedAt": ...}}) into {@link Engagement}s. {@code at} is optional and defaults to {@code
 * receivedAt}. A value whose record key is given and is not its notificationId is rejected, so that
 * the key a producer partitions by is the notification it reports on. The topic has no tombstones;
 * unknown fields are ignored. Stateless and thread-safe.
 */
public final class EngagementParser {

    /** Longest accepted {@code source}, in characters. */
    public static final int MAX_SOURCE_LENGTH = 64;

    private EngagementParser() {}

    public static Engagement parse(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        if (record.value() == null) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON, "value is null: engagement has no tombstones");
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String notificationId = JsonFields.requiredId(obj, "notificationId");
        if (notificationId.length() > EventParser.MAX_ID_LENGTH) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "notificationId: longer than " + EventParser.MAX_ID_LENGTH + " characters");
        }
        String name = JsonFields.requiredId(obj, "event");
        Engagement.Event event = Engagement.Event.fromWire(name);
        if (event == null) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "event: '" + name + "' is not one of delivered, opened, clicked, dismissed");
        }
        Instant receivedAt = JsonFields.optionalInstant(obj, "receivedAt");
        if (receivedAt == null) {
            throw new InvalidRecordException(Rejection.MISSING_FIELD, "receivedAt: is required");
        }
        Instant at = JsonFields.optionalInstant(obj, "at");
        String source = JsonFields.optionalId(obj, "source");
        if (source != null && source.length() > MAX_SOURCE_LENGTH) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "source: longer than " + MAX_SOURCE_LENGTH + " characters");
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (key != null && !key.isEmpty() && !key.equals(notificationId)) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "key: '" + key + "' is not the notificationId '" + notificationId + "'");
        }
        return new Engagement(
                notificationId, event, at != null ? at : receivedAt, source, receivedAt);
    }
}
