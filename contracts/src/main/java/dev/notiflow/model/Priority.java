package dev.notiflow.model;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Event priority: {@code high}, {@code normal} (the default) or {@code low}. */
public enum Priority {
    HIGH,
    NORMAL,
    LOW;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the priority for a wire name, or {@code null} when the name is unknown. */
    public static Priority fromWire(String name) {
        for (Priority p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
