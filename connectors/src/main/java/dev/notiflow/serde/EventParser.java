package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Channel;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Validates a {@code notification-events} record against its contract and builds the event, or
 * throws {@link InvalidRecordException} with a precise reason. Stateless and thread-safe.
 */
public final class EventParser {

    /** Longest accepted eventId, type, category or templateId. */
    public static final int MAX_ID_LENGTH = 256;

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
        if (!JsonFields.present(obj, "userIds")) {
            throw new InvalidRecordException(Rejection.MISSING_FIELD, "userIds: is required");
        }
        List<String> userIds = JsonFields.optionalTextList(obj, "userIds");
        if (userIds.isEmpty()) {
            throw new InvalidRecordException(Rejection.INVALID_FIELD, "userIds: must not be empty");
        }
        userIds = new ArrayList<>(new LinkedHashSet<>(userIds));

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
                            "channels: '" + name + "' is not one of push, sms, email");
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
                record.sourceRef());
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
