package dev.notiflow.model;

import java.time.Instant;

/**
 * What a provider answered to one send attempt. Expected answers, rejections included, are values
 * of this type; senders never throw for them.
 *
 * @param reason UPPER_SNAKE reason for REJECTED and RETRYABLE (e.g. TOKEN_UNREGISTERED, TIMEOUT)
 * @param detail the provider's own words (status, error code), without PII
 * @param retryAfterMillis the provider's Retry-After, or {@code null}
 * @param tokenInvalidatedAt for a dead device token, when the provider says it died; {@code null}
 *     otherwise
 * @param providerMessageId the provider's id for an accepted message, or {@code null}
 */
public record SendResult(
        SendStatus status,
        String reason,
        String detail,
        Long retryAfterMillis,
        Instant tokenInvalidatedAt,
        String providerMessageId) {

    public static SendResult accepted(String providerMessageId) {
        return new SendResult(SendStatus.ACCEPTED, null, null, null, null, providerMessageId);
    }

    public static SendResult rejected(String reason, String detail) {
        return new SendResult(SendStatus.REJECTED, reason, detail, null, null, null);
    }

    /** A permanent rejection that also marks the device token dead. */
    public static SendResult tokenDead(String reason, String detail, Instant invalidatedAt) {
        return new SendResult(SendStatus.REJECTED, reason, detail, null, invalidatedAt, null);
    }

    public static SendResult retryable(String reason, String detail, Long retryAfterMillis) {
        return new SendResult(SendStatus.RETRYABLE, reason, detail, retryAfterMillis, null, null);
    }

    /** Whether the provider reported the device token dead. */
    public boolean tokenDead() {
        return tokenInvalidatedAt != null;
    }
}
