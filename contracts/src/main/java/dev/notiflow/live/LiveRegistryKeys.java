package dev.notiflow.live;

/**
 * The push registry's layout in Redis, shared by the push server (which writes it) and the job's
 * {@code live} sender (which reads it). Redis 7.0 has no per-field TTL on hashes, so a user's
 * connections are a sorted set whose scores are the connections' expiry times:
 *
 * <ul>
 *   <li>{@link #connections(String)}: sorted set, member {@link #member(String, String)} = {@code
 *       <instanceId> <connectionId>}, score = epoch millis after which the connection counts as
 *       dead; the key's own TTL is refreshed with every heartbeat, so a user whose servers all died
 *       disappears entirely. Readers drop members whose score is in the past.
 *   <li>{@link #instance(String)}: string, the internal base URL of a push server instance, with a
 *       TTL its heartbeat refreshes.
 *   <li>{@link #history(String)}: stream of the user's recent messages (fields {@link
 *       #FIELD_NOTIFICATION_ID}, {@link #FIELD_MESSAGE}), capped by length, with a key TTL: what a
 *       reconnecting client replays from its last entry id.
 *   <li>{@link #position(String, String)}: string, the stream entry id of a notification already in
 *       the history, so that a retried delivery keeps its first position.
 * </ul>
 *
 * <p>Keys carry the user id in a hash tag ({@code {userId}}), so one user's keys share a slot on a
 * Redis cluster. Holds constants and pure functions only; thread-safe.
 */
public final class LiveRegistryKeys {

    /** Stream field holding the notification id. */
    public static final String FIELD_NOTIFICATION_ID = "n";

    /** Stream field holding the message JSON as delivered. */
    public static final String FIELD_MESSAGE = "m";

    private LiveRegistryKeys() {}

    public static String connections(String userId) {
        return "live:conn:{" + userId + "}";
    }

    public static String history(String userId) {
        return "live:history:{" + userId + "}";
    }

    public static String position(String userId, String notificationId) {
        return "live:pos:{" + userId + "}:" + notificationId;
    }

    public static String instance(String instanceId) {
        return "live:instance:" + instanceId;
    }

    /** The sorted-set member of one connection; instance ids contain no space. */
    public static String member(String instanceId, String connectionId) {
        return instanceId + " " + connectionId;
    }

    /** The instance id of a member made by {@link #member(String, String)}. */
    public static String instanceOf(String member) {
        int space = member.indexOf(' ');
        return space < 0 ? member : member.substring(0, space);
    }
}
