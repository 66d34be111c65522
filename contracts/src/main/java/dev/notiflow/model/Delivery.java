package dev.notiflow.model;

import java.time.Instant;

/**
 * One final outcome on {@code notification-deliveries} and one row of the delivery table.
 *
 * <p>Per-channel skips carry no device; push records carry {@code platform} and {@code device}, a
 * short one-way hash of the token, never the token itself. A duplicate event's record has no user
 * and no channel.
 *
 * @param reason UPPER_SNAKE reason, {@code null} for SENT
 * @param detail the provider's own words or a validation message, without PII
 * @param attempts send attempts made (0 when nothing was sent)
 * @param createdAt the event's {@code createdAt}, or {@code null}
 * @param receivedAt when the event reached Kafka
 * @param firstAttemptAt when the first send attempt was made, or {@code null}
 * @param finalAt when this outcome was decided
 * @param locale the locale of the template the message was rendered from, or {@code null} (no
 *     template, or nothing rendered)
 */
public record Delivery(
        String notificationId,
        String eventId,
        String userId,
        String type,
        String category,
        Channel channel,
        Provider provider,
        Platform platform,
        String device,
        DeliveryStatus status,
        String reason,
        String detail,
        int attempts,
        Priority priority,
        String providerMessageId,
        Instant createdAt,
        Instant receivedAt,
        Instant firstAttemptAt,
        Instant finalAt,
        String locale) {

    /** A record without a template locale. */
    public Delivery(
            String notificationId,
            String eventId,
            String userId,
            String type,
            String category,
            Channel channel,
            Provider provider,
            Platform platform,
            String device,
            DeliveryStatus status,
            String reason,
            String detail,
            int attempts,
            Priority priority,
            String providerMessageId,
            Instant createdAt,
            Instant receivedAt,
            Instant firstAttemptAt,
            Instant finalAt) {
        this(
                notificationId,
                eventId,
                userId,
                type,
                category,
                channel,
                provider,
                platform,
                device,
                status,
                reason,
                detail,
                attempts,
                priority,
                providerMessageId,
                createdAt,
                receivedAt,
                firstAttemptAt,
                finalAt,
                null);
    }
}
