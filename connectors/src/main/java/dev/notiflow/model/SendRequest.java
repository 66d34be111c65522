package dev.notiflow.model;

import java.time.Instant;
import java.util.Map;

/**
 * One notification ready to send: one event, one recipient, one channel and, for push, one device.
 * Its {@code notificationId} is deterministic (see {@code NotificationIds}), so a replay produces
 * the same id and the delivery table upserts instead of duplicating.
 *
 * @param address the phone number (E.164) for SMS or the email address for email; {@code null} for
 *     push
 * @param token the device token for push; {@code null} otherwise
 * @param attempt the number of this attempt, from 1
 * @param firstAttemptAt when the first attempt was made, or {@code null} before it
 * @param lastReason the reason of the previous failed attempt, or {@code null}
 */
public record SendRequest(
        String notificationId,
        String eventId,
        String userId,
        String type,
        String category,
        Channel channel,
        Provider provider,
        Platform platform,
        String token,
        String appId,
        String address,
        String locale,
        Priority priority,
        String templateId,
        Map<String, String> data,
        Content content,
        int attempt,
        Instant createdAt,
        Instant receivedAt,
        Instant firstAttemptAt,
        String lastReason) {

    /** This request with rendered content. */
    public SendRequest withContent(Content c) {
        return new SendRequest(
                notificationId,
                eventId,
                userId,
                type,
                category,
                channel,
                provider,
                platform,
                token,
                appId,
                address,
                locale,
                priority,
                templateId,
                data,
                c,
                attempt,
                createdAt,
                receivedAt,
                firstAttemptAt,
                lastReason);
    }

    /**
     * This request with its attempt number taken back by one (an attempt that never reached the
     * provider).
     */
    public SendRequest sameAttempt() {
        return new SendRequest(
                notificationId,
                eventId,
                userId,
                type,
                category,
                channel,
                provider,
                platform,
                token,
                appId,
                address,
                locale,
                priority,
                templateId,
                data,
                content,
                attempt - 1,
                createdAt,
                receivedAt,
                firstAttemptAt,
                lastReason);
    }

    /** This request as the next attempt after a retryable failure. */
    public SendRequest nextAttempt(Instant firstAttempt, String reason) {
        return new SendRequest(
                notificationId,
                eventId,
                userId,
                type,
                category,
                channel,
                provider,
                platform,
                token,
                appId,
                address,
                locale,
                priority,
                templateId,
                data,
                content,
                attempt + 1,
                createdAt,
                receivedAt,
                firstAttemptAt != null ? firstAttemptAt : firstAttempt,
                reason);
    }
}
