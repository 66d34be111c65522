package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Audience;
import dev.notiflow.model.Channel;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates a {@code notification-events} record against its contract and builds the event, or
 * throws {@link InvalidRecordException} with a precise reason. Stateless and thread-safe.
 */
public final class EventParser {

    /** Longest accepted eventId, type, category or templateId. */
    public static final int MAX_ID_LENGTH = 256;

    private static final Set<String> AUDIENCE_KEYS =
            Set.of("all", "platforms", "appIds", "locales");

    private EventParser() {}

    public static NotificationEvent parse(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        if (record.value() == null) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON, "value is null: events have no tombstones");
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);

        String eventId = id(obj, "eventId", true);
        String type = id(obj, "type", true);
        boolean hasUserIds = JsonFields.present(obj, "userIds");
        boolean hasAudience = JsonFields.present(obj, "audience");
        if (hasUserIds == hasAudience) {
            throw new InvalidRecordException(
                    hasUserIds ? Rejection.INVALID_FIELD : Rejection.MISSING_FIELD,
                    hasUserIds
                            ? "userIds, audience: give exactly one, not both"
                            : "userIds or audience: one is required");
        }
        List<String> userIds = List.of();
        Audience audience = null;
        if (hasUserIds) {
            userIds = JsonFields.optionalTextList(obj, "userIds");
            if (userIds.isEmpty()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD, "userIds: must not be empty");
            }
            userIds = new ArrayList<>(new LinkedHashSet<>(userIds));
        } else {
            audience = audience(obj.get("audience"));
        }

        String category = id(obj, "category", false);
        if (category == null) {
            int dot = type.indexOf('.');
            category = dot > 0 ? type.substring(0, dot) : type;
        }
        String templateId = id(obj, "templateId", false);
        if (templateId == null) {
            templateId = type;
        }

        List<Channel> channels = null;
        List<String> channelNames = JsonFields.optionalTextList(obj, "channels");
        if (channelNames != null) {
            if (channelNames.isEmpty()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD, "channels: must not be empty when given");
            }
            LinkedHashSet<Channel> distinct = new LinkedHashSet<>();
            for (String name : channelNames) {
                Channel c = Channel.fromWire(name);
                if (c == null) {
                    throw new InvalidRecordException(
                            Rejection.UNKNOWN_CHANNEL,
                            "channels: '" + name + "' is not one of push, sms, email, live");
                }
                distinct.add(c);
            }
            channels = new ArrayList<>(distinct);
        }

        Priority priority = Priority.NORMAL;
        String priorityName = JsonFields.optionalText(obj, "priority");
        if (priorityName != null) {
            priority = Priority.fromWire(priorityName);
            if (priority == null) {
                throw new InvalidRecordException(
                        Rejection.UNKNOWN_PRIORITY,
                        "priority: '" + priorityName + "' is not one of high, normal, low");
            }
        }

        return new NotificationEvent(
                eventId,
                type,
                category,
                userIds,
                templateId,
                JsonFields.optionalTextMap(obj, "data"),
                channels,
                priority,
                JsonFields.optionalInstant(obj, "sendAt"),
                JsonFields.optionalInstant(obj, "createdAt"),
                Instant.ofEpochMilli(record.timestamp()),
                record.sourceRef(),
                audience);
    }

    /**
     * {@code {"all": true}}, or one or more of the filters {@code platforms}, {@code appIds},
     * {@code locales} (each a non-empty array). Unknown keys are rejected: a misspelt filter would
     * otherwise widen a broadcast silently.
     */
    private static Audience audience(JsonNode node) throws InvalidRecordException {
        if (!node.isObject()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "audience: must be an object, was " + node.getNodeType());
        }
        var names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!AUDIENCE_KEYS.contains(name)) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "audience."
                                + name
                                + ": unknown; an audience is all, or platforms, appIds, locales");
            }
        }
        Boolean all = JsonFields.optionalBoolean(node, "all");
        List<String> platformNames = audienceFilter(node, "platforms");
        List<String> appIds = audienceFilter(node, "appIds");
        List<String> locales = audienceFilter(node, "locales");
        boolean filtered = platformNames != null || appIds != null || locales != null;
        if (Boolean.TRUE.equals(all)) {
            if (filtered) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "audience: all: true takes no filter (platforms, appIds, locales)");
            }
            return Audience.everyone();
        }
        if (!filtered) {
            throw new InvalidRecordException(
                    Rejection.MISSING_FIELD,
                    "audience: needs all: true or a filter (platforms, appIds, locales)");
        }
        List<Platform> platforms = null;
        if (platformNames != null) {
            LinkedHashSet<Platform> distinct = new LinkedHashSet<>();
            for (String name : platformNames) {
                Platform p = Platform.fromWire(name);
                if (p == null) {
                    throw new InvalidRecordException(
                            Rejection.UNKNOWN_PLATFORM,
                            "audience.platforms: '" + name + "' is not one of ios, android, web");
                }
                distinct.add(p);
            }
            platforms = new ArrayList<>(distinct);
        }
        return new Audience(false, platforms, appIds, locales);
    }

    private static List<String> audienceFilter(JsonNode audience, String field)
            throws InvalidRecordException {
        List<String> values = JsonFields.optionalTextList(audience, field);
        if (values == null) {
            return null;
        }
        if (values.isEmpty()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "audience." + field + ": must not be empty when given");
        }
        for (String v : values) {
            if (v.length() > MAX_ID_LENGTH) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "audience." + field + ": longer than " + MAX_ID_LENGTH + " characters");
            }
        }
        return new ArrayList<>(new LinkedHashSet<>(values));
    }

    private static String id(JsonNode obj, String field, boolean required)
            throws InvalidRecordException {
        String value =
                required ? JsonFields.requiredId(obj, field) : JsonFields.optionalId(obj, field);
        if (value != null && value.length() > MAX_ID_LENGTH) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    field + ": longer than " + MAX_ID_LENGTH + " characters");
        }
        return value;
    }
}
