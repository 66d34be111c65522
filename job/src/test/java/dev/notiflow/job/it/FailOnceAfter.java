package dev.notiflow.job.it;

import org.apache.flink.api.common.functions.MapFunction;

import dev.notiflow.model.RawRecord;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only: passes records through and throws each time another {@code every} records went by in
 * this JVM (replays included), {@code times} times in all, so the job restores from its last
 * checkpoint again and again. Static state, because a restarted task is a new instance.
 */
final class FailOnceAfter implements MapFunction<RawRecord, RawRecord> {

    static final AtomicInteger FAILURES = new AtomicInteger();
    static final AtomicInteger SEEN = new AtomicInteger();

    private final int every;
    private final int times;

    FailOnceAfter(int every, int times) {
        this.every = every;
        this.times = times;
    }

    static void reset() {
        FAILURES.set(0);
        SEEN.set(0);
    }

    @Override
    public RawRecord map(RawRecord value) {
        int seen = SEEN.incrementAndGet();
        if (seen % every == 0 && FAILURES.get() < times && FAILURES.incrementAndGet() <= times) {
            throw new IllegalStateException(
                    "test failure " + FAILURES.get() + " after " + seen + " records");
        }
        return value;
    }
}
