package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Provider;
import dev.notiflow.model.PushDevice;
import dev.notiflow.model.PushFallback;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.sinks.SendFunction;
import dev.notiflow.sinks.live.LiveSender;

import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns send outcomes into final records: ACCEPTED → SENT; REJECTED → FAILED, plus a DLQ record,
 * plus a token invalidation when the provider declared the token dead; RETRYABLE → a {@link
 * ScheduledRetry} on {@link OutputTags#RETRIES} with capped exponential backoff and jitter (the
 * provider's Retry-After wins when later), or EXHAUSTED with the last reason plus a DLQ record
 * after the provider's last attempt. A send refused because the channel is paused is retried
 * without using up an attempt. A FAILED or EXHAUSTED notification with a fallback channel sends
 * that channel's notification once, through the retry loop; so does a live notification whose user
 * is not connected, which is SKIPPED/NOT_CONNECTED (no DLQ record). A fallback to push ({@code
 * live>push}) is one notification per device the request carries ({@link PushFallback}), each under
 * the id a push named by the event would have, each falling back to the step after push; without a
 * device it is one SKIPPED/NO_DEVICE record for push, then that step. Counts outcomes per channel
 * and status.
 */
public final class RouteOutcomes extends ProcessFunction<SendOutcome, Delivery> {

    private static final long serialVersionUID = 1L;

    private final Map<Provider, PipelineSettings.SendSettings> settings;

    /** deliveries counters by channel, then status ordinal; made on first use. */
    private transient Map<Channel, Counter[]> counters;

    private transient MetricGroup metrics;
    private transient Counter retries;
    private transient Counter fallbacks;

    public RouteOutcomes(Map<Provider, PipelineSettings.SendSettings> settings) {
        this.settings = new HashMap<>(settings);
    }

    @Override
    public void open(OpenContext openContext) {
        counters = new EnumMap<>(Channel.class);
        metrics = getRuntimeContext().getMetricGroup();
        retries = metrics.counter("retriesScheduled");
        fallbacks = metrics.counter("fallbacksScheduled");
    }

    @Override
    public void processElement(SendOutcome outcome, Context ctx, Collector<Delivery> out) {
        SendResult result = outcome.result();
        SendRequest request = outcome.request();
        Instant now = Instant.now();
        Delivery delivery;
        switch (result.status()) {
            case ACCEPTED:
                delivery = Records.forOutcome(outcome, DeliveryStatus.SENT, null, now);
                break;
            case REJECTED:
                if (request.provider() == Provider.LIVE
                        && LiveSender.NOT_CONNECTED.equals(result.reason())) {
                    // Not a failure: the user has no open app. SKIPPED, then the fallback if any.
                    delivery =
                            Records.forOutcome(
                                    outcome, DeliveryStatus.SKIPPED, result.reason(), now);
                    break;
                }
                delivery = Records.forOutcome(outcome, DeliveryStatus.FAILED, result.reason(), now);
                if (result.tokenDead() && request.token() != null) {
                    ctx.output(
                            OutputTags.TOKEN_INVALIDATIONS,
                            new TokenInvalidation(
                                    request.userId(),
                                    request.token(),
                                    request.platform(),
                                    request.provider(),
                                    result.reason(),
                                    result.tokenInvalidatedAt()));
                }
                break;
            default:
                PipelineSettings.SendSettings send = settings.get(request.provider());
                boolean paused = SendFunction.CHANNEL_PAUSED.equals(result.reason());
                if (paused || request.attempt() < send.maxAttempts()) {
                    Instant notBefore =
                            now.plus(
                                    Backoff.delay(
                                            request.attempt(),
                                            send.initialBackoff(),
                                            send.maxBackoff(),
                                            result.retryAfterMillis()));
                    SendRequest next = request.nextAttempt(outcome.attemptedAt(), result.reason());
                    if (paused) {
                        next = next.sameAttempt();
                    }
                    ctx.output(OutputTags.RETRIES, new ScheduledRetry(next, notBefore));
                    retries.inc();
                    return;
                }
                delivery =
                        Records.forOutcome(outcome, DeliveryStatus.EXHAUSTED, result.reason(), now);
        }
        if (delivery.status() != DeliveryStatus.SENT) {
            if (delivery.status() != DeliveryStatus.SKIPPED) {
                ctx.output(OutputTags.DEAD_LETTERS, Records.failedSend(delivery));
            }
            String reason =
                    "FALLBACK after " + request.channel().wireName() + " " + delivery.reason();
            if (request.fallbackChannel() == Channel.PUSH) {
                fallBackToPush(request, reason, ctx, out, now);
            } else if (request.fallbackChannel() != null) {
                // The next channel is tried once, through the retry loop (it skips the backoff).
                ctx.output(OutputTags.RETRIES, new ScheduledRetry(request.asFallback(reason), now));
                fallbacks.inc();
            }
        }
        count(delivery);
        out.collect(delivery);
    }

    /**
     * One push per device, through the retry loop, which sends each once (keyed by its id); with no
     * device, a SKIPPED/NO_DEVICE record for the channel and the step after push.
     */
    private void fallBackToPush(
            SendRequest request, String reason, Context ctx, Collector<Delivery> out, Instant now) {
        PushFallback push = request.pushFallback();
        List<PushDevice> devices =
                push == null || push.devices() == null ? List.of() : push.devices();
        for (PushDevice device : devices) {
            ctx.output(
                    OutputTags.RETRIES,
                    new ScheduledRetry(request.asPushFallback(device, reason), now));
            fallbacks.inc();
        }
        if (!devices.isEmpty()) {
            return;
        }
        Delivery none =
                Records.skippedChannel(
                        request.toBuilder()
                                .channel(Channel.PUSH)
                                .fallbackOf(request.notificationId())
                                .build(),
                        RecipientResolver.NO_DEVICE,
                        "no device to fall back to",
                        now);
        count(none);
        out.collect(none);
        if (push != null && push.thenChannel() != null) {
            ctx.output(
                    OutputTags.RETRIES,
                    new ScheduledRetry(
                            request.withFallback(push.thenChannel(), push.thenAddress())
                                    .asFallback(reason),
                            now));
            fallbacks.inc();
        }
    }

    /** One array lookup per record: no key built, no map of strings searched. */
    private void count(Delivery d) {
        Counter[] byStatus =
                counters.computeIfAbsent(
                        d.channel(), c -> new Counter[DeliveryStatus.values().length]);
        int status = d.status().ordinal();
        Counter counter = byStatus[status];
        if (counter == null) {
            counter =
                    metrics.addGroup("channel", d.channel().wireName())
                            .addGroup("status", d.status().name())
                            .counter("deliveries");
            byStatus[status] = counter;
        }
        counter.inc();
    }
}
