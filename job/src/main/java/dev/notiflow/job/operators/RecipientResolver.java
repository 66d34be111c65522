package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Provider;
import dev.notiflow.model.PushDevice;
import dev.notiflow.model.PushFallback;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import dev.notiflow.validation.Contacts;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Joins each recipient's event with that user's keyed state and decides, per channel, whether to
 * send: one {@link SendRequest} per channel, and for push one per active device. Everything decided
 * here without a send (opt-outs, missing contacts, invalid contacts, no profile) is a final record
 * on {@link OutputTags#DELIVERIES}; an invalid contact is FAILED and also goes to {@link
 * OutputTags#DEAD_LETTERS}.
 *
 * <p>Keyed by userId. Input 1: events; input 2: profile changes, device registrations and token
 * invalidations.
 *
 * <p>State:
 *
 * <ul>
 *   <li>{@code preferences}: the profile; the newer {@code updatedAt} wins; deleted by a tombstone.
 *       No TTL: the compacted topic is the source of truth and a tombstone removes it, so a user
 *       who is never deleted keeps a profile (accepted, it is the data the job exists for).
 *   <li>{@code devices}: token → registration, inactive ones kept as markers so a stale
 *       registration cannot revive them; TTL {@code devices.ttl} refreshed on every registration.
 *   <li>{@code pending}: events that arrived before the profile, each with a processing-time timer;
 *       they are resolved when the profile arrives or end as SKIPPED/NO_PROFILE at their deadline.
 *       Cleared on both paths.
 * </ul>
 */
public final class RecipientResolver
        extends KeyedCoProcessFunction<String, RecipientEvent, UserUpdate, SendRequest> {

    private static final long serialVersionUID = 1L;

    /** The channels of a user who chose none: every one but live, which is opt-in. */
    private static final List<Channel> DEFAULT_CHANNELS =
            List.of(Channel.PUSH, Channel.SMS, Channel.EMAIL);

    public static final String PREFERENCES_STATE = "preferences";
    public static final String DEVICES_STATE = "devices";
    public static final String PENDING_STATE = "pending";

    public static final String OPTED_OUT = "OPTED_OUT";
    public static final String CATEGORY_OPTED_OUT = "CATEGORY_OPTED_OUT";
    public static final String NO_CONTACT = "NO_CONTACT";
    public static final String NO_DEVICE = "NO_DEVICE";
    public static final String NO_PROFILE = "NO_PROFILE";
    public static final String INVALID_CONTACT = "INVALID_CONTACT";

    private final Duration profileWait;
    private final Duration deviceTtl;
    private final HashMap<String, List<Channel>> fallbackChains;

    private transient ValueState<UserPreferences> preferences;
    private transient MapState<String, DeviceToken> devices;
    private transient ListState<PendingEvent> pending;
    private transient Counter requests;
    private transient Counter skips;

    public RecipientResolver(Duration profileWait, Duration deviceTtl) {
        this(profileWait, deviceTtl, Map.of());
    }

    /**
     * @param fallbackChains per category (or {@code *}), the channels to fall back to, in order
     */
    public RecipientResolver(
            Duration profileWait, Duration deviceTtl, Map<String, List<Channel>> fallbackChains) {
        this.profileWait = profileWait;
        this.deviceTtl = deviceTtl;
        this.fallbackChains = new HashMap<>();
        fallbackChains.forEach((k, v) -> this.fallbackChains.put(k, new ArrayList<>(v)));
    }

    @Override
    public void open(OpenContext openContext) {
        preferences = getRuntimeContext().getState(preferencesDescriptor());
        devices = getRuntimeContext().getMapState(devicesDescriptor(deviceTtl));
        pending =
                getRuntimeContext()
                        .getListState(new ListStateDescriptor<>(PENDING_STATE, PendingEvent.class));
        requests = getRuntimeContext().getMetricGroup().counter("sendRequests");
        skips = getRuntimeContext().getMetricGroup().counter("skippedBeforeSend");
    }

    /** The profile state: also how savepoint tools must declare it to read it. */
    public static ValueStateDescriptor<UserPreferences> preferencesDescriptor() {
        return new ValueStateDescriptor<>(PREFERENCES_STATE, UserPreferences.class);
    }

    /** The device state: also how savepoint tools must declare it to read it. */
    public static MapStateDescriptor<String, DeviceToken> devicesDescriptor(Duration deviceTtl) {
        MapStateDescriptor<String, DeviceToken> descriptor =
                new MapStateDescriptor<>(DEVICES_STATE, String.class, DeviceToken.class);
        descriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(deviceTtl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build());
        return descriptor;
    }

    @Override
    public void processElement1(RecipientEvent recipient, Context ctx, Collector<SendRequest> out)
            throws Exception {
        UserPreferences prefs = preferences.value();
        if (prefs == null) {
            long now = ctx.timerService().currentProcessingTime();
            long deadline = now + profileWait.toMillis();
            pending.add(new PendingEvent(recipient, deadline, Instant.ofEpochMilli(now)));
            ctx.timerService().registerProcessingTimeTimer(deadline);
            return;
        }
        resolve(recipient, prefs, ctx, out);
    }

    @Override
    public void processElement2(UserUpdate update, Context ctx, Collector<SendRequest> out)
            throws Exception {
        switch (update.kind()) {
            case PREFERENCES:
                UserPreferences current = preferences.value();
                if (current == null
                        || !isOlder(update.preferences().updatedAt(), current.updatedAt())) {
                    preferences.update(update.preferences());
                }
                flushPending(ctx, out);
                break;
            case PREFERENCES_DELETED:
                // A deleted user leaves nothing behind: profile and devices go together.
                preferences.clear();
                devices.clear();
                break;
            case DEVICE:
                DeviceToken device = update.device();
                DeviceToken known = devices.get(device.token());
                if (known == null || !isOlder(device.updatedAt(), known.updatedAt())) {
                    devices.put(device.token(), device);
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

    /** Drops a dead token unless it was registered again after the provider declared it dead. */
    private void invalidate(TokenInvalidation inv) throws Exception {
        DeviceToken known = devices.get(inv.token());
        if (known == null) {
            return;
        }
        Instant deadAt = inv.invalidatedAt();
        if (deadAt != null && known.updatedAt() != null && known.updatedAt().isAfter(deadAt)) {
            return;
        }
        devices.put(
                inv.token(),
                new DeviceToken(
                        known.userId(),
                        known.token(),
                        known.platform(),
                        known.appId(),
                        false,
                        deadAt != null ? deadAt : known.updatedAt()));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SendRequest> out)
            throws Exception {
        List<PendingEvent> keep = new ArrayList<>();
        Instant now = Instant.ofEpochMilli(timestamp);
        for (PendingEvent p : pending.get()) {
            if (p.deadline() <= timestamp) {
                skips.inc();
                ctx.output(
                        OutputTags.DELIVERIES,
                        Records.skipped(
                                p.recipient().event(),
                                p.recipient().userId(),
                                null,
                                DeliveryStatus.SKIPPED,
                                NO_PROFILE,
                                p.queuedAt() == null
                                        ? "no profile within " + profileWait
                                        : "no profile since " + p.queuedAt(),
                                now));
            } else {
                keep.add(p);
            }
        }
        if (keep.isEmpty()) {
            pending.clear();
        } else {
            pending.update(keep);
        }
    }

    private void flushPending(Context ctx, Collector<SendRequest> out) throws Exception {
        UserPreferences prefs = preferences.value();
        Iterable<PendingEvent> waiting = pending.get();
        if (prefs == null || waiting == null) {
            return;
        }
        for (PendingEvent p : waiting) {
            ctx.timerService().deleteProcessingTimeTimer(p.deadline());
            resolve(p.recipient(), prefs, ctx, out);
        }
        pending.clear();
    }

    private void resolve(
            RecipientEvent recipient,
            UserPreferences prefs,
            Context ctx,
            Collector<SendRequest> out)
            throws Exception {
        NotificationEvent event = recipient.event();
        String userId = recipient.userId();
        Instant now = Instant.ofEpochMilli(ctx.timerService().currentProcessingTime());
        List<Channel> channels =
                event.channels() != null ? event.channels() : defaultChannels(prefs);
        if (channels.isEmpty()) {
            skip(ctx, event, userId, null, OPTED_OUT, "the user allows no channel", now);
            return;
        }
        for (Channel channel : channels) {
            if (!prefs.allows(channel)) {
                skip(ctx, event, userId, channel, OPTED_OUT, null, now);
            } else if (!prefs.allowsCategory(event.category())) {
                skip(
                        ctx,
                        event,
                        userId,
                        channel,
                        CATEGORY_OPTED_OUT,
                        "category " + event.category(),
                        now);
            } else {
                Fallback fallback = fallback(event, prefs, channel, channels);
                String unreachable;
                if (channel == Channel.PUSH) {
                    unreachable = resolvePush(event, userId, prefs, fallback, ctx, out, now);
                } else if (channel == Channel.LIVE) {
                    // No contact or device: the push registry says at send time whether the user
                    // is connected (NOT_CONNECTED otherwise, then the fallback).
                    requests.inc();
                    out.collect(
                            withFallback(
                                    request(
                                            event,
                                            userId,
                                            prefs,
                                            Channel.LIVE,
                                            Provider.LIVE,
                                            null,
                                            null),
                                    fallback));
                    unreachable = null;
                } else {
                    unreachable =
                            resolveContact(event, userId, prefs, channel, fallback, ctx, out, now);
                }
                if (unreachable != null && fallback != null) {
                    requests.inc();
                    out.collect(
                            request(event, userId, prefs, channel, null, null, null)
                                    .withFallback(fallback.channel, fallback.address)
                                    .asFallback(
                                            "FALLBACK after "
                                                    + channel.wireName()
                                                    + " "
                                                    + unreachable));
                }
            }
        }
    }

    /**
     * A channel to fall back to, with the contact to reach the user on; for push, the devices and
     * the step after push instead.
     */
    private static final class Fallback {
        final Channel channel;
        final String address;
        final PushFallback push;

        Fallback(Channel channel, String address, PushFallback push) {
            this.channel = channel;
            this.address = address;
            this.push = push;
        }
    }

    /**
     * The next channel after {@code channel} in the category's chain that the event did not ask for
     * already, that the user allows, and that has a valid contact (for push: an active device);
     * {@code null} when none. Push is a target only after live ({@code live>push>…}, as the
     * settings check): the live request carries the user's devices and the step after push, so the
     * outcome router can send one push per device; after any other channel it is passed over.
     */
    private Fallback fallback(
            NotificationEvent event,
            UserPreferences prefs,
            Channel channel,
            List<Channel> requested)
            throws Exception {
        List<Channel> chain = fallbackChains.get(event.category());
        if (chain == null) {
            chain = fallbackChains.get("*");
        }
        int at = chain == null ? -1 : chain.indexOf(channel);
        if (at < 0) {
            return null;
        }
        for (Channel next : chain.subList(at + 1, chain.size())) {
            if (requested.contains(next) || !prefs.allows(next)) {
                continue;
            }
            if (next == Channel.PUSH) {
                if (channel != Channel.LIVE) {
                    continue;
                }
                List<PushDevice> active = activeDevices();
                if (active.isEmpty()) {
                    continue;
                }
                // Each push falls back as a push named by the event would: to the step after it.
                Fallback then = fallback(event, prefs, Channel.PUSH, requested);
                return new Fallback(
                        next,
                        null,
                        new PushFallback(
                                active,
                                then == null ? null : then.channel,
                                then == null ? null : then.address));
            }
            if (next == Channel.LIVE) {
                return new Fallback(next, null, null);
            }
            String address = next == Channel.SMS ? prefs.phone() : prefs.email();
            boolean valid =
                    next == Channel.SMS
                            ? Contacts.isValidE164(address)
                            : Contacts.isValidEmail(address);
            if (valid) {
                return new Fallback(next, address, null);
            }
        }
        return null;
    }

    /** The user's active devices, as a push fallback carries them: token, platform and app. */
    private List<PushDevice> activeDevices() throws Exception {
        List<PushDevice> active = new ArrayList<>();
        for (DeviceToken d : devices.values()) {
            if (d.active()) {
                active.add(new PushDevice(d.token(), d.platform(), d.appId()));
            }
        }
        return active;
    }

    /**
     * Without an explicit list: the channels the user opted into, or push, sms and email when they
     * chose none.
     */
    private static List<Channel> defaultChannels(UserPreferences prefs) {
        Map<String, Boolean> chosen = prefs.channels();
        if (chosen == null || chosen.isEmpty()) {
            // Live is opt-in: a user gets it when their preferences say "live": true.
            return DEFAULT_CHANNELS;
        }
        List<Channel> channels = new ArrayList<>();
        for (Channel c : Channel.values()) {
            if (Boolean.TRUE.equals(chosen.get(c.wireName()))) {
                channels.add(c);
            }
        }
        return channels;
    }

    /** One request per active device; returns the skip reason when there is none. */
    private String resolvePush(
            NotificationEvent event,
            String userId,
            UserPreferences prefs,
            Fallback fallback,
            Context ctx,
            Collector<SendRequest> out,
            Instant now)
            throws Exception {
        boolean any = false;
        for (Map.Entry<String, DeviceToken> e : devices.entries()) {
            DeviceToken d = e.getValue();
            if (!d.active()) {
                continue;
            }
            any = true;
            requests.inc();
            out.collect(
                    withFallback(
                            request(
                                    event,
                                    userId,
                                    prefs,
                                    Channel.PUSH,
                                    Provider.forPlatform(d.platform()),
                                    d,
                                    null),
                            fallback));
        }
        if (!any) {
            skip(ctx, event, userId, Channel.PUSH, NO_DEVICE, null, now);
            return NO_DEVICE;
        }
        return null;
    }

    private static SendRequest withFallback(SendRequest request, Fallback fallback) {
        if (fallback == null) {
            return request;
        }
        return fallback.push != null
                ? request.withPushFallback(fallback.push)
                : request.withFallback(fallback.channel, fallback.address);
    }

    /** The request for an SMS or email; returns the skip or failure reason when there is none. */
    private String resolveContact(
            NotificationEvent event,
            String userId,
            UserPreferences prefs,
            Channel channel,
            Fallback fallback,
            Context ctx,
            Collector<SendRequest> out,
            Instant now) {
        String address = channel == Channel.SMS ? prefs.phone() : prefs.email();
        if (address == null || address.isBlank()) {
            skip(ctx, event, userId, channel, NO_CONTACT, null, now);
            return NO_CONTACT;
        }
        boolean valid =
                channel == Channel.SMS
                        ? Contacts.isValidE164(address)
                        : Contacts.isValidEmail(address);
        if (!valid) {
            skips.inc();
            Delivery failed =
                    Records.skipped(
                            event,
                            userId,
                            channel,
                            DeliveryStatus.FAILED,
                            INVALID_CONTACT,
                            channel == Channel.SMS
                                    ? "phone is not a valid E.164 number"
                                    : "email address is invalid",
                            now);
            ctx.output(OutputTags.DELIVERIES, failed);
            ctx.output(OutputTags.DEAD_LETTERS, Records.failedSend(failed));
            return INVALID_CONTACT;
        }
        requests.inc();
        out.collect(
                withFallback(
                        request(
                                event,
                                userId,
                                prefs,
                                channel,
                                Provider.forChannel(channel),
                                null,
                                address),
                        fallback));
        return null;
    }

    private void skip(
            Context ctx,
            NotificationEvent event,
            String userId,
            Channel channel,
            String reason,
            String detail,
            Instant now) {
        skips.inc();
        ctx.output(
                OutputTags.DELIVERIES,
                Records.skipped(
                        event, userId, channel, DeliveryStatus.SKIPPED, reason, detail, now));
    }

    private static SendRequest request(
            NotificationEvent event,
            String userId,
            UserPreferences prefs,
            Channel channel,
            Provider provider,
            DeviceToken device,
            String address) {
        String token = device == null ? null : device.token();
        return SendRequest.builder()
                .notificationId(NotificationIds.of(event.eventId(), userId, channel, token))
                .eventId(event.eventId())
                .userId(userId)
                .type(event.type())
                .category(event.category())
                .channel(channel)
                .provider(provider)
                .platform(device == null ? null : device.platform())
                .token(token)
                .appId(device == null ? null : device.appId())
                .address(address)
                .locale(prefs.locale())
                .priority(event.priority())
                .templateId(event.templateId())
                .data(event.data())
                .createdAt(event.createdAt())
                .receivedAt(event.receivedAt())
                .timeZone(prefs.timeZone())
                .quietHours(prefs.quietHours())
                .build();
    }

    /**
     * Whether {@code candidate} is strictly older than {@code current}; unknown times never are.
     */
    private static boolean isOlder(Instant candidate, Instant current) {
        return candidate != null && current != null && candidate.isBefore(current);
    }
}
