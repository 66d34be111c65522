package dev.notiflow.job.policy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.SendRequest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Frequency caps per user and channel ({@link ThrottleRules}): at most so many notifications of a
 * category on a channel in any rolling window. Keyed by {@link #key} (channel and userId), between
 * resolving recipients and rendering.
 *
 * <p>What counts is what the user perceives: one notification per (event, user, channel), however
 * many devices a push goes to. The requests of one event reach the key one after the other (the
 * resolver emits them together), so the first decides and the others follow its decision. Over a
 * limit, the channel gets one {@code SKIPPED}/{@link #THROTTLED} record (no device) whose detail is
 * the rule that fired, and nothing is sent, so no fallback channel is tried either. When several
 * rules are exceeded, the one that keeps the notification back longest fires.
 *
 * <p>Windows roll: sends are counted per bucket ({@code throttle.bucket}, a minute by default), and
 * a send takes its slot in every window that could hold it: a limit of N per W is N in any W+1
 * consecutive buckets, so no interval of length W ever holds more than N, wherever it starts. A
 * slot frees between W and W plus one bucket after the send.
 *
 * <p>A category listed in {@code throttle.defer-categories} waits instead: the notification is held
 * until the first bucket in which every rule lets it through, at most {@code throttle.max-defer}
 * from now, and its slot is reserved at once (later notifications see it); one timer per release
 * bucket. When its window does not free within {@code throttle.max-defer} it ends THROTTLED at
 * once: nothing can free a slot sooner than the counts already show. A priority in {@code
 * throttle.bypass-priorities} is never held back, but its sends count toward the windows.
 *
 * <p>State (RocksDB):
 *
 * <ul>
 *   <li>{@code throttle-counts}: MapState bucket start (epoch ms) → sends per category, only for
 *       categories some rule counts on this channel; entries older than the longest window plus a
 *       bucket are removed when the key is next used, and a TTL of the longest window (from the
 *       last write) removes idle keys;
 *   <li>{@code throttle-last}: the decision for the key's last event, so its other devices follow
 *       it; TTL the longest window;
 *   <li>{@code throttle-deferred}: the requests waiting for their window, each with its release
 *       time and a processing-time timer at it; cleared when released (no TTL, so nothing waiting
 *       is lost).
 * </ul>
 *
 * <p>Metrics per {@code channel} and {@code category} group: {@code throttled} (notifications ended
 * THROTTLED) and {@code deferred} (notifications held back for later).
 */
public final class Throttle extends KeyedProcessFunction<String, SendRequest, SendRequest> {

    private static final long serialVersionUID = 1L;

    public static final String COUNTS_STATE = "throttle-counts";
    public static final String LAST_STATE = "throttle-last";
    public static final String DEFERRED_STATE = "throttle-deferred";

    public static final String THROTTLED = "THROTTLED";

    /** What was decided for one event on one key. */
    public enum Outcome {
        SENT,
        THROTTLED,
        DEFERRED
    }

    /**
     * The decision for the last event seen on the key, applied to the event's other devices.
     *
     * @param releaseAt for {@link Outcome#DEFERRED}, when it is released (epoch ms)
     */
    public record Decision(String eventId, Outcome outcome, long releaseAt) {}

    /**
     * One device's request of a deferred notification.
     *
     * @param releaseAt when it is released (epoch ms, the start of a bucket)
     */
    public record Deferred(String eventId, String category, long releaseAt, SendRequest request) {}

    private final ThrottleRules rules;

    private transient MapState<Long, Map<String, Integer>> counts;
    private transient ValueState<Decision> last;
    private transient ListState<Deferred> deferred;
    private transient HeldGauge waitingGauge;
    private transient MetricGroup metrics;
    private transient Map<String, Counter> throttledCounters;
    private transient Map<String, Counter> deferredCounters;

    public Throttle(ThrottleRules rules) {
        this.rules = rules;
    }

    /** The key: the channel and the user. */
    public static String key(SendRequest r) {
        return r.channel().wireName() + ":" + r.userId();
    }

    @Override
    public void open(OpenContext openContext) {
        // Always with a TTL, also without rules: a TTL must never be added to or removed from
        // state a savepoint holds.
        Duration ttl = rules.longestWindow().isZero() ? rules.bucket() : rules.longestWindow();
        MapStateDescriptor<Long, Map<String, Integer>> countsDescriptor =
                new MapStateDescriptor<>(
                        COUNTS_STATE, Types.LONG, Types.MAP(Types.STRING, Types.INT));
        countsDescriptor.enableTimeToLive(ttl(ttl));
        ValueStateDescriptor<Decision> lastDescriptor =
                new ValueStateDescriptor<>(LAST_STATE, Decision.class);
        lastDescriptor.enableTimeToLive(ttl(ttl));
        counts = getRuntimeContext().getMapState(countsDescriptor);
        last = getRuntimeContext().getState(lastDescriptor);
        deferred =
                getRuntimeContext()
                        .getListState(new ListStateDescriptor<>(DEFERRED_STATE, Deferred.class));
        metrics = getRuntimeContext().getMetricGroup();
        waitingGauge = HeldGauge.register(metrics);
        throttledCounters = new HashMap<>();
        deferredCounters = new HashMap<>();
    }

    private static StateTtlConfig ttl(Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupInRocksdbCompactFilter(1000)
                .build();
    }

    @Override
    public void processElement(SendRequest r, Context ctx, Collector<SendRequest> out)
            throws Exception {
        List<ThrottleRules.Rule> applicable = rules.applicable(r.category(), r.channel());
        if (applicable.isEmpty()) {
            out.collect(r);
            return;
        }
        Decision previous = last.value();
        if (previous != null && previous.eventId().equals(r.eventId())) {
            // Another device of the event just decided: it shares that decision.
            switch (previous.outcome()) {
                case SENT:
                    out.collect(r);
                    return;
                case DEFERRED:
                    deferred.add(new Deferred(r.eventId(), r.category(), previous.releaseAt(), r));
                    waitingGauge.add(1);
                    return;
                default:
                    return;
            }
        }

        long now = ctx.timerService().currentProcessingTime();
        long bucketMs = rules.bucket().toMillis();
        long k = Math.floorDiv(now, bucketMs);
        NavigableMap<Long, Map<String, Integer>> sent = load(k);
        List<Deferred> waiting = rules.defersAny() ? waiting() : List.of();

        if (rules.bypasses(r.priority())) {
            send(r, k, sent, out);
            return;
        }
        List<NavigableMap<Long, Integer>> series = new ArrayList<>(applicable.size());
        List<ThrottleRules.Rule> violated = new ArrayList<>(1);
        for (ThrottleRules.Rule rule : applicable) {
            NavigableMap<Long, Integer> s = series(rule, sent, waiting);
            series.add(s);
            if (!fits(s, k, buckets(rule), rule.limit())) {
                violated.add(rule);
            }
        }
        if (violated.isEmpty()) {
            send(r, k, sent, out);
            return;
        }

        Instant at = Instant.ofEpochMilli(now);
        if (rules.defers(r.category())) {
            long maxK = Math.floorDiv(now + rules.maxDefer().toMillis(), bucketMs);
            long release = earliestRelease(applicable, series, k, maxK);
            if (release >= 0) {
                long releaseAt = release * bucketMs;
                deferred.add(new Deferred(r.eventId(), r.category(), releaseAt, r));
                waitingGauge.add(1);
                last.update(new Decision(r.eventId(), Outcome.DEFERRED, releaseAt));
                ctx.timerService().registerProcessingTimeTimer(releaseAt);
                deferredCounter(r).inc();
                return;
            }
            throttle(
                    r,
                    mostRestrictive(violated, applicable, series, k).text()
                            + " (no slot within throttle.max-defer)",
                    at,
                    ctx);
            return;
        }
        throttle(r, mostRestrictive(violated, applicable, series, k).text(), at, ctx);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SendRequest> out)
            throws Exception {
        List<Deferred> keep = new ArrayList<>();
        Set<String> released = new HashSet<>();
        NavigableMap<Long, Map<String, Integer>> sent = null;
        long bucketMs = rules.bucket().toMillis();
        for (Deferred d : waiting()) {
            if (d.releaseAt() > timestamp) {
                keep.add(d);
                continue;
            }
            out.collect(d.request());
            waitingGauge.remove(1);
            if (released.add(d.eventId())) {
                long k = Math.floorDiv(d.releaseAt(), bucketMs);
                if (sent == null) {
                    sent = load(Math.floorDiv(timestamp, bucketMs));
                }
                // Its slot was reserved when it was deferred; now it is a send like any other.
                count(d.category(), k, sent);
            }
        }
        if (keep.isEmpty()) {
            deferred.clear();
        } else {
            deferred.update(keep);
        }
    }

    private void send(
            SendRequest r,
            long k,
            NavigableMap<Long, Map<String, Integer>> sent,
            Collector<SendRequest> out)
            throws Exception {
        count(r.category(), k, sent);
        last.update(new Decision(r.eventId(), Outcome.SENT, 0));
        out.collect(r);
    }

    private void throttle(SendRequest r, String detail, Instant now, Context ctx) throws Exception {
        last.update(new Decision(r.eventId(), Outcome.THROTTLED, 0));
        throttledCounter(r).inc();
        ctx.output(OutputTags.DELIVERIES, Records.skippedChannel(r, THROTTLED, detail, now));
    }

    private void count(String category, long k, NavigableMap<Long, Map<String, Integer>> sent)
            throws Exception {
        long start = k * rules.bucket().toMillis();
        Map<String, Integer> inBucket = sent.get(start);
        Map<String, Integer> updated =
                inBucket == null ? new HashMap<>(2) : new HashMap<>(inBucket);
        updated.merge(category, 1, Integer::sum);
        counts.put(start, updated);
        sent.put(start, updated);
    }

    /**
     * The counted buckets by start time, after removing those no window reaching bucket {@code k}
     * can hold.
     */
    private NavigableMap<Long, Map<String, Integer>> load(long k) throws Exception {
        long bucketMs = rules.bucket().toMillis();
        long oldest = (k - rules.longestWindow().toMillis() / bucketMs) * bucketMs;
        NavigableMap<Long, Map<String, Integer>> sent = new TreeMap<>();
        List<Long> stale = null;
        for (Map.Entry<Long, Map<String, Integer>> e : counts.entries()) {
            if (e.getKey() < oldest) {
                if (stale == null) {
                    stale = new ArrayList<>();
                }
                stale.add(e.getKey());
            } else {
                sent.put(e.getKey(), e.getValue());
            }
        }
        if (stale != null) {
            for (Long start : stale) {
                counts.remove(start);
            }
        }
        return sent;
    }

    private List<Deferred> waiting() throws Exception {
        List<Deferred> list = new ArrayList<>();
        Iterable<Deferred> all = deferred.get();
        if (all != null) {
            all.forEach(list::add);
        }
        return list;
    }

    /**
     * Sends per bucket index that count toward a rule: those made, and one per notification waiting
     * for its release (its reserved slot).
     */
    private NavigableMap<Long, Integer> series(
            ThrottleRules.Rule rule,
            NavigableMap<Long, Map<String, Integer>> sent,
            List<Deferred> waiting) {
        long bucketMs = rules.bucket().toMillis();
        NavigableMap<Long, Integer> s = new TreeMap<>();
        for (Map.Entry<Long, Map<String, Integer>> e : sent.entrySet()) {
            int n = 0;
            for (Map.Entry<String, Integer> c : e.getValue().entrySet()) {
                if (rule.counts(c.getKey())) {
                    n += c.getValue();
                }
            }
            if (n > 0) {
                s.merge(Math.floorDiv(e.getKey(), bucketMs), n, Integer::sum);
            }
        }
        Set<String> reserved = new HashSet<>();
        for (Deferred d : waiting) {
            if (rule.counts(d.category()) && reserved.add(d.eventId())) {
                s.merge(Math.floorDiv(d.releaseAt(), bucketMs), 1, Integer::sum);
            }
        }
        return s;
    }

    /** A rule's window in buckets. */
    private long buckets(ThrottleRules.Rule rule) {
        return rule.window().toMillis() / rules.bucket().toMillis();
    }

    /**
     * Whether one more send in bucket {@code k} keeps every run of {@code m + 1} consecutive
     * buckets that contains {@code k} at or below {@code limit}. The fullest such run starts at
     * {@code k - m} or ends at a counted bucket after {@code k} (a reserved one).
     */
    static boolean fits(NavigableMap<Long, Integer> series, long k, long m, int limit) {
        if (sum(series, k - m, k) + 1 > limit) {
            return false;
        }
        for (long end : series.subMap(k, false, k + m, true).keySet()) {
            if (sum(series, end - m, end) + 1 > limit) {
                return false;
            }
        }
        return true;
    }

    private static int sum(NavigableMap<Long, Integer> series, long from, long to) {
        int n = 0;
        for (int c : series.subMap(from, true, to, true).values()) {
            n += c;
        }
        return n;
    }

    /**
     * The first bucket after {@code k}, up to {@code maxK}, in which every rule lets one more
     * through; -1 when there is none. A rule starts to let it through only when a counted bucket
     * leaves its runs, so only those buckets are tried.
     */
    private long earliestRelease(
            List<ThrottleRules.Rule> applicable,
            List<NavigableMap<Long, Integer>> series,
            long k,
            long maxK) {
        TreeSet<Long> candidates = new TreeSet<>();
        for (int i = 0; i < applicable.size(); i++) {
            long m = buckets(applicable.get(i));
            for (long b : series.get(i).keySet()) {
                long free = b + m + 1;
                if (free > k && free <= maxK) {
                    candidates.add(free);
                }
            }
        }
        for (long candidate : candidates) {
            boolean all = true;
            for (int i = 0; i < applicable.size() && all; i++) {
                ThrottleRules.Rule rule = applicable.get(i);
                all = fits(series.get(i), candidate, buckets(rule), rule.limit());
            }
            if (all) {
                return candidate;
            }
        }
        return -1;
    }

    /**
     * Of the exceeded rules, the one whose window frees last (the first in configuration order on a
     * tie).
     */
    private ThrottleRules.Rule mostRestrictive(
            List<ThrottleRules.Rule> violated,
            List<ThrottleRules.Rule> applicable,
            List<NavigableMap<Long, Integer>> series,
            long k) {
        ThrottleRules.Rule best = null;
        long bestFree = Long.MIN_VALUE;
        for (ThrottleRules.Rule rule : violated) {
            NavigableMap<Long, Integer> s = series.get(applicable.indexOf(rule));
            long free = freesAt(s, k, buckets(rule), rule.limit());
            if (free > bestFree) {
                best = rule;
                bestFree = free;
            }
        }
        return best;
    }

    /** The first bucket after {@code k} in which this rule alone lets one more through. */
    private static long freesAt(NavigableMap<Long, Integer> series, long k, long m, int limit) {
        for (long b : series.keySet()) {
            long free = b + m + 1;
            if (free > k && fits(series, free, m, limit)) {
                return free;
            }
        }
        return Long.MAX_VALUE;
    }

    private Counter throttledCounter(SendRequest r) {
        return throttledCounters.computeIfAbsent(
                Throttle.key(r.channel().wireName(), r.category()),
                id -> group(r).counter("throttled"));
    }

    private Counter deferredCounter(SendRequest r) {
        return deferredCounters.computeIfAbsent(
                Throttle.key(r.channel().wireName(), r.category()),
                id -> group(r).counter("deferred"));
    }

    private MetricGroup group(SendRequest r) {
        return metrics.addGroup("channel", r.channel().wireName())
                .addGroup("category", r.category() == null ? "" : r.category());
    }

    private static String key(String channel, String category) {
        return channel + ":" + category;
    }
}
