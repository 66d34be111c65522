package dev.notiflow.sinks.ledger;

import dev.notiflow.jdbc.JdbcConfigurationException;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
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
 * bounds the whole send.) After a failure or a full queue the database is left alone for {@value
 * #PAUSE_SECONDS} s; a statement that is only slow skips its own calls and pauses nothing, since
 * one slow batch (a cold connection, a busy host) is no outage, and a pause then would send every
 * replay of those seconds again. A database that hangs ends its statements by the JDBC query and
 * socket timeouts, which are failures. A WARN (without ids, tokens or addresses) is logged at most
 * once a minute. What stays at risk of a repeat is a send in flight at a crash, accepted but not
 * yet recorded, and a call its statement did not answer in time.
 *
 * <p>Failing open is for outages, not for a wrong configuration: the constructor waits (at most
 * {@value #OPEN_WAIT_SECONDS} s) for the first connection, and when the database refuses it for its
 * password, user or database name it throws the {@link JdbcConfigurationException} (naming {@code
 * jdbc.url} and the password's source), which fails the job instead of sending without the ledger
 * for ever. A database that is down or slow at that moment is an outage like any other. A refusal
 * after the start (a password rotated under a running job) is treated as an outage too.
 *
 * <p>Lookups and writes are batched: they wait in a bounded queue ({@value #QUEUE_CAPACITY} calls),
 * and each of {@value #CONNECTIONS} workers (one database connection each at most) takes what is
 * queued, up to {@link Batching#size()} calls, waiting up to {@link Batching#linger()} for more
 * when fewer are there, and runs all their lookups in one {@code SELECT ... = ANY(?)} and all their
 * writes in one multi-row {@code INSERT ... ON CONFLICT DO NOTHING}. A batch's timeout counts from
 * when its statements start, for each of its calls. JDBC calls block, so they never run on the
 * caller's thread; the futures returned never block. Thread-safe, like the wrapped sender; {@link
 * #close()} closes the wrapped sender too.
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
    private final LinkedBlockingQueue<Call> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private final int batchSize;
    private final long lingerNanos;

    private final AtomicLong replaysSkipped = new AtomicLong();
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastWarnNanos =
            new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private volatile long pausedUntilNanos = System.nanoTime();
    private volatile boolean closing;
    private volatile boolean stopped;
    private final AtomicInteger pending = new AtomicInteger();

    /** Each connection's opening (its first statement), done or failed. */
    private final List<CompletableFuture<Void>> connections = new ArrayList<>();

    /**
     * How calls are grouped: at most {@code size} lookups and writes per batch (one statement for
     * the lookups, one for the writes), and how long a worker waits for more calls when fewer are
     * queued ({@link Duration#ZERO}: it runs what is there).
     */
    public record Batching(int size, Duration linger) implements Serializable {

        private static final long serialVersionUID = 1L;

        /** The most calls in one batch that the options allow. */
        public static final int MAX_SIZE = 10_000;

        /** The longest linger the options allow. */
        public static final Duration MAX_LINGER = Duration.ofSeconds(1);

        /** Default: batches of up to 500, a worker waits up to 2 ms for more calls. */
        public static final Batching DEFAULT = new Batching(500, Duration.ofMillis(2));

        /** One statement per call, as without batching. */
        public static final Batching NONE = new Batching(1, Duration.ZERO);

        public Batching {
            if (size < 1 || size > MAX_SIZE) {
                throw new IllegalArgumentException(
                        "ledger batch size must be within 1.." + MAX_SIZE + ": " + size);
            }
            if (linger.isNegative() || linger.compareTo(MAX_LINGER) > 0) {
                throw new IllegalArgumentException(
                        "ledger batch linger must be within 0.." + MAX_LINGER + ": " + linger);
            }
        }
    }

    /**
     * @param inner the provider's sender; closed with this one
     * @param settings the database holding {@code send_ledger}
     * @param timeout longest run of a lookup or a write before going on without the ledger
     * @param batching how lookups and writes are grouped into statements
     */
    public LedgeredSender(
            ChannelSender inner, JdbcSettings settings, Duration timeout, Batching batching) {
        this(
                inner,
                new JdbcLedger(settings, CONNECTIONS),
                timeout,
                Duration.ofSeconds(PAUSE_SECONDS),
                batching);
    }

    /** A sender with the {@link Batching#DEFAULT default batching}. */
    public LedgeredSender(ChannelSender inner, JdbcSettings settings, Duration timeout) {
        this(inner, settings, timeout, Batching.DEFAULT);
    }

    LedgeredSender(ChannelSender inner, JdbcLedger ledger, Duration timeout, Duration pause) {
        this(inner, ledger, timeout, pause, Batching.DEFAULT);
    }

    LedgeredSender(
            ChannelSender inner,
            JdbcLedger ledger,
            Duration timeout,
            Duration pause,
            Batching batching) {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("ledger timeout must be positive: " + timeout);
        }
        this.inner = inner;
        this.ledger = ledger;
        this.timeout = timeout;
        this.pauseNanos = pause.toNanos();
        this.batchSize = batching.size();
        this.lingerNanos = batching.linger().toNanos();
        int id = SENDER_IDS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.executor =
                new ThreadPoolExecutor(
                        CONNECTIONS,
                        CONNECTIONS,
                        0,
                        TimeUnit.MILLISECONDS,
                        new ArrayBlockingQueue<>(2 * CONNECTIONS),
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
        // Each thread opened its connection first (above), then runs a worker for good.
        for (int i = 0; i < CONNECTIONS; i++) {
            executor.execute(this::work);
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
        return enqueue(new Call(notificationId, null), "lookup");
    }

    private CompletableFuture<SendResult> recordIfAccepted(SendRequest request, SendResult result) {
        if (result == null
                || result.status() != SendStatus.ACCEPTED
                || request.notificationId() == null) {
            return CompletableFuture.completedFuture(result);
        }
        JdbcLedger.Row row =
                new JdbcLedger.Row(
                        request.notificationId(),
                        request.provider(),
                        result.providerMessageId(),
                        Instant.now());
        return enqueue(new Call(row.notificationId(), row), "write").thenApply(ignored -> result);
    }

    /**
     * A lookup ({@code row == null}) or a write waiting for its batch; its future completes with
     * the entry found (lookups) or {@code null}.
     */
    private static final class Call {
        final String notificationId;
        final JdbcLedger.Row row;
        final CompletableFuture<JdbcLedger.Entry> future = new CompletableFuture<>();

        Call(String notificationId, JdbcLedger.Row row) {
            this.notificationId = notificationId;
            this.row = row;
        }
    }

    /**
     * Queues a ledger call for the next batch; completes with {@code null} instead of failing when
     * the ledger is paused, busy, failing or slow. The timeout counts from when the call's batch
     * starts to run, not from when it was queued: after a restore, a burst of replayed lookups
     * waits its turn instead of timing out in the queue (and sending without the ledger just when
     * it matters). A call whose batch starts while the ledger is paused is skipped at once.
     */
    private CompletableFuture<JdbcLedger.Entry> enqueue(Call call, String what) {
        if (paused()) {
            return CompletableFuture.completedFuture(null);
        }
        if (!queue.offer(call)) {
            unavailable(what, "queue full", null);
            return CompletableFuture.completedFuture(null);
        }
        if (stopped) {
            skipQueued();
        }
        return call.future.exceptionally(
                error -> {
                    Throwable cause =
                            error instanceof CompletionException && error.getCause() != null
                                    ? error.getCause()
                                    : error;
                    if (cause instanceof TimeoutException) {
                        slow(what);
                    } else {
                        unavailable(what, describe(cause), cause);
                    }
                    return null;
                });
    }

    /**
     * One of the {@value #CONNECTIONS} workers: takes the calls queued (waiting up to {@code
     * linger} for more while fewer than {@code batchSize} are there), and runs all their lookups in
     * one statement and all their writes in another.
     */
    private void work() {
        List<Call> batch = new ArrayList<>(batchSize);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                batch.add(queue.take());
                queue.drainTo(batch, batchSize - batch.size());
                if (batch.size() < batchSize && lingerNanos > 0) {
                    long deadline = System.nanoTime() + lingerNanos;
                    long left;
                    while (batch.size() < batchSize && (left = deadline - System.nanoTime()) > 0) {
                        Call next = queue.poll(left, TimeUnit.NANOSECONDS);
                        if (next == null) {
                            break;
                        }
                        batch.add(next);
                        queue.drainTo(batch, batchSize - batch.size());
                    }
                }
                run(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            // Calls never run complete as skipped, so no send waits for them.
            batch.forEach(c -> c.future.complete(null));
        }
    }

    /** Completes the calls no worker will run any more (the sender closed) as skipped. */
    private void skipQueued() {
        List<Call> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(c -> c.future.complete(null));
    }

    private void run(List<Call> batch) {
        if (paused()) {
            batch.forEach(c -> c.future.complete(null));
            return;
        }
        List<Call> lookups = new ArrayList<>();
        List<Call> writes = new ArrayList<>();
        for (Call call : batch) {
            // A lookup still queued when the sender closes is of no use any more: its send will
            // not be answered. Skipping it leaves the close grace to the writes.
            if (call.row == null && closing) {
                call.future.complete(null);
                continue;
            }
            (call.row == null ? lookups : writes).add(call);
        }
        // Each statement's calls time out from when that statement starts: the writes' clock
        // does not run while the lookups run and their sends are handed to the provider.
        if (!lookups.isEmpty()) {
            lookups.forEach(c -> c.future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS));
            Set<String> ids = new LinkedHashSet<>();
            lookups.forEach(c -> ids.add(c.notificationId));
            try {
                Map<String, JdbcLedger.Entry> found = ledger.findAll(ids);
                lookups.forEach(c -> c.future.complete(found.get(c.notificationId)));
            } catch (SQLException | RuntimeException e) {
                lookups.forEach(c -> c.future.completeExceptionally(e));
            }
        }
        if (!writes.isEmpty()) {
            if (paused()) {
                // The lookups just failed: the writes go on without the ledger too.
                writes.forEach(c -> c.future.complete(null));
                return;
            }
            writes.forEach(c -> c.future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS));
            Map<String, JdbcLedger.Row> rows = new LinkedHashMap<>();
            writes.forEach(c -> rows.putIfAbsent(c.notificationId, c.row));
            try {
                recorded.addAndGet(ledger.recordAll(new ArrayList<>(rows.values())));
                writes.forEach(c -> c.future.complete(null));
            } catch (SQLException | RuntimeException e) {
                writes.forEach(c -> c.future.completeExceptionally(e));
            }
        }
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
            connections.add(connected);
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

    /**
     * Waits until every connection of the pool has opened and run its first statement (or failed
     * to), so that no opening statement is still running when a caller starts to measure.
     */
    void awaitConnections(Duration timeout) throws Exception {
        CompletableFuture.allOf(connections.toArray(CompletableFuture[]::new))
                .handle((ok, failed) -> null)
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A call whose statement ran longer than the timeout: skipped, without a pause. */
    private void slow(String what) {
        long total = failures.incrementAndGet();
        if (warnNow()) {
            LOG.warn(
                    "Send ledger {} answered later than {} ms; that send went on without the"
                            + " ledger ({} ledger failures so far)",
                    what,
                    timeout.toMillis(),
                    total);
        }
    }

    private boolean warnNow() {
        long now = System.nanoTime();
        long last = lastWarnNanos.get();
        return now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(last, now);
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
        stopped = true;
        executor.shutdownNow();
        skipQueued();
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
