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

    private NotificationIds() {}

    /**
     * The id of one notification; {@code token} is {@code null} for non-push and per-channel skips.
     */
    public static String of(String eventId, String userId, Channel channel, String token) {
        return hash(
                        eventId,
                        userId,
                        channel == null ? "" : channel.wireName(),
                        token == null ? "" : token)
                .substring(0, 32);
    }

    /** The id of the DUPLICATE_EVENT record for one repeated input record. */
    public static String ofDuplicate(String eventId, String sourceRef) {
        return hash("duplicate", eventId, sourceRef == null ? "" : sourceRef).substring(0, 32);
    }

    /** A short one-way reference to a device token, safe to store and log. */
    public static String deviceRef(String token) {
        return token == null ? null : hash("device", token).substring(0, 16);
    }

    private static String hash(String... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                md.update(p.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HEX.formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
