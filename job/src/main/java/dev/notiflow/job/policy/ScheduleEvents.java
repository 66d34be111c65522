package dev.notiflow.job.policy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds events whose {@code sendAt} is in the future until it is due, and cancels held events on
 * request. Placed between dedupe and fan-out: an event is held once, however many users (or an
 * audience) it is for, and its devices and preferences are resolved when it is released.
 *
 * <p>An event without {@code sendAt}, or with one that is not in the future, passes straight
 * through without touching state. One whose {@code sendAt} lies beyond {@code schedule.max-horizon}
 * never gets here: {@code ParseEvents} sends it to the DLQ.
 *
 * <p><b>Keys and timers.</b> The operator is keyed by a slot, {@link #slot} = hash(eventId) mod
 * {@code schedule.slots}, not by eventId. A held event's due time is its {@code sendAt} rounded up
 * to {@code schedule.timer-resolution} (never before it), and each slot keeps one timer per due
 * time with a list of the ids due then. A million events due at 09:00 are thus at most {@code
 * schedule.slots} timers, not a million: timers (and the timer queue's heap or RocksDB entries)
 * grow with distinct due times per slot, not with events. Keyed by eventId instead, every event
 * would be a timer of its own, and a burst would fire a million callbacks in one millisecond. Slots
 * are a multiple of the max parallelism so that every key group holds about as many slots (a key
 * group's timers per due time are bounded by its slots), and the slot of an event never changes
 * with the parallelism, so state rescales like any keyed state.
 *
 * <p><b>Paced release.</b> A firing timer releases at most {@code schedule.release-batch} events of
 * its slot and moves the rest, first in line, to the slot's next due time one resolution later; so
 * one timer callback is bounded (checkpoint barriers pass between them), and a burst leaves the
 * operator at no more than slots × batch per resolution, with the send operators' rate limits still
 * applying downstream.
 *
 * <p><b>Cancellation.</b> A {@link Cancellation} reaches the same slot (same key function). A held
 * event ends {@code SKIPPED}/{@link #CANCELLED}: one record per user, one (without a user) for an
 * audience event; it is released no more. A cancel for an event already released (or cancelled)
 * changes nothing and is counted in {@code cancelTooLate}. A cancel for an event not seen yet is
 * remembered for {@code schedule.max-horizon}, and the event, when it comes with a future {@code
 * sendAt}, is cancelled at once. An event sent at once (no future {@code sendAt}) is not looked up
 * (the common path stays free of state access): its cancel is remembered until it expires, and
 * counted in {@code cancelsRemembered}.
 *
 * <p>State (RocksDB, checkpointed, per slot):
 *
 * <ul>
 *   <li>{@code schedule-held}: MapState eventId → the held event; no TTL (nothing waiting is lost),
 *       removed when released or cancelled;
 *   <li>{@code schedule-due}: MapState due time (epoch ms) → the ids due then, in arrival order,
 *       with a processing-time timer at each due time; removed when its timer fires;
 *   <li>{@code schedule-done}: MapState eventId → {@code true} released, {@code false} cancelled;
 *       TTL {@code schedule.max-horizon}, to tell a late cancel from an early one;
 *   <li>{@code schedule-cancels}: MapState eventId → a cancellation that came before its event; TTL
 *       {@code schedule.max-horizon}.
 * </ul>
 *
 * <p>Metrics: counters {@code scheduled} (events held), {@code released}, {@code cancelled} (held
 * events cancelled), {@code cancelTooLate} and {@code cancelsRemembered}.
 */
public final class ScheduleEvents
        extends KeyedCoProcessFunction<
                Integer, NotificationEvent, Cancellation, NotificationEvent> {

    private static final long serialVersionUID = 1L;

    public static final String HELD_STATE = "schedule-held";
    public static final String DUE_STATE = "schedule-due";
    public static final String DONE_STATE = "schedule-done";
    public static final String CANCELS_STATE = "schedule-cancels";

    /** The reason of a held event that was cancelled. */
    public static final String CANCELLED = "CANCELLED";

    private final Duration maxHorizon;
    private final long resolutionMs;
    private final int releaseBatch;

    private transient MapState<String, NotificationEvent> held;
    private transient MapState<Long, List<String>> due;
    private transient MapState<String, Boolean> done;
    private transient MapState<String, Cancellation> cancels;
    private transient Counter scheduled;
    private transient Counter released;
    private transient HeldGauge waiting;
    private transient Counter cancelled;
    private transient Counter cancelTooLate;
    private transient Counter cancelsRemembered;

    public ScheduleEvents(PipelineSettings.ScheduleSettings settings) {
        this.maxHorizon = settings.maxHorizon();
        this.resolutionMs = settings.timerResolution().toMillis();
        this.releaseBatch = settings.releaseBatch();
    }

    /** The key of an event or cancellation: a hash of its eventId modulo {@code slots}. */
    public static int slot(String eventId, int slots) {
        return Math.floorMod(eventId.hashCode(), slots);
    }

    @Override
    public void open(OpenContext openContext) {
        held =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        HELD_STATE,
                                        Types.STRING,
                                        TypeInformation.of(NotificationEvent.class)));
        due =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        DUE_STATE, Types.LONG, Types.LIST(Types.STRING)));
        MapStateDescriptor<String, Boolean> doneDescriptor =
                new MapStateDescriptor<>(DONE_STATE, Types.STRING, Types.BOOLEAN);
        doneDescriptor.enableTimeToLive(ttl(maxHorizon));
        done = getRuntimeContext().getMapState(doneDescriptor);
        MapStateDescriptor<String, Cancellation> cancelsDescriptor =
                new MapStateDescriptor<>(
                        CANCELS_STATE, Types.STRING, TypeInformation.of(Cancellation.class));
        cancelsDescriptor.enableTimeToLive(ttl(maxHorizon));
        cancels = getRuntimeContext().getMapState(cancelsDescriptor);
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        scheduled = metrics.counter("scheduled");
        released = metrics.counter("released");
        waiting = HeldGauge.register(metrics);
        cancelled = metrics.counter("cancelled");
        cancelTooLate = metrics.counter("cancelTooLate");
        cancelsRemembered = metrics.counter("cancelsRemembered");
    }

    private static StateTtlConfig ttl(Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupInRocksdbCompactFilter(1000)
                .build();
    }

    @Override
    public void processElement1(
            NotificationEvent event, Context ctx, Collector<NotificationEvent> out)
            throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        if (event.sendAt() == null || event.sendAt().toEpochMilli() <= now) {
            out.collect(event);
            return;
        }
        Cancellation early = cancels.get(event.eventId());
        if (early != null) {
            cancels.remove(event.eventId());
            cancel(event, early, now, ctx);
            return;
        }
        long at = dueAt(event.sendAt().toEpochMilli());
        held.put(event.eventId(), event);
        List<String> ids = due.get(at);
        List<String> updated = ids == null ? new ArrayList<>(1) : new ArrayList<>(ids);
        updated.add(event.eventId());
        due.put(at, updated);
        ctx.timerService().registerProcessingTimeTimer(at);
        scheduled.inc();
        waiting.add(1);
    }

    @Override
    public void processElement2(Cancellation c, Context ctx, Collector<NotificationEvent> out)
            throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        NotificationEvent event = held.get(c.eventId());
        if (event != null) {
            held.remove(c.eventId());
            waiting.remove(1);
            cancel(event, c, now, ctx);
            return;
        }
        Boolean wasReleased = done.get(c.eventId());
        if (wasReleased != null) {
            if (wasReleased) {
                cancelTooLate.inc();
            }
            return;
        }
        if (!cancels.contains(c.eventId())) {
            cancels.put(c.eventId(), c);
            cancelsRemembered.inc();
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<NotificationEvent> out)
            throws Exception {
        List<String> ids = due.get(timestamp);
        if (ids == null) {
            return;
        }
        due.remove(timestamp);
        List<String> rest = null;
        int budget = releaseBatch;
        for (String id : ids) {
            if (budget == 0) {
                if (rest == null) {
                    rest = new ArrayList<>(ids.size() - releaseBatch);
                }
                rest.add(id);
                continue;
            }
            NotificationEvent event = held.get(id);
            if (event == null) {
                continue; // cancelled while it waited
            }
            held.remove(id);
            done.put(id, Boolean.TRUE);
            out.collect(event);
            released.inc();
            waiting.remove(1);
            budget--;
        }
        if (rest != null) {
            // The rest goes first in line of the next due time, at least one resolution later
            // (also when this timer fires late, so the batches stay paced).
            long next = dueAt(Math.max(timestamp, ctx.timerService().currentProcessingTime()) + 1);
            List<String> later = due.get(next);
            if (later != null) {
                rest.addAll(later);
            }
            due.put(next, rest);
            ctx.timerService().registerProcessingTimeTimer(next);
        }
    }

    /** The first multiple of the timer resolution at or after {@code epochMs}. */
    private long dueAt(long epochMs) {
        return Math.floorDiv(epochMs + resolutionMs - 1, resolutionMs) * resolutionMs;
    }

    private void cancel(NotificationEvent event, Cancellation c, long now, Context ctx)
            throws Exception {
        done.put(event.eventId(), Boolean.FALSE);
        cancelled.inc();
        String detail =
                "cancelled before its sendAt "
                        + event.sendAt()
                        + (c.reason() == null ? "" : ": " + c.reason());
        Instant at = Instant.ofEpochMilli(now);
        if (event.audience() != null) {
            ctx.output(OutputTags.DELIVERIES, Records.skippedEvent(event, CANCELLED, detail, at));
            return;
        }
        for (String userId : event.userIds()) {
            ctx.output(
                    OutputTags.DELIVERIES,
                    Records.skipped(
                            event, userId, null, DeliveryStatus.SKIPPED, CANCELLED, detail, at));
        }
    }
}
