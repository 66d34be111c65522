package dev.notiflow.model;

import java.time.Instant;

/**
 * A record on {@code notification-dlq}: bad input (with the original bytes), a send that ended
 * FAILED or EXHAUSTED (with its notification id), or a row the database refused (with the row).
 *
 * @param kind {@code INPUT} for a record that could not be used, {@code SEND} for a failed send,
 *     {@code TABLE} for a row of the delivery tables that the database refused
 * @param reason UPPER_SNAKE reason, e.g. MALFORMED_JSON, MISSING_FIELD, TOKEN_UNREGISTERED
 * @param detail what exactly was wrong, e.g. the field name
 * @param sourceRef {@code topic-partition@offset} of the input record, or {@code null}
 * @param key the input record's key as text, or {@code null}
 * @param payload the original value as UTF-8 text when it is valid UTF-8, else {@code null}; for
 *     TABLE the refused row as JSON
 * @param payloadBase64 the original value bytes, base64, always set for INPUT and TABLE
 */
public record DeadLetter(
        String kind,
        String reason,
        String detail,
        String sourceTopic,
        String sourceRef,
        String key,
        String payload,
        String payloadBase64,
        String eventId,
        String notificationId,
        String userId,
        Channel channel,
        Instant failedAt) {

    public static final String INPUT = "INPUT";
    public static final String SEND = "SEND";
    public static final String TABLE = "TABLE";
}
