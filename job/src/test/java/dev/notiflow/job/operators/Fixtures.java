package dev.notiflow.job.operators;

import dev.notiflow.model.Channel;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.UserPreferences;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Named test data for the operator harness tests. */
final class Fixtures {

    static final Instant BEGINNING = Instant.parse("2026-11-21T22:00:00Z");
    static final Instant ONE_MINUTE_LATER = BEGINNING.plusSeconds(60);
    static final Instant ONE_HOUR_EARLIER = BEGINNING.minusSeconds(3600);

    private Fixtures() {}

    static NotificationEvent event(String eventId, List<Channel> channels, String... userIds) {
        return new NotificationEvent(
                eventId,
                "order.shipped",
                "order",
                List.of(userIds),
                "order.shipped",
                Map.of("orderId", "123"),
                channels,
                Priority.NORMAL,
                null,
                BEGINNING,
                BEGINNING,
                "notification-events-0@" + eventId.hashCode(),
                null);
    }

    static UserPreferences prefs(String userId, Map<String, Boolean> channels, Instant updatedAt) {
        return new UserPreferences(
                userId,
                userId + "@example.com",
                "+14155552671",
                "en-US",
                "UTC",
                channels,
                Map.of("marketing", false),
                null,
                updatedAt);
    }

    static DeviceToken device(String userId, String token, Platform platform, Instant updatedAt) {
        return new DeviceToken(userId, token, platform, "com.example.app", true, updatedAt);
    }

    /** A second email attempt, after an SMTP 4xx, for a retry record. */
    static SendRequest emailRetryRequest(String notificationId, String userId) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("e-1")
                .userId(userId)
                .type("t")
                .category("c")
                .channel(Channel.EMAIL)
                .provider(Provider.SMTP)
                .address("u@example.com")
                .locale("en")
                .priority(Priority.NORMAL)
                .templateId("t")
                .data(Map.of())
                .attempt(2)
                .lastReason("SMTP_TRANSIENT")
                .build();
    }
}
