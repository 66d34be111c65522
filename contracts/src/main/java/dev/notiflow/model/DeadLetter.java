package dev.notiflow.model;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

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

    /** The reason of every {@value #TABLE} dead letter: the database refused the row. */
    public static final String ROW_REFUSED = "ROW_REFUSED";

    /**
     * The dead letter for a row the database refused: kind {@value #TABLE}, reason {@value
     * #ROW_REFUSED}, the row's JSON in {@code payload}, and the ids of {@code delivery} when the
     * row is one ({@code null} for an aggregate row).
     */
    public static DeadLetter refusedRow(
            byte[] rowJson, String detail, String sourceTopic, Delivery delivery, Instant now) {
        return new DeadLetter(
                TABLE,
                ROW_REFUSED,
                detail,
                sourceTopic,
                null,
                delivery == null ? null : delivery.notificationId(),
                new String(rowJson, StandardCharsets.UTF_8),
                Base64.getEncoder().encodeToString(rowJson),
                delivery == null ? null : delivery.eventId(),
                delivery == null ? null : delivery.notificationId(),
                delivery == null ? null : delivery.userId(),
                delivery == null ? null : delivery.channel(),
                now);
    }
}
