package dev.notiflow.job.operators;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import dev.notiflow.model.Audience;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Platform;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Fans audience events out where the users are: keeps a compact index of every user (fed by the
 * same profile, device and invalidation updates as {@link RecipientResolver}), walks the keys of
 * its keyed state for each audience event and emits one {@link RecipientEvent} per matching user,
 * into the same keyBy(userId) as {@link FanOut}'s, so the resolver does the rest as for {@code
 * userIds}.
 *
 * <p>Input 1: user updates, keyed by userId. Input 2: numbered audience events ({@link
 * AudienceSequencer}), broadcast to every subtask; each subtask walks its own keys.
 *
 * <p>The walk never holds the task thread for long: each processing-time callback (one mailbox
 * turn) visits at most {@code chunk} keys, then schedules the next turn {@code pause} later, so
 * input records and checkpoint barriers pass between chunks. Audiences are walked one after the
 * other in their sequence order.
 *
 * <p>Idempotent across restarts: each visited user is marked, in keyed state, with the sequence
 * number of the audience walked past them, in the same mailbox turn as their record is emitted, so
 * a checkpoint holds both or neither. Pending audiences are union list state: after a restore (or a
 * rescale) every subtask restarts each pending walk from its first key and skips users whose mark
 * is at or past that audience; an audience a subtask had finished may come back with the union, and
 * is then skipped user by user the same way. Neither a skip nor a repeat.
 *
 * <p>A user is in an audience when the walk reaches them with a profile, the event's category
 * allowed, at least one requested channel allowed, and the audience's filters matched. Users
 * registered after the walk passed their key are not in it.
 *
 * <p>The walk holds one key iterator of the state backend open across mailbox turns. RocksDB's
 * iterators read a consistent view and are not disturbed by writes; the heap backend's iterator
 * fails on a concurrent change of the index, and the walk then reopens it from the first key (the
 * marks skip the users already visited).
 */
public final class AudienceWalker extends AbstractStreamOperator<RecipientEvent>
        implements TwoInputStreamOperator<UserUpdate, AudienceWalk, RecipientEvent>,
                ProcessingTimeCallback {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(AudienceWalker.class);

    public static final String PROFILES_STATE = "audience-profiles";
    public static final String DEVICES_STATE = "audience-devices";
    public static final String WALKED_STATE = "audience-walked";
    public static final String PENDING_STATE = "pending-audiences";

    /** What an audience needs of a profile. */
    public record Profile(
            String locale,
            Map<String, Boolean> channels,
            Map<String, Boolean> categories,
            Instant updatedAt) {

        static Profile of(UserPreferences p) {
            return new Profile(p.locale(), p.channels(), p.categories(), p.updatedAt());
        }
    }

    /** What an audience needs of a device registration. */
    public record Device(Platform platform, String appId, boolean active, Instant updatedAt) {}

    private final int chunk;
    private final long pauseMillis;
    private final Duration deviceTtl;

    private transient ValueState<Profile> profiles;
    private transient MapState<String, Device> devices;
    private transient ValueState<Long> walked;
    private transient ListState<AudienceWalk> pendingState;

    /** Pending audiences by sequence number; the first is being walked. */
    private transient TreeMap<Long, AudienceWalk> pending;

    private transient AudienceWalk current;
    private transient Stream<String> keyStream;
    private transient Iterator<String> keys;
    private transient boolean scheduled;

    private transient Counter recipients;
    private transient Counter visited;

    /**
     * @param chunk most keys visited per mailbox turn
     * @param pause time between two chunks of a walk; zero for the next mailbox turn
     * @param deviceTtl as the resolver's devices: a registration not renewed within it expires
     */
    public AudienceWalker(int chunk, Duration pause, Duration deviceTtl) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be positive, was " + chunk);
        }
        this.chunk = chunk;
        this.pauseMillis = pause.toMillis();
        this.deviceTtl = deviceTtl;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        pendingState =
                context.getOperatorStateStore()
                        .getUnionListState(
                                new ListStateDescriptor<>(PENDING_STATE, AudienceWalk.class));
        pending = new TreeMap<>();
        for (AudienceWalk w : pendingState.get()) {
            pending.put(w.seq(), w);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        profiles = getPartitionedState(new ValueStateDescriptor<>(PROFILES_STATE, Profile.class));
        MapStateDescriptor<String, Device> devicesDescriptor =
                new MapStateDescriptor<>(DEVICES_STATE, String.class, Device.class);
        devicesDescriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(deviceTtl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build());
        devices = getPartitionedState(devicesDescriptor);
        walked = getPartitionedState(new ValueStateDescriptor<>(WALKED_STATE, Long.class));
        recipients = getMetricGroup().counter("audienceRecipients");
        visited = getMetricGroup().counter("audienceUsersVisited");
        getMetricGroup().gauge("audienceWalksPending", () -> pending.size());
        if (!pending.isEmpty()) {
            LOG.info(
                    "Restarting {} pending audience walk(s): {}", pending.size(), pending.keySet());
            schedule(0);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        pendingState.update(new ArrayList<>(pending.values()));
    }

    @Override
    public void processElement1(StreamRecord<UserUpdate> element) throws Exception {
        UserUpdate update = element.getValue();
        switch (update.kind()) {
            case PREFERENCES:
                Profile current = profiles.value();
                if (current == null
                        || !isOlder(update.preferences().updatedAt(), current.updatedAt())) {
                    profiles.update(Profile.of(update.preferences()));
                }
                break;
            case PREFERENCES_DELETED:
                // The mark stays: an audience this subtask finished may come back with the union
                // state of a subtask that had not, and must not reach a re-created user twice.
                profiles.clear();
                devices.clear();
                break;
            case DEVICE:
                DeviceToken d = update.device();
                Device known = devices.get(d.token());
                if (known == null || !isOlder(d.updatedAt(), known.updatedAt())) {
                    devices.put(
                            d.token(),
                            new Device(d.platform(), d.appId(), d.active(), d.updatedAt()));
                }
                break;
            case DEVICE_DELETED:
                devices.remove(update.token());
                break;
            case TOKEN_INVALIDATED:
                invalidate(update.invalidation());
                break;
            default:
                throw new IllegalStateException("unknown update " + update.kind());
        }
    }

    /** As the resolver: a dead token stays dead unless registered again after it died. */
    private void invalidate(TokenInvalidation inv) throws Exception {
        Device known = devices.get(inv.token());
        if (known == null) {
            return;
        }
        Instant deadAt = inv.invalidatedAt();
        if (deadAt != null && known.updatedAt() != null && known.updatedAt().isAfter(deadAt)) {
            return;
        }
        devices.put(
                inv.token(),
                new Device(
                        known.platform(),
                        known.appId(),
                        false,
                        deadAt != null ? deadAt : known.updatedAt()));
    }

    @Override
    public void processElement2(StreamRecord<AudienceWalk> element) {
        AudienceWalk walk = element.getValue();
        pending.put(walk.seq(), walk);
        LOG.info("Audience event {} (#{}) queued for a walk", walk.event().eventId(), walk.seq());
        schedule(0);
    }

    private void schedule(long delay) {
        if (scheduled) {
            return;
        }
        scheduled = true;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + delay, this);
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        scheduled = false;
        walkChunk();
        if (!pending.isEmpty()) {
            schedule(pauseMillis);
        }
    }

    /** Visits at most {@code chunk} keys of the first pending audience. */
    private void walkChunk() throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        if (current == null) {
            current = pending.firstEntry().getValue();
            openKeys();
        }
        for (int n = 0; n < chunk; n++) {
            String userId;
            try {
                if (!keys.hasNext()) {
                    endWalk();
                    return;
                }
                userId = keys.next();
            } catch (ConcurrentModificationException e) {
                // Heap backend: the index changed under the iterator. Start over; marks skip.
                openKeys();
                continue;
            }
            visit(userId);
        }
    }

    private void visit(String userId) throws Exception {
        setCurrentKey(userId);
        Long mark = walked.value();
        if (mark != null && mark >= current.seq()) {
            return;
        }
        visited.inc();
        Profile profile = profiles.value();
        NotificationEvent event = current.event();
        if (profile != null && matches(profile, event)) {
            recipients.inc();
            RecipientEvent r = RecipientEvent.of(userId, event);
            output.collect(
                    event.receivedAt() == null
                            ? new StreamRecord<>(r)
                            : new StreamRecord<>(r, event.receivedAt().toEpochMilli()));
        }
        walked.update(current.seq());
    }

    private boolean matches(Profile p, NotificationEvent event) throws Exception {
        Audience audience = event.audience();
        if (!allowsCategory(p, event.category())
                || !allowsARequestedChannel(p, event.channels())
                || !audience.matchesLocale(p.locale())) {
            return false;
        }
        if (!audience.filtersDevices()) {
            return true;
        }
        for (Device d : devices.values()) {
            if (d.active() && audience.matchesDevice(d.platform(), d.appId())) {
                return true;
            }
        }
        return false;
    }

    private static boolean allowsCategory(Profile p, String category) {
        return p.categories() == null
                || category == null
                || !Boolean.FALSE.equals(p.categories().get(category));
    }

    /**
     * As the resolver chooses channels: the requested ones, or without a list the channels the user
     * opted into (all when they chose none); one of them must be allowed.
     */
    private static boolean allowsARequestedChannel(Profile p, List<Channel> requested) {
        Map<String, Boolean> chosen = p.channels();
        if (chosen == null || chosen.isEmpty()) {
            return true;
        }
        if (requested == null) {
            return chosen.containsValue(Boolean.TRUE);
        }
        for (Channel c : requested) {
            if (!Boolean.FALSE.equals(chosen.get(c.wireName()))) {
                return true;
            }
        }
        return false;
    }

    private void openKeys() {
        closeKeys();
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        keyStream = backend.getKeys(PROFILES_STATE, VoidNamespace.INSTANCE);
        keys = keyStream.iterator();
    }

    private void closeKeys() {
        if (keyStream != null) {
            keyStream.close();
        }
        keyStream = null;
        keys = null;
    }

    private void endWalk() {
        closeKeys();
        pending.remove(current.seq());
        LOG.info("Audience event {} (#{}) walked", current.event().eventId(), current.seq());
        current = null;
    }

    /** At the end of a bounded input, the pending walks finish here, at once. */
    @Override
    public void finish() throws Exception {
        while (!pending.isEmpty()) {
            walkChunk();
        }
        super.finish();
    }

    @Override
    public void close() throws Exception {
        closeKeys();
        super.close();
    }

    private static boolean isOlder(Instant candidate, Instant current) {
        return candidate != null && current != null && candidate.isBefore(current);
    }
}
