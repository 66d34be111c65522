package dev.notiflow.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * A user-facing channel. On the wire it is lower case: {@code push}, {@code sms}, {@code email}.
 */
public enum Channel {
    PUSH,
    SMS,
    EMAIL;

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
