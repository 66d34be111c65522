package dev.notiflow.serde;

/**
 * The character rule for ids and keys (eventId, userId, token, templateId, locale, record keys,
 * ...): no control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) and no unpaired
 * surrogate. Such characters cannot be stored (PostgreSQL refuses U+0000 in text; a lone surrogate
 * has no UTF-8 form), break logs and headers, and make two ids look alike. Stateless and
 * thread-safe.
 */
public final class Ids {

    private Ids() {}

    /**
     * Returns {@code value} when it follows the rule or is {@code null}.
     *
     * @throws InvalidRecordException {@link Rejection#INVALID_FIELD}, naming {@code field}, the
     *     character and its index (never the value)
     */
    public static String check(String field, String value) throws InvalidRecordException {
        int bad = firstBadChar(value);
        if (bad >= 0) {
            char c = value.charAt(bad);
            String what =
                    Character.isSurrogate(c)
                            ? "an unpaired surrogate"
                            : "the control character " + String.format("U+%04X", (int) c);
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD, field + ": contains " + what + " at index " + bad);
        }
        return value;
    }

    /**
     * The index of the first control character or unpaired surrogate in {@code value}, or -1 when
     * there is none (or {@code value} is {@code null}).
     */
    public static int firstBadChar(String value) {
        if (value == null) {
            return -1;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                return i;
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
