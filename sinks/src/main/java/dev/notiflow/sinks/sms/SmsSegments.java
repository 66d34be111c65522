package dev.notiflow.sinks.sms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Counts and splits SMS text the way carriers do, to reject oversized messages before they reach
 * the provider and to know what a message costs.
 *
 * <p>A text made only of characters of the GSM 03.38 default alphabet and its extension table is
 * sent as GSM-7: 160 septets fit in one message, and a concatenated message carries 153 septets per
 * part. Extension characters ({@code ^ { } \ [ ~ ] | €}, form feed) take two septets (escape plus
 * character) and are never split across parts. One character outside that set (Hangul, emoji, most
 * accented capitals, …) switches the whole text to UCS-2: 70 UTF-16 units in one message, 67 per
 * part; characters outside the BMP take two units and a surrogate pair is never cut between parts.
 *
 * <p>Stateless and thread-safe: all methods are static.
 */
public final class SmsSegments {

    /** How the text travels on the air interface. */
    public enum Encoding {
        GSM_7,
        UCS_2
    }

    /**
     * The result of counting one text.
     *
     * @param encoding GSM-7 or UCS-2
     * @param units septets for GSM-7, UTF-16 code units for UCS-2
     * @param segments the number of messages the text is sent as (at least 1)
     * @param characters the number of Unicode code points
     */
    public record Count(Encoding encoding, int units, int segments, int characters) {}

    public static final int GSM_SINGLE = 160;
    public static final int GSM_PART = 153;
    public static final int UCS2_SINGLE = 70;
    public static final int UCS2_PART = 67;

    private static final String GSM_BASIC =
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                    + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String GSM_EXTENSION = "\f^{}\\[~]|€";

    private SmsSegments() {}

    /** Whether the character belongs to the GSM-7 default alphabet (one septet). */
    public static boolean isGsmBasic(char c) {
        return GSM_BASIC.indexOf(c) >= 0;
    }

    /** Whether the character belongs to the GSM-7 extension table (two septets). */
    public static boolean isGsmExtension(char c) {
        return GSM_EXTENSION.indexOf(c) >= 0;
    }

    /** The encoding a carrier uses for this text. */
    public static Encoding encodingOf(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isGsmBasic(c) && !isGsmExtension(c)) {
                return Encoding.UCS_2;
            }
        }
        return Encoding.GSM_7;
    }

    /** Counts the text: encoding, units, segments and characters. An empty text is one segment. */
    public static Count count(String text) {
        Encoding encoding = encodingOf(text);
        int units = encoding == Encoding.GSM_7 ? septets(text) : text.length();
        int segments = split(text, encoding).size();
        return new Count(encoding, units, segments, text.codePointCount(0, text.length()));
    }

    /**
     * Splits the text into the parts a carrier sends, in order; joined, they give the text back. A
     * text that fits one message is one part.
     */
    public static List<String> split(String text) {
        return split(text, encodingOf(text));
    }

    private static List<String> split(String text, Encoding encoding) {
        boolean gsm = encoding == Encoding.GSM_7;
        int total = gsm ? septets(text) : text.length();
        int single = gsm ? GSM_SINGLE : UCS2_SINGLE;
        if (total <= single) {
            return Collections.singletonList(text);
        }
        int perPart = gsm ? GSM_PART : UCS2_PART;
        List<String> parts = new ArrayList<>();
        int start = 0;
        int used = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int width;
            int chars;
            if (gsm) {
                width = isGsmExtension(c) ? 2 : 1;
                chars = 1;
            } else {
                boolean pair =
                        Character.isHighSurrogate(c)
                                && i + 1 < text.length()
                                && Character.isLowSurrogate(text.charAt(i + 1));
                width = pair ? 2 : 1;
                chars = width;
            }
            if (used + width > perPart) {
                parts.add(text.substring(start, i));
                start = i;
                used = 0;
            }
            used += width;
            i += chars;
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static int septets(CharSequence text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            n += isGsmExtension(text.charAt(i)) ? 2 : 1;
        }
        return n;
    }
}
