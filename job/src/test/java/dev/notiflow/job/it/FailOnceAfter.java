package dev.notiflow.job.it;

import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

import dev.notiflow.model.RawRecord;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only, on the events: throws {@code times} times in all, at most once per attempt of the job,
 * so the job restores from its last checkpoint again and again, once per failure. Static state,
 * because a restarted task is a new instance.
 *
 * <p>{@link #FailOnceAfter(int, int)} throws each time another {@code every} records went by in
 * this JVM (replays included). {@link #whileSending} throws mid-send instead: once the job asked
 * for at least {@code sends} sends in this attempt, on the first event after a send was answered
 * for an event that passed this subtask since its last checkpoint barrier (and at least one barrier
 * passed it in this attempt, so each crash may restore a later checkpoint). That event will be
 * replayed, whichever checkpoint the job restores, so every crash leaves an answered send to repeat
 * (or, with the ledger, to answer from it).
 *
 * <p>It also tells {@link SendLog} when each checkpoint's barrier passed the events and which
 * checkpoint each attempt of the job restored, so a test can measure what a crash may repeat;
 * {@link #never()} does only that.
 */
final class FailOnceAfter extends RichMapFunction<RawRecord, RawRecord>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;

    static final AtomicInteger FAILURES = new AtomicInteger();
    static final AtomicInteger SEEN = new AtomicInteger();

    /** The attempt of the job that failed last, -1 before the first failure. */
    static final AtomicInteger FAILED_ATTEMPT = new AtomicInteger(-1);

    private final int every;
    private final int sends;
    private final int times;

    /** Events (keys) that passed this subtask since its last checkpoint barrier. */
    private transient Set<String> sinceBarrier;

    /** Whether a checkpoint barrier passed this subtask in this attempt. */
    private transient boolean barrierPassed;

    FailOnceAfter(int every, int times) {
        this(every, 0, times);
    }

    private FailOnceAfter(int every, int sends, int times) {
        this.every = every;
        this.sends = sends;
        this.times = times;
    }

    /** Throws mid-send, {@code times} times, after at least {@code sends} sends per attempt. */
    static FailOnceAfter whileSending(int sends, int times) {
        return new FailOnceAfter(0, sends, times);
    }

    /** Never fails; only reports barriers and restores. */
    static FailOnceAfter never() {
        return new FailOnceAfter(Integer.MAX_VALUE, 0);
    }

    static void reset() {
        FAILURES.set(0);
        SEEN.set(0);
        FAILED_ATTEMPT.set(-1);
    }

    @Override
    public RawRecord map(RawRecord value) {
        int seen = SEEN.incrementAndGet();
        int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        // One failure per attempt: a second one, thrown by another subtask before the job
        // restarted, would be folded into the same restart.
        int failedAttempt = FAILED_ATTEMPT.get();
        if (FAILURES.get() < times && attempt > failedAttempt && due(seen, attempt)) {
            if (FAILED_ATTEMPT.compareAndSet(failedAttempt, attempt)) {
                throw new IllegalStateException(
                        "test failure "
                                + FAILURES.incrementAndGet()
                                + " after "
                                + seen
                                + " records");
            }
        }
        if (value.key() != null) {
            sinceBarrier.add(new String(value.key(), StandardCharsets.UTF_8));
        }
        return value;
    }

    private boolean due(int seen, int attempt) {
        if (every > 0) {
            return seen % every == 0;
        }
        return barrierPassed
                && SendLog.attemptsInAttempt(attempt) >= sends
                && sinceBarrier.stream().anyMatch(SendLog::answeredEvent);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        SendLog.barrier(context.getCheckpointId());
        sinceBarrier.clear();
        barrierPassed = true;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {
        sinceBarrier = new HashSet<>();
        SendLog.started(
                getRuntimeContext().getTaskInfo().getAttemptNumber(),
                context.getRestoredCheckpointId().orElse(-1));
    }
}
