package dev.notiflow.sinks.ledger;

import dev.notiflow.jdbc.JdbcConfigurationException;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ChannelSender} decorator that stops a replayed send from reaching the provider again
 * when an earlier attempt of the same notification was accepted. Before each send it looks the
 * notification id up in the {@code send_ledger} table: when found, it completes with {@link
 * SendResult#accepted} of the stored provider message id without calling the provider (counted in
 * {@link #replaysSkipped()}). After an ACCEPTED answer it inserts the notification ({@code ON
 * CONFLICT DO NOTHING}) and then passes the answer on, so a notification whose outcome left the
 * send operator is in the ledger. REJECTED and RETRYABLE answers are not recorded: a retry calls
 * the provider again.
 *
 * <p>The ledger fails open. A lookup or write that fails, runs longer than {@code timeout} or finds
 * the ledger's queue full is skipped: the send goes out, and the provider's answer is passed on
 * unchanged. (Time spent queued behind other calls does not count; the async operator's own timeout
 * bounds the whole send.) After a failure the database is left alone for {@value #PAUSE_SECONDS} s,
 * and a WARN (without ids, tokens or addresses) is logged at most once a minute. What stays at risk
 * of a repeat is a send in flight at a crash, accepted but not yet recorded.
 *
 * <p>Failing open is for outages, not for a wrong configuration: the constructor waits (at most
 * {@value #OPEN_WAIT_SECONDS} s) for the first connection, and when the database refuses it for its
 * password, user or database name it throws the {@link JdbcConfigurationException} (naming {@code
 * jdbc.url} and the password's source), which fails the job instead of sending without the ledger
 * for ever. A database that is down or slow at that moment is an outage like any other. A refusal
 * after the start (a password rotated under a running job) is treated as an outage too.
 *
 * <p>JDBC calls block, so they run on a small executor owned by this sender ({@value #CONNECTIONS}
 * threads, one database connection each at most, a bounded queue), never on the caller's thread;
 * the futures returned never block. Thread-safe, like the wrapped sender; {@link #close()} closes
 * the wrapped sender too.
 */
public final class LedgeredSender implements ChannelSender {

    private static final Logger LOG = LoggerFactory.getLogger(LedgeredSender.class);

    /** Default for the longest run of a lookup or a write. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    /** The answer to a send that had not started when the sender closed (the job is stopping). */
    public static final String SENDER_CLOSED = "SENDER_CLOSED";

    static final int CONNECTIONS = 2;
    static final int QUEUE_CAPACITY = 10_000;
    static final long PAUSE_SECONDS = 5;
    static final long OPEN_WAIT_SECONDS = 5;
    private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(2);
    private static final AtomicInteger SENDER_IDS = new AtomicInteger();

    private final ChannelSender inner;
    private final JdbcLedger ledger;
    private final Duration timeout;
    private final long pauseNanos;
    private final ThreadPoolExecutor executor;

    private final AtomicLong replaysSkipped = new AtomicLong();
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastWarnNanos =
            new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private volatile long pausedUntilNanos = System.nanoTime();
    private volatile boolean closing;
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * @param inner the provider's sender; closed with this one
     * @param settings the database holding {@code send_ledger}
     * @param timeout longest run of a lookup or a write before going on without the ledger
     */
    public LedgeredSender(ChannelSender inner, JdbcSettings settings, Duration timeout) {
        this(
                inner,
                new JdbcLedger(settings, CONNECTIONS),
                timeout,
                Duration.ofSeconds(PAUSE_SECONDS));
    }

    LedgeredSender(ChannelSender inner, JdbcLedger ledger, Duration timeout, Duration pause) {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("ledger timeout must be positive: " + timeout);
        }
        this.inner = inner;
        this.ledger = ledger;
        this.timeout = timeout;
        this.pauseNanos = pause.toNanos();
        int id = SENDER_IDS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.executor =
                new ThreadPoolExecutor(
                        CONNECTIONS,
                        CONNECTIONS,
                        0,
                        TimeUnit.MILLISECONDS,
                        new ArrayBlockingQueue<>(QUEUE_CAPACITY),
                        r -> {
                            Thread t =
                                    new Thread(
                                            r,
                                            "send-ledger-" + id + "-" + threads.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        },
                        new ThreadPoolExecutor.AbortPolicy());
        try {
            warmUp();
        } catch (JdbcConfigurationException e) {
            executor.shutdownNow();
            ledger.close();
            inner.close();
            throw e;
        }
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        String id = request.notificationId();
        pending.incrementAndGet();
        CompletableFuture<SendResult> result =
                lookup(id)
                        .thenCompose(
                                entry -> {
                                    if (entry != null) {
                                        long skipped = replaysSkipped.incrementAndGet();
                                        LOG.debug(
                                                "{} send already accepted before, not repeated"
                                                        + " ({} so far)",
                                                request.provider(),
                                                skipped);
                                        return CompletableFuture.completedFuture(
                                                SendResult.accepted(entry.providerMessageId()));
                                    }
                                    if (closing) {
                                        return CompletableFuture.completedFuture(
                                                SendResult.retryable(
                                                        SENDER_CLOSED,
                                                        "the sender closed before this send"
                                                                + " started",
                                                        null));
                                    }
                                    return inner.send(request)
                                            .thenCompose(r -> recordIfAccepted(request, r));
                                });
        result.whenComplete((r, e) -> pending.decrementAndGet());
        return result;
    }

    private CompletableFuture<JdbcLedger.Entry> lookup(String notificationId) {
        // A lookup still queued when the sender closes is of no use any more: its send will not
        // be answered. Skipping it leaves the close grace to the writes.
        return call(() -> closing ? null : ledger.find(notificationId), "lookup");
    }

    private CompletableFuture<SendResult> recordIfAccepted(SendRequest request, SendResult result) {
        if (result == null
                || result.status() != SendStatus.ACCEPTED
                || request.notificationId() == null) {
            return CompletableFuture.completedFuture(result);
        }
        Provider provider = request.provider();
        Instant sentAt = Instant.now();
        return call(
                        () -> {
                            if (ledger.record(
                                    request.notificationId(),
                                    provider,
                                    result.providerMessageId(),
                                    sentAt)) {
                                recorded.incrementAndGet();
                            }
                            return null;
                        },
                        "write")
                .thenApply(ignored -> result);
    }

    private interface LedgerCall<T> {
        T run() throws SQLException;
    }

    /**
     * Runs a ledger call on the executor; completes with {@code null} instead of failing when the
     * ledger is paused, busy, failing or slow. The timeout counts from when the call starts to run,
     * not from when it was queued: after a restore, a burst of replayed lookups waits its turn
     * instead of timing out in the queue (and sending without the ledger just when it matters). A
     * call that reaches the front of the queue while the ledger is paused is skipped at once.
     */
    private <T> CompletableFuture<T> call(LedgerCall<T> work, String what) {
        if (paused()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            executor.execute(
                    () -> {
                        if (paused()) {
                            future.complete(null);
                            return;
                        }
                        future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        try {
                            future.complete(work.run());
                        } catch (SQLException | RuntimeException e) {
                            future.completeExceptionally(e);
                        }
                    });
        } catch (RejectedExecutionException e) {
            unavailable(what, "queue full or closed", null);
            return CompletableFuture.completedFuture(null);
        }
        return future.exceptionally(
                error -> {
                    Throwable cause =
                            error instanceof CompletionException && error.getCause() != null
                                    ? error.getCause()
                                    : error;
                    unavailable(what, describe(cause), cause);
                    return null;
                });
    }

    private boolean paused() {
        return System.nanoTime() - pausedUntilNanos < 0;
    }

    /**
     * Opens the pool's connections before the first send needs them, and waits for the first one
     * (at most {@value #OPEN_WAIT_SECONDS} s) to find out whether the database accepts the
     * credentials. Connecting may take longer than a lookup's timeout (authentication, a busy host)
     * and is not bound by it; only a failure to connect pauses the ledger.
     *
     * @throws JdbcConfigurationException when the database refuses the first connection for its
     *     password, user or database name
     */
    private void warmUp() {
        CompletableFuture<Void> first = null;
        for (int i = 0; i < CONNECTIONS; i++) {
            CompletableFuture<Void> connected = new CompletableFuture<>();
            executor.execute(
                    () -> {
                        try {
                            ledger.warmUp();
                            connected.complete(null);
                        } catch (SQLException | RuntimeException e) {
                            unavailable("connect", describe(e), e);
                            connected.completeExceptionally(e);
                        }
                    });
            if (first == null) {
                first = connected;
            }
        }
        try {
            first.get(OPEN_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof JdbcConfigurationException refused) {
                throw refused;
            }
        } catch (TimeoutException e) {
            LOG.debug("Send ledger: no connection within {} s, going on", OPEN_WAIT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void unavailable(String what, String why, Throwable cause) {
        long total = failures.incrementAndGet();
        long now = System.nanoTime();
        pausedUntilNanos = now + pauseNanos;
        long last = lastWarnNanos.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(last, now)) {
            LOG.warn(
                    "Send ledger {} failed ({}); sending without the ledger for the next {} s"
                            + " ({} ledger failures so far)",
                    what,
                    why,
                    TimeUnit.NANOSECONDS.toSeconds(pauseNanos),
                    total);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("Send ledger {} failed ({})", what, why);
        }
    }

    private static String describe(Throwable cause) {
        if (cause instanceof SQLException sql) {
            // logServerErrorDetail=false keeps bind values out of PostgreSQL's messages.
            return sql.getClass().getSimpleName()
                    + " SQLState "
                    + sql.getSQLState()
                    + ": "
                    + sql.getMessage();
        }
        if (cause instanceof TimeoutException) {
            return "no answer in time";
        }
        if (cause instanceof JdbcConfigurationException refused) {
            // Names jdbc.url and the password's source, never the password.
            return refused.getMessage();
        }
        return cause.getClass().getSimpleName();
    }

    /** Sends answered from the ledger without calling the provider. */
    public long replaysSkipped() {
        return replaysSkipped.get();
    }

    /** Accepted sends this sender added to the ledger. */
    public long recorded() {
        return recorded.get();
    }

    /** Lookups and writes that failed, timed out or were refused, so went on without the ledger. */
    public long ledgerFailures() {
        return failures.get();
    }

    /**
     * Lets the sends under way finish, each with its ledger write, for at most {@code CLOSE_GRACE},
     * then closes the ledger and the wrapped sender. Sends not started yet are not made (they
     * answer {@value #SENDER_CLOSED}). Flink closes the function when the task fails or is
     * cancelled too, and interrupts the task thread then: the wait goes on through interrupts,
     * since a write dropped here is a send repeated after the restore.
     */
    @Override
    public void close() {
        closing = true;
        boolean interrupted = false;
        long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
        while (pending.get() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        executor.shutdownNow();
        try {
            ledger.close();
            inner.close();
            LOG.info(
                    "Send ledger closed: {} replays skipped, {} sends recorded, {} ledger failures,"
                            + " {} sends unfinished",
                    replaysSkipped.get(),
                    recorded.get(),
                    failures.get(),
                    pending.get());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
