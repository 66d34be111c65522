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
 * @param fallbackChannel the channel to try once if this notification ends FAILED or EXHAUSTED, or
 *     {@code null}
 * @param fallbackAddress the phone number or email address for {@code fallbackChannel}
 * @param fallbackOf for a fallback, the id of the notification it replaces; {@code null} otherwise
 * @param timeZone the user's time zone id from their profile, or {@code null} (then the job's
 *     {@code quiet-hours.default-zone} applies)
 * @param quietHours the user's quiet hours from their profile, or {@code null} for none
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
        String lastReason,
        Channel fallbackChannel,
        String fallbackAddress,
        String fallbackOf,
        String timeZone,
        QuietHours quietHours) {

    /** A request without the user's time zone and quiet hours. */
    public SendRequest(
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
            String lastReason,
            Channel fallbackChannel,
            String fallbackAddress,
            String fallbackOf) {
        this(
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
                attempt,
                createdAt,
                receivedAt,
                firstAttemptAt,
                lastReason,
                fallbackChannel,
                fallbackAddress,
                fallbackOf,
                null,
                null);
    }

    /** A request without a fallback. */
    public SendRequest(
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
        this(
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
                attempt,
                createdAt,
                receivedAt,
                firstAttemptAt,
                lastReason,
                null,
                null,
                null);
    }

    /** This request with rendered content. */
    public SendRequest withContent(Content c) {
        return copy(c, attempt, firstAttemptAt, lastReason, fallbackChannel, fallbackAddress);
    }

    /** This request with a channel to fall back to once if it fails. */
    public SendRequest withFallback(Channel channel, String address) {
        return copy(content, attempt, firstAttemptAt, lastReason, channel, address);
    }

    /**
     * This request with its attempt number taken back by one (an attempt that never reached the
     * provider).
     */
    public SendRequest sameAttempt() {
        return copy(
                content, attempt - 1, firstAttemptAt, lastReason, fallbackChannel, fallbackAddress);
    }

    /** This request as the next attempt after a retryable failure. */
    public SendRequest nextAttempt(Instant firstAttempt, String reason) {
        return copy(
                content,
                attempt + 1,
                firstAttemptAt != null ? firstAttemptAt : firstAttempt,
                reason,
                fallbackChannel,
                fallbackAddress);
    }

    /** This request with the fields that change between attempts replaced. */
    private SendRequest copy(
            Content content,
            int attempt,
            Instant firstAttemptAt,
            String lastReason,
            Channel fallbackChannel,
            String fallbackAddress) {
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
                attempt,
                createdAt,
                receivedAt,
                firstAttemptAt,
                lastReason,
                fallbackChannel,
                fallbackAddress,
                fallbackOf,
                timeZone,
                quietHours);
    }

    /** This request with the user's time zone and quiet hours, as their profile has them. */
    public SendRequest withQuietHours(String zone, QuietHours hours) {
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
                attempt,
                createdAt,
                receivedAt,
                firstAttemptAt,
                lastReason,
                fallbackChannel,
                fallbackAddress,
                fallbackOf,
                zone,
                hours);
    }

    /**
     * The one-time fallback of this failed request on {@link #fallbackChannel}: a new notification
     * (its own deterministic id, first attempt, no further fallback) that remembers which one it
     * replaces.
     */
    public SendRequest asFallback(String reason) {
        return new SendRequest(
                NotificationIds.of(eventId, userId, fallbackChannel, null),
                eventId,
                userId,
                type,
                category,
                fallbackChannel,
                Provider.forChannel(fallbackChannel),
                null,
                null,
                null,
                fallbackAddress,
                locale,
                priority,
                templateId,
                data,
                content,
                1,
                createdAt,
                receivedAt,
                null,
                reason,
                null,
                null,
                notificationId,
                timeZone,
                quietHours);
    }
}
