package dev.notiflow.model;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * A device platform as written in {@code device-tokens}: {@code ios}, {@code android}, {@code web}.
 */
public enum Platform {
    IOS,
    ANDROID,
    WEB;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the platform for a wire name, or {@code null} when the name is unknown. */
    public static Platform fromWire(String name) {
        for (Platform p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
