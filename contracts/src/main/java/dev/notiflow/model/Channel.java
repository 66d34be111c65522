package dev.notiflow.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * A user-facing channel. On the wire it is lower case: {@code push}, {@code sms}, {@code email},
 * {@code live}. {@code live} reaches a user's open apps, browsers and desktops through the push
 * server; a user gets it only when their preferences turn it on ({@code "live": true}) or an event
 * names it, and only while connected.
 */
public enum Channel {
    PUSH,
    SMS,
    EMAIL,
    LIVE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the channel for a wire name, or {@code null} when the name is unknown. */
    @JsonCreator
    public static Channel fromWire(String name) {
        if (name == null) {
            return null;
        }
        for (Channel c : values()) {
            if (c.wireName().equals(name)) {
                return c;
            }
        }
        return null;
    }
}
