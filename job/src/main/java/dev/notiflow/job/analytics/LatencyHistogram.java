package dev.notiflow.job.analytics;

import java.util.Arrays;

/**
 * Counts of deliveries and a log-linear histogram of their latencies, the accumulator of one
 * per-minute metrics window.
 *
 * <p>Latencies below 64 ms are counted exactly; above, each power of two is split into 32 equal
 * buckets, so a percentile read from the middle of its bucket is within 1/64 (1.6 %) of a value
 * that was recorded, and never above the exact maximum. The bucket array grows only as far as the
 * largest latency needs (about 4 KB for latencies up to ten minutes), so the state of a window does
 * not grow with the number of deliveries.
 *
 * <p>A Flink POJO (public fields, public no-argument constructor) so that window state is not
 * serialized with Kryo. Not thread-safe: one instance belongs to one window of one key.
 */
public class LatencyHistogram {

    private static final int EXACT = 64;
    private static final int SUB_BUCKET_BITS = 5;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    private static final int FIRST_EXPONENT = 6;

    /** Deliveries counted, with or without a latency. */
    public long count;

    /** Deliveries that had a latency. */
    public long latencyCount;

    /** The exact largest latency in ms; meaningful only when {@link #latencyCount} > 0. */
    public long latencyMax;

    /** Bucket counts, indexed by {@link #bucketOf(long)}; grown on demand. */
    public long[] buckets = new long[0];

    public LatencyHistogram() {}

    /** Counts one delivery; {@code latencyMs} is {@code null} when unknown, negative as 0. */
    public void add(Long latencyMs) {
        count++;
        if (latencyMs == null) {
            return;
        }
        long v = Math.max(0, latencyMs);
        int b = bucketOf(v);
        if (b >= buckets.length) {
            buckets = Arrays.copyOf(buckets, b + 1);
        }
        buckets[b]++;
        latencyMax = latencyCount == 0 ? v : Math.max(latencyMax, v);
        latencyCount++;
    }

    /** Adds another histogram's counts to this one. */
    public void merge(LatencyHistogram other) {
        count += other.count;
        if (other.latencyCount == 0) {
            return;
        }
        latencyMax = latencyCount == 0 ? other.latencyMax : Math.max(latencyMax, other.latencyMax);
        latencyCount += other.latencyCount;
        if (other.buckets.length > buckets.length) {
            buckets = Arrays.copyOf(buckets, other.buckets.length);
        }
        for (int i = 0; i < other.buckets.length; i++) {
            buckets[i] += other.buckets[i];
        }
    }

    /**
     * The nearest-rank percentile of the recorded latencies (the smallest value with at least
     * {@code q * latencyCount} values at or below it), approximated by its bucket's middle and
     * capped at the exact maximum; {@code null} when no latency was recorded.
     *
     * @param q between 0 (exclusive) and 1 (inclusive), e.g. 0.95
     */
    public Long percentile(double q) {
        if (q <= 0 || q > 1) {
            throw new IllegalArgumentException("percentile out of (0, 1]: " + q);
        }
        if (latencyCount == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(q * latencyCount));
        long seen = 0;
        for (int b = 0; b < buckets.length; b++) {
            seen += buckets[b];
            if (seen >= rank) {
                long low = lowerBound(b);
                long high = upperBound(b);
                return Math.min(low + (high - low) / 2, latencyMax);
            }
        }
        return latencyMax;
    }

    static int bucketOf(long v) {
        if (v < EXACT) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v);
        long top = v >>> (exponent - SUB_BUCKET_BITS);
        return EXACT + (exponent - FIRST_EXPONENT) * SUB_BUCKETS + (int) (top - SUB_BUCKETS);
    }

    static long lowerBound(int bucket) {
        if (bucket < EXACT) {
            return bucket;
        }
        int exponent = FIRST_EXPONENT + (bucket - EXACT) / SUB_BUCKETS;
        long sub = (bucket - EXACT) % SUB_BUCKETS;
        return (SUB_BUCKETS + sub) << (exponent - SUB_BUCKET_BITS);
    }

    static long upperBound(int bucket) {
        if (bucket < EXACT) {
            return bucket;
        }
        int exponent = FIRST_EXPONENT + (bucket - EXACT) / SUB_BUCKETS;
        long sub = (bucket - EXACT) % SUB_BUCKETS;
        long next = (SUB_BUCKETS + sub + 1) << (exponent - SUB_BUCKET_BITS);
        // The last bucket of exponent 62 ends at Long.MAX_VALUE, where next overflows.
        return next < 0 ? Long.MAX_VALUE : next - 1;
    }

    @Override
    public String toString() {
        return "LatencyHistogram[count="
                + count
                + ", latencyCount="
                + latencyCount
                + ", latencyMax="
                + latencyMax
                + ", buckets="
                + buckets.length
                + "]";
    }
}
