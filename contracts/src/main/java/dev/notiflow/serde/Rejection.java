package dev.notiflow.serde;

/**
 * Why an input record cannot be used.
 *
 * @param reason UPPER_SNAKE: MALFORMED_JSON, INVALID_ENCODING, RECORD_TOO_LARGE, MISSING_FIELD,
 *     INVALID_FIELD, UNKNOWN_CHANNEL, UNKNOWN_PRIORITY, UNKNOWN_PLATFORM, INVALID_TIMESTAMP
 * @param detail which field and what was wrong, e.g. {@code userIds: must not be empty}
 */
public record Rejection(String reason, String detail) {

    public static final String MALFORMED_JSON = "MALFORMED_JSON";
    public static final String INVALID_ENCODING = "INVALID_ENCODING";
    public static final String RECORD_TOO_LARGE = "RECORD_TOO_LARGE";
    public static final String MISSING_FIELD = "MISSING_FIELD";
    public static final String INVALID_FIELD = "INVALID_FIELD";
    public static final String UNKNOWN_CHANNEL = "UNKNOWN_CHANNEL";
    public static final String UNKNOWN_PRIORITY = "UNKNOWN_PRIORITY";
    public static final String UNKNOWN_PLATFORM = "UNKNOWN_PLATFORM";
    public static final String INVALID_TIMESTAMP = "INVALID_TIMESTAMP";
}
