package dev.notiflow.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic ids. A notification id is a function of (eventId, userId, channel, device), so a
 * replayed notification gets the same id and every sink can upsert or drop it.
 */
public final class NotificationIds {

    private static final HexFormat HEX = HexFormat.of();

    /**
     * One digest per thread: {@link MessageDigest#getInstance} looks the provider up on every call,
     * which cost more than the hash itself on the send path.
     */
    private static final ThreadLocal<MessageDigest> SHA_256 =
            ThreadLocal.withInitial(NotificationIds::newDigest);

    private NotificationIds() {}

    /**
     * The id of one notification; {@code token} is {@code null} for non-push and per-channel skips.
     */
    public static String of(String eventId, String userId, Channel channel, String token) {
        return hash(
                32,
                eventId,
                userId,
                channel == null ? "" : channel.wireName(),
                token == null ? "" : token);
    }

    /** The id of the DUPLICATE_EVENT record for one repeated input record. */
    public static String ofDuplicate(String eventId, String sourceRef) {
        return hash(32, "duplicate", eventId, sourceRef == null ? "" : sourceRef);
    }

    /** A short one-way reference to a device token, safe to store and log. */
    public static String deviceRef(String token) {
        return token == null ? null : hash(16, "device", token);
    }

    /** The first {@code hexChars} (even) hex digits of the SHA-256 of the parts, each NUL-ended. */
    private static String hash(int hexChars, String... parts) {
        MessageDigest md = SHA_256.get();
        // A call that failed half-way (a null part) must not leave its bytes to the next one.
        md.reset();
        for (String p : parts) {
            md.update(p.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HEX.formatHex(md.digest(), 0, hexChars / 2);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
