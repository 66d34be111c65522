package dev.notiflow.sandbox;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The benchmark's input, deterministic from a seed: {@code users} users {@code u0 … u<n-1>}, each
 * with a profile and 1–3 devices (iOS, Android or 50/50 by device), and a stream of push events
 * whose fan-out (user × device) totals a given number of notifications: one-recipient events and
 * batch events of {@value #BATCH_RECIPIENTS} recipients (a share of the notifications), optionally
 * one audience event ({@code "audience": {"all": true}}) to every user.
 *
 * <p>Every event carries its implied notification count in the Kafka header {@value #HEADER}, so a
 * reader can count notifications without parsing JSON.
 */
final class BenchmarkWorkload implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Recipients of one batch event. */
    static final int BATCH_RECIPIENTS = 1000;

    /** The Kafka header holding an event's implied notification count (decimal ASCII). */
    static final String HEADER = "notiflow-bench-notifications";

    /** The app every device belongs to (the local APNs server's default topic). */
    static final String APP_ID = "com.example.app";

    enum DeviceMix {
        IOS,
        ANDROID,
        MIXED;

        static DeviceMix parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    final int users;
    final DeviceMix mix;
    final long seed;

    BenchmarkWorkload(int users, DeviceMix mix, long seed) {
        if (users < 1) {
            throw new IllegalArgumentException("--users must be at least 1");
        }
        this.users = users;
        this.mix = mix;
        this.seed = seed;
    }

    /** How many devices user {@code u} has: 1 to 3. */
    int devices(int u) {
        return 1 + (int) Long.remainderUnsigned(hash(seed, u), 3);
    }

    /** Devices of a user id such as {@code u42}. */
    int devices(String userId) {
        return devices(Integer.parseInt(userId, 1, userId.length(), 10));
    }

    boolean ios(int u, int d) {
        return switch (mix) {
            case IOS -> true;
            case ANDROID -> false;
            case MIXED -> (hash(seed ^ 0x5DEECE66DL, u * 4L + d) & 1) == 0;
        };
    }

    String token(int u, int d) {
        return ios(u, d)
                ? String.format("%058x%06x", u, d)
                : "bench" + u + "-" + d + ":APA91b" + "x".repeat(140);
    }

    /** Total devices of all users: the notifications of an audience event to everyone. */
    long allDevices() {
        long n = 0;
        for (int u = 0; u < users; u++) {
            n += devices(u);
        }
        return n;
    }

    String preferencesJson(int u) {
        return "{\"userId\":\"u"
                + u
                + "\",\"email\":\"u"
                + u
                + "@example.com\",\"locale\":\"en\",\"channels\":{\"push\":true}}";
    }

    String deviceJson(int u, int d) {
        return "{\"userId\":\"u"
                + u
                + "\",\"token\":\""
                + token(u, d)
                + "\",\"platform\":\""
                + (ios(u, d) ? "ios" : "android")
                + "\",\"appId\":\""
                + APP_ID
                + "\"}";
    }

    /** One generated event. */
    record Event(String eventId, byte[] json, int notifications, int iosNotifications) {}

    /**
     * Events whose notifications total {@code total}: batch events while they fit the batch share,
     * one-recipient events for the rest (the last ones chosen so the total is exact), interleaved
     * so both kinds run through the whole stream; the audience event (when asked for) first.
     */
    final class Events {
        private final String prefix;
        private final long batchTarget;
        private final long singleTarget;
        private final SplittableRandom random;
        private boolean audiencePending;
        private long batchDone;
        private long singleDone;
        private int batchCursor;
        private int sequence;
        long iosNotifications;
        long notifications;
        int batchEvents;
        int singleEvents;
        int audienceEvents;

        Events(String prefix, long total, double batchShare, boolean audience) {
            this.prefix = prefix;
            long rest = total;
            if (audience) {
                long everyone = allDevices();
                if (everyone > total) {
                    throw new IllegalArgumentException(
                            "--audience implies "
                                    + everyone
                                    + " notifications (every device), more than --notifications "
                                    + total);
                }
                rest -= everyone;
            }
            this.audiencePending = audience;
            long batch = Math.round(rest * batchShare);
            // A batch event implies up to 3 notifications per recipient: stop batches before they
            // could overshoot, and let one-recipient events make up the exact rest.
            long batches = users >= BATCH_RECIPIENTS ? batch / (3L * BATCH_RECIPIENTS) : 0;
            this.batchTarget = batches == 0 ? 0 : batch;
            this.singleTarget = rest - batchTarget;
            this.random = new SplittableRandom(seed ^ prefix.hashCode());
            this.batchCursor = random.nextInt(users);
        }

        boolean hasNext() {
            return audiencePending || batchDone + singleDone < batchTarget + singleTarget;
        }

        Event next(Instant createdAt) {
            StringBuilder ids = new StringBuilder();
            int n = 0;
            int ios = 0;
            String kind;
            long total = batchTarget + singleTarget;
            long batchLeft = batchTarget - batchDone;
            if (audiencePending) {
                audiencePending = false;
                kind = "a";
                for (int u = 0; u < users; u++) {
                    for (int d = 0; d < devices(u); d++) {
                        n++;
                        ios += ios(u, d) ? 1 : 0;
                    }
                }
                audienceEvents++;
            } else if (batchLeft >= 3L * BATCH_RECIPIENTS
                    && (singleDone >= singleTarget
                            || (double) batchDone / batchTarget
                                    <= (double) singleDone / singleTarget)) {
                kind = "b";
                for (int i = 0; i < BATCH_RECIPIENTS; i++) {
                    int u = batchCursor;
                    batchCursor = (batchCursor + 1) % users;
                    ids.append(i == 0 ? "" : ",").append("\"u").append(u).append('"');
                    for (int d = 0; d < devices(u); d++) {
                        n++;
                        ios += ios(u, d) ? 1 : 0;
                    }
                }
                batchDone += n;
                batchEvents++;
            } else {
                // One recipient; the last ones are chosen so that the total comes out exact (a
                // user with one device is never far).
                kind = "s";
                long left = total - batchDone - singleDone;
                int u = random.nextInt(users);
                while (devices(u) > left) {
                    u = (u + 1) % users;
                }
                ids.append("\"u").append(u).append('"');
                for (int d = 0; d < devices(u); d++) {
                    n++;
                    ios += ios(u, d) ? 1 : 0;
                }
                singleDone += n;
                singleEvents++;
            }
            String eventId = prefix + kind + (sequence++);
            String recipients =
                    kind.equals("a") ? "\"audience\":{\"all\":true}" : "\"userIds\":[" + ids + "]";
            String json =
                    "{\"eventId\":\""
                            + eventId
                            + "\",\"type\":\"bench.push\","
                            + recipients
                            + ",\"channels\":[\"push\"],\"data\":{\"title\":\"Flash sale\","
                            + "\"body\":\"Everything 20% off for the next hour, event "
                            + eventId
                            + "\"},\"createdAt\":\""
                            + createdAt
                            + "\"}";
            notifications += n;
            iosNotifications += ios;
            return new Event(eventId, json.getBytes(StandardCharsets.UTF_8), n, ios);
        }
    }

    /** A 64-bit mix of two values (SplitMix64's finaliser), the source of every choice here. */
    static long hash(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
