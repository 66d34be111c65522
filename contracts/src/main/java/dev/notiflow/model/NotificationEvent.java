package dev.notiflow.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A validated business event from {@code notification-events}.
 *
 * @param eventId unique id; repeats are dropped as duplicates
 * @param type event type, e.g. {@code order.shipped}
 * @param category what users opt out of; defaults to the part of {@code type} before the first dot
 * @param userIds recipients, distinct; empty for an audience event, never empty otherwise
 * @param templateId template to render; defaults to {@code type}
 * @param data template variables; nested JSON values are kept as JSON text
 * @param channels requested channels, or {@code null} for every channel the user allows
 * @param priority delivery priority
 * @param sendAt when to send, or {@code null} for now
 * @param createdAt when the upstream system created the event, or {@code null}
 * @param receivedAt when the record reached Kafka (its timestamp)
 * @param sourceRef where the record came from ({@code topic-partition@offset}); stable on replay
 * @param audience who an audience event is for, or {@code null} for an event to {@code userIds}
 */
public record NotificationEvent(
        String eventId,
        String type,
        String category,
        List<String> userIds,
        String templateId,
        Map<String, String> data,
        List<Channel> channels,
        Priority priority,
        Instant sendAt,
        Instant createdAt,
        Instant receivedAt,
        String sourceRef,
        Audience audience) {}
