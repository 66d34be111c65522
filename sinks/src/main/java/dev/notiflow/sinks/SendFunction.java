package dev.notiflow.sinks;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import dev.notiflow.model.Provider;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The async-I/O step of one provider: sends each request through a {@link ChannelSender} and
 * completes with a {@link SendOutcome}. Provider answers are values: a timeout becomes RETRYABLE
 * TIMEOUT, a credentials rejection pauses the provider (later requests answer RETRYABLE
 * CHANNEL_PAUSED without a call) for {@code pauseOnCredentialsFailure}, and the optional rate limit
 * spaces sends out per subtask without blocking the task thread.
 *
 * <p>The sender is created in {@link #open} from a serializable factory and closed in {@link
 * #close}. The operator's capacity (see {@code AsyncDataStream.unorderedWait}) bounds sends in
 * flight and is the back-pressure valve. The operator's timeout must be above the sender's own
 * ({@link SenderTimeout}), so that {@link #timeout} fires only for a sender that broke its own
 * bound: a timeout that fired while the sender was still waiting for the provider would retry a
 * send the provider may accept. The job checks this at start.
 */
public final class SendFunction extends RichAsyncFunction<SendRequest, SendOutcome> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SendFunction.class);

    public static final String TIMEOUT = "TIMEOUT";
    public static final String CHANNEL_PAUSED = "CHANNEL_PAUSED";
    public static final String CREDENTIALS_REJECTED = "CREDENTIALS_REJECTED";
    public static final String SENDER_ERROR = "SENDER_ERROR";

    private final Provider provider;
    private final SenderFactory factory;
    private final double ratePerSecond;
    private final Duration pauseOnCredentialsFailure;

    private transient ChannelSender sender;
    private transient ScheduledExecutorService pacer;
    private transient long nextSlotNanos;
    private transient volatile long pausedUntilMillis;
    private transient AtomicInteger inFlight;
    private transient Counter accepted;
    private transient Counter rejected;
    private transient Counter retryable;
    private transient Counter pausedSkips;
    private transient Histogram latency;

    /**
     * @param ratePerSecond sends per second per subtask; 0 or less for no limit
     * @param pauseOnCredentialsFailure how long to stop calling the provider after it rejected our
     *     credentials
     */
    public SendFunction(
            Provider provider,
            SenderFactory factory,
            double ratePerSecond,
            Duration pauseOnCredentialsFailure) {
        this.provider = provider;
        this.factory = factory;
        this.ratePerSecond = ratePerSecond;
        this.pauseOnCredentialsFailure = pauseOnCredentialsFailure;
    }

    @Override
    public void open(OpenContext openContext) {
        sender = factory.create();
        inFlight = new AtomicInteger();
        if (ratePerSecond > 0) {
            pacer =
                    Executors.newSingleThreadScheduledExecutor(
                            r -> {
                                Thread t = new Thread(r, "send-pacer-" + provider.wireName());
                                t.setDaemon(true);
                                return t;
                            });
        }
        MetricGroup group =
                getRuntimeContext().getMetricGroup().addGroup("provider", provider.wireName());
        // Answers complete on the sender's threads (netty event loops, ledger workers, the
        // timeout timer), several at once: the counters must not lose increments, and the
        // histogram must not serialise the sends on a lock.
        accepted = group.counter("sendsAccepted", new ThreadSafeSimpleCounter());
        rejected = group.counter("sendsRejected", new ThreadSafeSimpleCounter());
        retryable = group.counter("sendsRetryable", new ThreadSafeSimpleCounter());
        pausedSkips = group.counter("sendsSkippedWhilePaused", new ThreadSafeSimpleCounter());
        latency = group.histogram("sendLatencyMs", new LatencyHistogram());
        group.gauge("inFlight", () -> inFlight.get());
        group.gauge("paused", () -> System.currentTimeMillis() < pausedUntilMillis ? 1 : 0);
        if (sender instanceof DisabledSender) {
            LOG.info("Sender for {} disabled: not configured, nothing is routed to it", provider);
        } else {
            LOG.info("Sender for {} open (rate limit {}/s per subtask)", provider, ratePerSecond);
        }
    }

    @Override
    public void asyncInvoke(SendRequest request, ResultFuture<SendOutcome> resultFuture) {
        if (System.currentTimeMillis() < pausedUntilMillis) {
            pausedSkips.inc();
            complete(
                    request,
                    SendResult.retryable(
                            CHANNEL_PAUSED,
                            provider.wireName() + " paused after a credentials rejection",
                            pausedUntilMillis - System.currentTimeMillis()),
                    Instant.now(),
                    System.nanoTime(),
                    resultFuture);
            return;
        }
        long delayNanos = reserveSlot();
        if (delayNanos <= 0) {
            send(request, resultFuture);
        } else {
            pacer.schedule(() -> send(request, resultFuture), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Reserves the next send slot under the rate limit; returns how long to wait for it. */
    private long reserveSlot() {
        if (ratePerSecond <= 0) {
            return 0;
        }
        long interval = (long) (1_000_000_000L / ratePerSecond);
        long now = System.nanoTime();
        synchronized (this) {
            long slot = Math.max(now, nextSlotNanos);
            nextSlotNanos = slot + interval;
            return slot - now;
        }
    }

    private void send(SendRequest request, ResultFuture<SendOutcome> resultFuture) {
        Instant attemptedAt = Instant.now();
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        try {
            sender.send(request)
                    .whenComplete(
                            (result, error) -> {
                                inFlight.decrementAndGet();
                                if (error != null) {
                                    // The sender broke its contract; a value keeps the job
                                    // running and the notification is retried.
                                    LOG.warn("{} sender failed unexpectedly", provider, error);
                                    result =
                                            SendResult.retryable(
                                                    SENDER_ERROR,
                                                    error.getClass().getSimpleName(),
                                                    null);
                                }
                                complete(request, result, attemptedAt, start, resultFuture);
                            });
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            LOG.warn("{} sender threw", provider, e);
            complete(
                    request,
                    SendResult.retryable(SENDER_ERROR, e.getClass().getSimpleName(), null),
                    attemptedAt,
                    start,
                    resultFuture);
        }
    }

    private void complete(
            SendRequest request,
            SendResult result,
            Instant attemptedAt,
            long startNanos,
            ResultFuture<SendOutcome> resultFuture) {
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        if (result.status() == SendStatus.ACCEPTED) {
            accepted.inc();
        } else if (result.status() == SendStatus.REJECTED) {
            rejected.inc();
        } else {
            retryable.inc();
        }
        if (CREDENTIALS_REJECTED.equals(result.reason())) {
            pause(result.detail());
        }
        latency.update(millis);
        resultFuture.complete(
                Collections.singleton(new SendOutcome(request, result, attemptedAt, millis)));
    }

    private void pause(String detail) {
        long until = System.currentTimeMillis() + pauseOnCredentialsFailure.toMillis();
        if (until > pausedUntilMillis) {
            if (System.currentTimeMillis() >= pausedUntilMillis) {
                LOG.error(
                        "{} rejected our credentials ({}): channel paused for {}; check the provider key",
                        provider,
                        detail,
                        pauseOnCredentialsFailure);
            }
            pausedUntilMillis = until;
        }
    }

    @Override
    public void timeout(SendRequest request, ResultFuture<SendOutcome> resultFuture) {
        retryable.inc();
        resultFuture.complete(
                Collections.singleton(
                        new SendOutcome(
                                request,
                                SendResult.retryable(
                                        TIMEOUT, "no answer within the send timeout", null),
                                Instant.now(),
                                -1)));
    }

    @Override
    public void close() throws Exception {
        if (pacer != null) {
            pacer.shutdownNow();
        }
        if (sender != null) {
            sender.close();
        }
        LOG.info("Sender for {} closed", provider);
    }
}
