package dev.notiflow.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.Json;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A {@code notification-events} record, validated by the job's own {@link EventParser} when it is
 * built: an event that {@link Builder#build()} returns is one the job accepts (within the default
 * {@code input.max-record-bytes} of 64 KiB); one it would reject throws {@link ValidationException}
 * with the DLQ's reason. Its {@code eventId} is its idempotency key: when the caller gives none, a
 * random one is drawn once at build time, so every retry of this object is the same event, never a
 * second notification. Immutable and thread-safe.
 *
 * <pre>{@code
 * Event e = Event.builder("order.shipped")
 *         .eventId("order-123-shipped")
 *         .userIds("u1", "u2")
 *         .data("orderId", "123")
 *         .channels(Channel.PUSH, Channel.EMAIL)
 *         .build();
 * }</pre>
 */
public final class Event {

    /** The topic of the contract. */
    public static final String TOPIC = "notification-events";

    private final String eventId;
    private final ContractRecord record;

    private Event(String eventId, ContractRecord record) {
        this.eventId = eventId;
        this.record = record;
    }

    /** A builder for an event of {@code type}, e.g. {@code order.shipped}. */
    public static Builder builder(String type) {
        return new Builder(type);
    }

    public String eventId() {
        return eventId;
    }

    /** The record's JSON value, as it goes onto the topic or into the request body. */
    public byte[] json() {
        return record.value.clone();
    }

    ContractRecord record() {
        return record;
    }

    @Override
    public String toString() {
        return "Event{" + eventId + ", " + new String(record.value, StandardCharsets.UTF_8) + "}";
    }

    /** Builds one {@link Event}; not thread-safe, reusable only by building again. */
    public static final class Builder {

        private String eventId;
        private final String type;
        private List<String> userIds;
        private ObjectNode audience;
        private String category;
        private String templateId;
        private final Map<String, Object> data = new LinkedHashMap<>();
        private List<Channel> channels;
        private Priority priority;
        private Instant sendAt;
        private Instant createdAt;

        private Builder(String type) {
            this.type = type;
        }

        /** The event's unique id, its idempotency key. Default: a random UUID. */
        public Builder eventId(String eventId) {
            this.eventId = eventId;
            return this;
        }

        public Builder userIds(String... userIds) {
            return userIds(Arrays.asList(userIds));
        }

        public Builder userIds(List<String> userIds) {
            this.userIds = new ArrayList<>(userIds);
            return this;
        }

        /** Instead of user ids: every user the job knows (and who is opted in). */
        public Builder audienceAll() {
            audience = JsonBuilder.object().put("all", true);
            return this;
        }

        /**
         * Instead of user ids: users matching every given filter; a {@code null} or empty list is
         * no filter.
         */
        public Builder audience(
                List<Platform> platforms, List<String> appIds, List<String> locales) {
            ObjectNode a = JsonBuilder.object();
            if (platforms != null && !platforms.isEmpty()) {
                ArrayNode p = a.putArray("platforms");
                platforms.forEach(x -> p.add(x.wireName()));
            }
            if (appIds != null && !appIds.isEmpty()) {
                JsonBuilder.texts(a, "appIds", appIds);
            }
            if (locales != null && !locales.isEmpty()) {
                JsonBuilder.texts(a, "locales", locales);
            }
            audience = a;
            return this;
        }

        public Builder category(String category) {
            this.category = category;
            return this;
        }

        public Builder templateId(String templateId) {
            this.templateId = templateId;
            return this;
        }

        /** A template variable: strings, numbers, booleans, maps and lists (as JSON). */
        public Builder data(String name, Object value) {
            data.put(name, value);
            return this;
        }

        public Builder data(Map<String, ?> values) {
            data.putAll(values);
            return this;
        }

        public Builder channels(Channel... channels) {
            this.channels = List.of(channels);
            return this;
        }

        public Builder priority(Priority priority) {
            this.priority = priority;
            return this;
        }

        public Builder sendAt(Instant sendAt) {
            this.sendAt = sendAt;
            return this;
        }

        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        /**
         * Validates and builds the event.
         *
         * @throws ValidationException with the reason and detail the job's DLQ would give
         */
        public Event build() {
            String id = eventId != null ? eventId : UUID.randomUUID().toString();
            ObjectNode o = JsonBuilder.object();
            o.put("eventId", id);
            JsonBuilder.text(o, "type", type);
            JsonBuilder.texts(o, "userIds", userIds);
            if (audience != null) {
                o.set("audience", audience.deepCopy());
            }
            JsonBuilder.text(o, "category", category);
            JsonBuilder.text(o, "templateId", templateId);
            if (!data.isEmpty()) {
                o.set("data", Json.MAPPER.valueToTree(data));
            }
            if (channels != null) {
                ArrayNode c = o.putArray("channels");
                channels.forEach(x -> c.add(x.wireName()));
            }
            if (priority != null) {
                o.put("priority", priority.wireName());
            }
            JsonBuilder.instant(o, "sendAt", sendAt);
            JsonBuilder.instant(o, "createdAt", createdAt);
            return new Event(
                    id,
                    ContractRecord.validated(TOPIC, id, JsonBuilder.bytes(o), EventParser::parse));
        }
    }
}
