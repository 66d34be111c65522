package dev.notiflow.job.policy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Priority;
import dev.notiflow.model.SendRequest;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Digests per user and channel: notifications of a category with a window ({@code digest.windows})
 * are folded into one. Keyed by {@link Throttle#key} (channel and userId), chained between the
 * quiet-hours gate and the throttle, so a digest counts once there.
 *
 * <p>The first notification of a digest category for the key opens a window of the category's
 * length (a processing-time timer at its end); those that follow within it are folded in. When the
 * window closes:
 *
 * <ul>
 *   <li>with one notification, it is sent unchanged, as if it had never waited (late by the
 *       window);
 *   <li>with several, one digest is sent to each destination (device token or address) the first
 *       notification had, rendered with the category's digest template ({@code digest.<category>}
 *       unless {@code digest.templates} names another). Its event id is {@code <first
 *       eventId>.digest} and its notification id derives from it as any other, so a replay after a
 *       restart yields the same ids. Its {@code data} holds {@link #COUNT} (how many were folded)
 *       and {@link #ITEMS} (the JSON array of the first {@code digest.max-items}: each with {@code
 *       eventId}, {@code type}, {@code createdAt} and its {@code data}), which {@code
 *       RenderTemplates} exposes to the template as {@code digest.count} and {@code digest.items}.
 *       Every folded notification, the first included, ends {@code SKIPPED}/{@link #DIGESTED}, one
 *       record per channel (as a throttled one), its detail naming the digest's notification ids.
 * </ul>
 *
 * <p>High priority is never digested, and a category without a window passes straight through
 * without touching state.
 *
 * <p>State (RocksDB), all cleared when a window closes:
 *
 * <ul>
 *   <li>{@code digest-windows}: MapState category → the open window (its end, its first and last
 *       eventId, how many notifications it holds);
 *   <li>{@code digest-held}: ListState of the held requests: every device of the first notification
 *       and one request of each of the next ones up to {@code digest.max-items}; of the rest only
 *       what their DIGESTED record needs (ids, type, priority and times, no data).
 * </ul>
 *
 * Both have a TTL of the longest window plus {@link #TTL_MARGIN}, as a bound on what a lost timer
 * could leave behind; a job stopped for longer than that loses the windows it held.
 *
 * <p>Metrics per {@code channel} and {@code category} group: {@code digested} (notifications folded
 * into a digest, ended DIGESTED) and {@code digests} (windows closed with several notifications,
 * each sent as one digest per destination).
 */
public final class Digest extends KeyedProcessFunction<String, SendRequest, SendRequest> {

    private static final long serialVersionUID = 1L;

    public static final String WINDOWS_STATE = "digest-windows";
    public static final String HELD_STATE = "digest-held";

    public static final String DIGESTED = "DIGESTED";

    /** The {@code data} key of a digest request with the number of notifications it carries. */
    public static final String COUNT = "digest.count";

    /** The {@code data} key of a digest request with the JSON array of its first items. */
    public static final String ITEMS = "digest.items";

    /** What a digest's event id adds to the id of its first notification's event. */
    public static final String ID_SUFFIX = ".digest";

    /** How long state outlives the longest window, for a timer that never fired. */
    public static final Duration TTL_MARGIN = Duration.ofDays(1);

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The digest settings, read from {@code digest.*}.
     *
     * @param windows the window per digested category
     * @param templates the digest template per category, where not {@code digest.<category>}
     * @param maxItems how many notifications a digest's template receives as items
     */
    public record Settings(
            Map<String, Duration> windows, Map<String, String> templates, int maxItems)
            implements Serializable {

        /** No digests. */
        public static Settings none() {
            return new Settings(Map.of(), Map.of(), 10);
        }

        /** The window of a category, or {@code null} for one that is not digested. */
        public Duration window(String category) {
            return category == null ? null : windows.get(category);
        }

        /** The templateId of a category's digest. */
        public String templateId(String category) {
            return templates.getOrDefault(category, "digest." + category);
        }

        /** The longest window, or zero without any. */
        public Duration longestWindow() {
            Duration longest = Duration.ZERO;
            for (Duration d : windows.values()) {
                if (d.compareTo(longest) > 0) {
                    longest = d;
                }
            }
            return longest;
        }
    }

    /**
     * An open window of one category on the key.
     *
     * @param closesAt when it closes (epoch ms)
     * @param count how many notifications (events) it holds
     */
    public record Window(long closesAt, String firstEventId, String lastEventId, int count) {}

    /**
     * One held request of a category's window.
     *
     * @param item whether it is the whole request (one of the first {@code digest.max-items} or
     *     another device of the first); otherwise only its ids, type, priority and times are kept
     */
    public record Held(String category, boolean item, SendRequest request) {}

    private final Settings settings;

    private transient MapState<String, Window> windows;
    private transient ListState<Held> held;
    private transient MetricGroup metrics;
    private transient HeldGauge waiting;
    private transient Map<String, Counter> digestedCounters;
    private transient Map<String, Counter> digestCounters;

    public Digest(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        // Always with a TTL, also without windows: a TTL must never be added to or removed from
        // state a savepoint holds.
        StateTtlConfig ttl =
                StateTtlConfig.newBuilder(settings.longestWindow().plus(TTL_MARGIN))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build();
        MapStateDescriptor<String, Window> windowsDescriptor =
                new MapStateDescriptor<>(
                        WINDOWS_STATE, Types.STRING, TypeInformation.of(Window.class));
        windowsDescriptor.enableTimeToLive(ttl);
        ListStateDescriptor<Held> heldDescriptor =
                new ListStateDescriptor<>(HELD_STATE, TypeInformation.of(Held.class));
        heldDescriptor.enableTimeToLive(ttl);
        windows = getRuntimeContext().getMapState(windowsDescriptor);
        held = getRuntimeContext().getListState(heldDescriptor);
        metrics = getRuntimeContext().getMetricGroup();
        waiting = HeldGauge.register(metrics);
        digestedCounters = new HashMap<>();
        digestCounters = new HashMap<>();
    }

    @Override
    public void processElement(SendRequest r, Context ctx, Collector<SendRequest> out)
            throws Exception {
        Duration length = settings.window(r.category());
        if (length == null || r.priority() == Priority.HIGH) {
            out.collect(r);
            return;
        }
        String category = r.category();
        Window open = windows.get(category);
        if (open == null) {
            long closesAt = ctx.timerService().currentProcessingTime() + length.toMillis();
            windows.put(category, new Window(closesAt, r.eventId(), r.eventId(), 1));
            held.add(new Held(category, true, r));
            waiting.add(1);
            ctx.timerService().registerProcessingTimeTimer(closesAt);
            return;
        }
        if (open.lastEventId().equals(r.eventId())) {
            // Another device of the notification just held: the first one's devices are the
            // digest's destinations; a later one was counted with its first device.
            if (open.count() == 1) {
                held.add(new Held(category, true, r));
                waiting.add(1);
            }
            return;
        }
        int count = open.count() + 1;
        windows.put(category, new Window(open.closesAt(), open.firstEventId(), r.eventId(), count));
        boolean item = count <= settings.maxItems();
        held.add(new Held(category, item, item ? r : withoutPayload(r)));
        waiting.add(1);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SendRequest> out)
            throws Exception {
        Map<String, Window> closing = new LinkedHashMap<>();
        for (Map.Entry<String, Window> e : windows.entries()) {
            if (e.getValue().closesAt() <= timestamp) {
                closing.put(e.getKey(), e.getValue());
            }
        }
        if (closing.isEmpty()) {
            return;
        }
        Map<String, List<SendRequest>> items = new HashMap<>();
        Map<String, List<SendRequest>> rest = new HashMap<>();
        List<Held> keep = new ArrayList<>();
        Iterable<Held> all = held.get();
        if (all != null) {
            for (Held h : all) {
                if (!closing.containsKey(h.category())) {
                    keep.add(h);
                } else {
                    waiting.remove(1);
                    (h.item() ? items : rest)
                            .computeIfAbsent(h.category(), c -> new ArrayList<>())
                            .add(h.request());
                }
            }
        }
        Instant now = Instant.ofEpochMilli(ctx.timerService().currentProcessingTime());
        for (Map.Entry<String, Window> e : closing.entrySet()) {
            String category = e.getKey();
            Window window = e.getValue();
            List<SendRequest> kept = items.getOrDefault(category, List.of());
            if (window.count() == 1) {
                kept.forEach(out::collect);
            } else if (!kept.isEmpty()) {
                close(
                        category,
                        window,
                        kept,
                        rest.getOrDefault(category, List.of()),
                        now,
                        ctx,
                        out);
            }
            windows.remove(category);
        }
        if (keep.isEmpty()) {
            held.clear();
        } else {
            held.update(keep);
        }
    }

    /** Sends the digest of a window with several notifications and ends each DIGESTED. */
    private void close(
            String category,
            Window window,
            List<SendRequest> kept,
            List<SendRequest> rest,
            Instant now,
            OnTimerContext ctx,
            Collector<SendRequest> out)
            throws JsonProcessingException {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(COUNT, Integer.toString(window.count()));
        data.put(ITEMS, itemsJson(kept));
        String digestEventId = window.firstEventId() + ID_SUFFIX;
        List<String> ids = new ArrayList<>();
        for (SendRequest first : kept) {
            if (!first.eventId().equals(window.firstEventId())) {
                continue;
            }
            SendRequest digest = digestOf(first, digestEventId, category, data);
            ids.add(digest.notificationId());
            out.collect(digest);
        }
        String detail = "in digest " + String.join(",", ids);
        Set<String> recorded = new LinkedHashSet<>();
        for (List<SendRequest> folded : List.of(kept, rest)) {
            for (SendRequest r : folded) {
                if (recorded.add(r.eventId())) {
                    ctx.output(
                            OutputTags.DELIVERIES,
                            Records.skippedChannel(r, DIGESTED, detail, now));
                }
            }
        }
        counter(digestedCounters, "digested", kept.get(0)).inc(recorded.size());
        counter(digestCounters, "digests", kept.get(0)).inc();
    }

    /** The first {@code digest.max-items} notifications, one JSON object each, in arrival order. */
    private static String itemsJson(List<SendRequest> kept) throws JsonProcessingException {
        List<Map<String, Object>> list = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (SendRequest r : kept) {
            if (!seen.add(r.eventId())) {
                continue;
            }
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("eventId", r.eventId());
            item.put("type", r.type());
            item.put("createdAt", r.createdAt() == null ? null : r.createdAt().toString());
            item.put("data", r.data() == null ? Map.of() : r.data());
            list.add(item);
        }
        return JSON.writeValueAsString(list);
    }

    /** The digest to the destination of one device (or address) of the first notification. */
    private SendRequest digestOf(
            SendRequest first, String digestEventId, String category, Map<String, String> data) {
        return first.toBuilder()
                .notificationId(
                        NotificationIds.of(
                                digestEventId, first.userId(), first.channel(), first.token()))
                .eventId(digestEventId)
                .category(category)
                .templateId(settings.templateId(category))
                .data(data)
                .content(null)
                .firstAttemptAt(null)
                .lastReason(null)
                .fallbackOf(null)
                .build();
    }

    /** What a folded notification past the kept items needs for its DIGESTED record. */
    private static SendRequest withoutPayload(SendRequest r) {
        return SendRequest.builder()
                .notificationId(r.notificationId())
                .eventId(r.eventId())
                .userId(r.userId())
                .type(r.type())
                .category(r.category())
                .channel(r.channel())
                .provider(r.provider())
                .priority(r.priority())
                .attempt(r.attempt())
                .createdAt(r.createdAt())
                .receivedAt(r.receivedAt())
                .build();
    }

    private Counter counter(Map<String, Counter> counters, String name, SendRequest r) {
        return counters.computeIfAbsent(
                r.channel().wireName() + ":" + r.category(),
                k ->
                        metrics.addGroup("channel", r.channel().wireName())
                                .addGroup("category", r.category())
                                .counter(name));
    }
}
