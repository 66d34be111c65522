package dev.notiflow.testkit.providers.apns;

import java.time.Instant;

/**
 * One notification as the mock APNs provider received it: the headers a client chose and the
 * payload, so tests can assert topic, priority, push type, expiration, ids and content.
 *
 * @param token the device token from the request path
 * @param topic {@code apns-topic}, or {@code null}
 * @param priority {@code apns-priority} (10 or 5), or {@code null} when absent
 * @param pushType {@code apns-push-type}, or {@code null}
 * @param apnsId {@code apns-id}, or {@code null}
 * @param collapseId {@code apns-collapse-id}, or {@code null}
 * @param expiration {@code apns-expiration} as an instant, or {@code null} when absent or 0
 * @param payload the JSON payload as UTF-8 text
 * @param status the HTTP status the mock answered
 */
public record ApnsNotification(
        String token,
        String topic,
        Integer priority,
        String pushType,
        String apnsId,
        String collapseId,
        Instant expiration,
        String payload,
        int status) {}
