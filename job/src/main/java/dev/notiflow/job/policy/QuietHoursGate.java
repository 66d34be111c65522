package dev.notiflow.job.policy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Priority;
import dev.notiflow.model.QuietHours;
import dev.notiflow.model.SendRequest;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds notifications back during their user's quiet hours ({@link SendRequest#quietHours()}, in
 * {@link SendRequest#timeZone()} or the policy's default zone), between resolving recipients and
 * the digest and throttle. Keyed by {@link Throttle#key} (channel and userId), their key: they are
 * chained after it on the same partitioning, so the gate adds no network shuffle.
 *
 * <p>A request of high priority, or of a user without quiet hours, passes without any state access.
 * Below high priority, inside the window, its category's {@link QuietHoursPolicy.Action} decides:
 * {@code ignore} passes it, {@code drop} ends it {@code SKIPPED}/{@link #QUIET_HOURS} (one record
 * per request, under its own notification id), {@code defer} keeps it in keyed state until the
 * window ends in the user's zone, rounded up to the whole minute, with one processing-time timer
 * per key and release minute (users whose windows end in the same minute share the minute). It is
 * released unchanged.
 *
 * <p>A window is {@code [start, end)} in local time, across midnight when {@code start > end};
 * {@code start == end} is no window. Its ends are resolved to instants like {@link ZonedDateTime}
 * does for an overlap (the first occurrence, on the fall-back day), and for a gap (spring forward)
 * at the first valid instant after it: the transition itself, when the local clock jumps past the
 * end. A clock or zone that does not parse (the profile parser rejects both, so only a profile
 * written by an older version could hold one) is no window, counted in {@code invalidQuietHours}.
 *
 * <p>Input 2 is the cancellations stream, kept in broadcast state {@link #CANCELLATIONS} (eventId →
 * requestedAt, epoch ms) on every subtask. A waiting request whose event is cancelled ends {@code
 * SKIPPED}/{@link #CANCELLED} when its timer fires; one cancelled before it arrives ends so at
 * once. Entries older than the longest wait ({@link #MAX_WAIT}) are pruned as later cancellations
 * arrive: a request is never held longer, and one that arrives after its cancellation is ended at
 * once.
 *
 * <p>State:
 *
 * <ul>
 *   <li>{@code quiet-hours-waiting}: MapState release minute (epoch ms) → the requests released
 *       then; an entry is removed when its timer fires (no TTL, so nothing waiting is lost);
 *   <li>{@link #CANCELLATIONS}: broadcast, pruned as described.
 * </ul>
 *
 * <p>Metrics: {@code deferred} and {@code dropped} per {@code category} group; {@code released},
 * {@code cancelled} and {@code invalidQuietHours}.
 */
public final class QuietHoursGate
        extends KeyedBroadcastProcessFunction<String, SendRequest, Cancellation, SendRequest> {

    private static final long serialVersionUID = 1L;

    public static final String WAITING_STATE = "quiet-hours-waiting";

    public static final String QUIET_HOURS = "QUIET_HOURS";
    public static final String CANCELLED = "CANCELLED";

    /** The longest a request can wait: a window is shorter than a day. */
    public static final Duration MAX_WAIT = Duration.ofHours(24);

    /** The cancellations every subtask holds: eventId → requestedAt (epoch ms). */
    public static final MapStateDescriptor<String, Long> CANCELLATIONS =
            new MapStateDescriptor<>("quiet-hours-cancellations", Types.STRING, Types.LONG);

    private static final long MINUTE_MS = 60_000L;

    private final QuietHoursPolicy policy;

    private transient MapState<Long, List<SendRequest>> waiting;
    private transient ZoneId defaultZone;
    private transient long lastPrune;
    private transient MetricGroup metrics;
    private transient Map<String, Counter> deferredCounters;
    private transient Map<String, Counter> droppedCounters;
    private transient Counter released;
    private transient HeldGauge waitingGauge;
    private transient Counter cancelled;
    private transient Counter invalid;

    public QuietHoursGate(QuietHoursPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void open(OpenContext openContext) {
        waiting =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        WAITING_STATE,
                                        Types.LONG,
                                        Types.LIST(TypeInformation.of(SendRequest.class))));
        defaultZone = ZoneId.of(policy.defaultZone());
        metrics = getRuntimeContext().getMetricGroup();
        deferredCounters = new HashMap<>();
        droppedCounters = new HashMap<>();
        released = metrics.counter("released");
        waitingGauge = HeldGauge.register(metrics);
        cancelled = metrics.counter("cancelled");
        invalid = metrics.counter("invalidQuietHours");
    }

    @Override
    public void processElement(SendRequest r, ReadOnlyContext ctx, Collector<SendRequest> out)
            throws Exception {
        QuietHours hours = r.quietHours();
        if (hours == null || r.priority() == Priority.HIGH) {
            out.collect(r);
            return;
        }
        QuietHoursPolicy.Action action = policy.action(r.category());
        if (action == QuietHoursPolicy.Action.IGNORE) {
            out.collect(r);
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        Instant end;
        try {
            ZoneId zone = r.timeZone() == null ? defaultZone : ZoneId.of(r.timeZone());
            end =
                    windowEnd(
                            Instant.ofEpochMilli(now),
                            zone,
                            LocalTime.parse(hours.start()),
                            LocalTime.parse(hours.end()));
        } catch (DateTimeException e) {
            invalid.inc();
            out.collect(r);
            return;
        }
        if (end == null) {
            out.collect(r);
            return;
        }
        if (action == QuietHoursPolicy.Action.DROP) {
            counter(droppedCounters, "dropped", r.category()).inc();
            ctx.output(
                    OutputTags.DELIVERIES,
                    Records.forRequest(
                            r,
                            DeliveryStatus.SKIPPED,
                            QUIET_HOURS,
                            "quiet hours " + hours.start() + "-" + hours.end() + " until " + end,
                            0,
                            null,
                            null,
                            Instant.ofEpochMilli(now)));
            return;
        }
        if (ctx.getBroadcastState(CANCELLATIONS).contains(r.eventId())) {
            cancel(r, ctx.getBroadcastState(CANCELLATIONS), now, ctx);
            return;
        }
        long releaseAt = Math.floorDiv(end.toEpochMilli() + MINUTE_MS - 1, MINUTE_MS) * MINUTE_MS;
        List<SendRequest> due = waiting.get(releaseAt);
        List<SendRequest> updated = due == null ? new ArrayList<>(1) : new ArrayList<>(due);
        updated.add(r);
        waiting.put(releaseAt, updated);
        ctx.timerService().registerProcessingTimeTimer(releaseAt);
        counter(deferredCounters, "deferred", r.category()).inc();
        waitingGauge.add(1);
    }

    @Override
    public void processBroadcastElement(Cancellation c, Context ctx, Collector<SendRequest> out)
            throws Exception {
        BroadcastState<String, Long> state = ctx.getBroadcastState(CANCELLATIONS);
        long at =
                c.requestedAt() != null
                        ? c.requestedAt().toEpochMilli()
                        : ctx.currentProcessingTime();
        state.put(c.eventId(), at);
        // Pruning by the cancellations' own times: every subtask sees the same ones in the same
        // order, so their copies stay alike. At most once a minute of cancellation time.
        if (at - lastPrune >= MINUTE_MS) {
            lastPrune = at;
            long oldest = at - MAX_WAIT.toMillis();
            List<String> stale = new ArrayList<>();
            for (Map.Entry<String, Long> e : state.entries()) {
                if (e.getValue() < oldest) {
                    stale.add(e.getKey());
                }
            }
            for (String eventId : stale) {
                state.remove(eventId);
            }
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SendRequest> out)
            throws Exception {
        List<SendRequest> due = waiting.get(timestamp);
        if (due == null) {
            return;
        }
        ReadOnlyBroadcastState<String, Long> cancellations = ctx.getBroadcastState(CANCELLATIONS);
        for (SendRequest r : due) {
            if (cancellations.contains(r.eventId())) {
                cancel(r, cancellations, timestamp, ctx);
            } else {
                released.inc();
                out.collect(r);
            }
        }
        waiting.remove(timestamp);
        waitingGauge.remove(due.size());
    }

    private void cancel(
            SendRequest r,
            ReadOnlyBroadcastState<String, Long> cancellations,
            long now,
            ReadOnlyContext ctx)
            throws Exception {
        cancelled.inc();
        ctx.output(
                OutputTags.DELIVERIES,
                Records.forRequest(
                        r,
                        DeliveryStatus.SKIPPED,
                        CANCELLED,
                        "cancelled at "
                                + Instant.ofEpochMilli(cancellations.get(r.eventId()))
                                + " while waiting for quiet hours to end",
                        0,
                        null,
                        null,
                        Instant.ofEpochMilli(now)));
    }

    private Counter counter(Map<String, Counter> counters, String name, String category) {
        String c = category == null ? "none" : category;
        return counters.computeIfAbsent(c, k -> metrics.addGroup("category", k).counter(name));
    }

    /**
     * When the quiet-hours window that {@code now} falls in ends, or {@code null} when it falls in
     * none. The window that started on the local date of {@code now} or the day before, with both
     * ends resolved by {@link #resolve}, holds {@code now} when {@code start <= now < end}.
     */
    public static Instant windowEnd(Instant now, ZoneId zone, LocalTime start, LocalTime end) {
        if (start.equals(end)) {
            return null;
        }
        LocalDate today = LocalDate.ofInstant(now, zone);
        for (LocalDate day = today.minusDays(1); !day.isAfter(today); day = day.plusDays(1)) {
            Instant from = resolve(day.atTime(start), zone);
            Instant to = resolve((start.isBefore(end) ? day : day.plusDays(1)).atTime(end), zone);
            if (!now.isBefore(from) && now.isBefore(to)) {
                return to;
            }
        }
        return null;
    }

    /**
     * A local time as an instant in a zone: in a gap (spring forward), the transition, the first
     * instant at which the local clock has passed it; in an overlap (fall back), the first
     * occurrence.
     */
    static Instant resolve(LocalDateTime local, ZoneId zone) {
        ZoneOffsetTransition t = zone.getRules().getTransition(local);
        if (t != null && t.isGap()) {
            return t.getInstant();
        }
        return ZonedDateTime.ofLocal(local, zone, null).toInstant();
    }
}
