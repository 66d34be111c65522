package dev.notiflow.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.time.Instant;
import java.util.Locale;

/**
 * One step of a notification's engagement after it was sent, reported by an app or an email
 * tracking link through the gateway onto {@code notification-engagement}: the end of the funnel
 * "sent, delivered, opened, clicked". Values only; immutable.
 *
 * @param notificationId the notification it is about (the delivery record's {@code notificationId})
 * @param event which step
 * @param at when it happened on the device, or when the gateway received it when the device gave no
 *     time
 * @param source who reported it, e.g. {@code gateway} (may be null)
 * @param receivedAt when the gateway received it
 */
public record Engagement(
        String notificationId, Event event, Instant at, String source, Instant receivedAt) {

    /** A step of the funnel after the send. On the wire it is lower case: {@code opened}. */
    public enum Event {
        DELIVERED,
        OPENED,
        CLICKED,
        DISMISSED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Returns the event for a wire name, or {@code null} when the name is unknown. */
        @JsonCreator
        public static Event fromWire(String name) {
            if (name == null) {
                return null;
            }
            for (Event e : values()) {
                if (e.wireName().equals(name)) {
                    return e;
                }
            }
            return null;
        }
    }
}
