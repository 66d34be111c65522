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
 * @param pushFallback when {@code fallbackChannel} is push: the devices to send to and the step
 *     after push; {@code null} otherwise, so a request without a push fallback carries nothing more
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
        QuietHours quietHours,
        PushFallback pushFallback) {

    /** This request with rendered content. */
    public SendRequest withContent(Content c) {
        return toBuilder().content(c).build();
    }

    /** This request with a channel to fall back to once if it fails. */
    public SendRequest withFallback(Channel channel, String address) {
        return toBuilder()
                .fallbackChannel(channel)
                .fallbackAddress(address)
                .pushFallback(null)
                .build();
    }

    /** This request falling back to push, to the devices and the next step of {@code push}. */
    public SendRequest withPushFallback(PushFallback push) {
        return toBuilder()
                .fallbackChannel(Channel.PUSH)
                .fallbackAddress(null)
                .pushFallback(push)
                .build();
    }

    /**
     * This request with its attempt number taken back by one (an attempt that never reached the
     * provider).
     */
    public SendRequest sameAttempt() {
        return toBuilder().attempt(attempt - 1).build();
    }

    /** This request as the next attempt after a retryable failure. */
    public SendRequest nextAttempt(Instant firstAttempt, String reason) {
        return toBuilder()
                .attempt(attempt + 1)
                .firstAttemptAt(firstAttemptAt != null ? firstAttemptAt : firstAttempt)
                .lastReason(reason)
                .build();
    }

    /** This request with the user's time zone and quiet hours, as their profile has them. */
    public SendRequest withQuietHours(String zone, QuietHours hours) {
        return toBuilder().timeZone(zone).quietHours(hours).build();
    }

    /**
     * The one-time fallback of this failed request on {@link #fallbackChannel}: a new notification
     * (its own deterministic id, first attempt, no further fallback) that remembers which one it
     * replaces. A push fallback is one notification per device: {@link #asPushFallback}.
     */
    public SendRequest asFallback(String reason) {
        if (fallbackChannel == Channel.PUSH) {
            throw new IllegalStateException(
                    "a push fallback is one notification per device: use asPushFallback");
        }
        return toBuilder()
                .notificationId(NotificationIds.of(eventId, userId, fallbackChannel, null))
                .channel(fallbackChannel)
                .provider(Provider.forChannel(fallbackChannel))
                .platform(null)
                .token(null)
                .appId(null)
                .address(fallbackAddress)
                .attempt(1)
                .firstAttemptAt(null)
                .lastReason(reason)
                .fallbackChannel(null)
                .fallbackAddress(null)
                .fallbackOf(notificationId)
                .pushFallback(null)
                .build();
    }

    /**
     * The push fallback of this failed request to one of its {@link #pushFallback} devices: the
     * notification a push named by the event would have been for that device (the same
     * deterministic id, provider, platform, token and app), first attempt, falling back once to the
     * step after push, remembering which notification it replaces.
     */
    public SendRequest asPushFallback(PushDevice device, String reason) {
        return toBuilder()
                .notificationId(NotificationIds.of(eventId, userId, Channel.PUSH, device.token()))
                .channel(Channel.PUSH)
                .provider(Provider.forPlatform(device.platform()))
                .platform(device.platform())
                .token(device.token())
                .appId(device.appId())
                .address(null)
                .attempt(1)
                .firstAttemptAt(null)
                .lastReason(reason)
                .fallbackChannel(pushFallback == null ? null : pushFallback.thenChannel())
                .fallbackAddress(pushFallback == null ? null : pushFallback.thenAddress())
                .fallbackOf(notificationId)
                .pushFallback(null)
                .build();
    }

    /** A new request, every field unset ({@code attempt} 1). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this request's fields, to make a copy with some of them replaced. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.notificationId = notificationId;
        b.eventId = eventId;
        b.userId = userId;
        b.type = type;
        b.category = category;
        b.channel = channel;
        b.provider = provider;
        b.platform = platform;
        b.token = token;
        b.appId = appId;
        b.address = address;
        b.locale = locale;
        b.priority = priority;
        b.templateId = templateId;
        b.data = data;
        b.content = content;
        b.attempt = attempt;
        b.createdAt = createdAt;
        b.receivedAt = receivedAt;
        b.firstAttemptAt = firstAttemptAt;
        b.lastReason = lastReason;
        b.fallbackChannel = fallbackChannel;
        b.fallbackAddress = fallbackAddress;
        b.fallbackOf = fallbackOf;
        b.timeZone = timeZone;
        b.quietHours = quietHours;
        b.pushFallback = pushFallback;
        return b;
    }

    /** Builds a {@link SendRequest} field by field; each setter replaces one field. */
    public static final class Builder {
        private String notificationId;
        private String eventId;
        private String userId;
        private String type;
        private String category;
        private Channel channel;
        private Provider provider;
        private Platform platform;
        private String token;
        private String appId;
        private String address;
        private String locale;
        private Priority priority;
        private String templateId;
        private Map<String, String> data;
        private Content content;
        private int attempt = 1;
        private Instant createdAt;
        private Instant receivedAt;
        private Instant firstAttemptAt;
        private String lastReason;
        private Channel fallbackChannel;
        private String fallbackAddress;
        private String fallbackOf;
        private String timeZone;
        private QuietHours quietHours;
        private PushFallback pushFallback;

        private Builder() {}

        public Builder notificationId(String notificationId) {
            this.notificationId = notificationId;
            return this;
        }

        public Builder eventId(String eventId) {
            this.eventId = eventId;
            return this;
        }

        public Builder userId(String userId) {
            this.userId = userId;
            return this;
        }

        public Builder type(String type) {
            this.type = type;
            return this;
        }

        public Builder category(String category) {
            this.category = category;
            return this;
        }

        public Builder channel(Channel channel) {
            this.channel = channel;
            return this;
        }

        public Builder provider(Provider provider) {
            this.provider = provider;
            return this;
        }

        public Builder platform(Platform platform) {
            this.platform = platform;
            return this;
        }

        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder appId(String appId) {
            this.appId = appId;
            return this;
        }

        public Builder address(String address) {
            this.address = address;
            return this;
        }

        public Builder locale(String locale) {
            this.locale = locale;
            return this;
        }

        public Builder priority(Priority priority) {
            this.priority = priority;
            return this;
        }

        public Builder templateId(String templateId) {
            this.templateId = templateId;
            return this;
        }

        public Builder data(Map<String, String> data) {
            this.data = data;
            return this;
        }

        public Builder content(Content content) {
            this.content = content;
            return this;
        }

        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        public Builder receivedAt(Instant receivedAt) {
            this.receivedAt = receivedAt;
            return this;
        }

        public Builder firstAttemptAt(Instant firstAttemptAt) {
            this.firstAttemptAt = firstAttemptAt;
            return this;
        }

        public Builder lastReason(String lastReason) {
            this.lastReason = lastReason;
            return this;
        }

        public Builder fallbackChannel(Channel fallbackChannel) {
            this.fallbackChannel = fallbackChannel;
            return this;
        }

        public Builder fallbackAddress(String fallbackAddress) {
            this.fallbackAddress = fallbackAddress;
            return this;
        }

        public Builder fallbackOf(String fallbackOf) {
            this.fallbackOf = fallbackOf;
            return this;
        }

        public Builder timeZone(String timeZone) {
            this.timeZone = timeZone;
            return this;
        }

        public Builder quietHours(QuietHours quietHours) {
            this.quietHours = quietHours;
            return this;
        }

        public Builder pushFallback(PushFallback pushFallback) {
            this.pushFallback = pushFallback;
            return this;
        }

        public SendRequest build() {
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
                    quietHours,
                    pushFallback);
        }
    }
}
