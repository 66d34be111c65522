package dev.notiflow.job.it;

import org.apache.flink.api.common.functions.MapFunction;

import dev.notiflow.model.RawRecord;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only: passes records through and throws once, after {@code n} records in this JVM, to make
 * the job restore from its last checkpoint. Static state, because the restarted task is a new
 * instance.
 */
final class FailOnceAfter implements MapFunction<RawRecord, RawRecord> {

    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicInteger SEEN = new AtomicInteger();

    private final int n;

    FailOnceAfter(int n) {
        this.n = n;
    }

    static void reset() {
        FAILED.set(false);
        SEEN.set(0);
    }

    @Override
    public RawRecord map(RawRecord value) {
        if (SEEN.incrementAndGet() > n && FAILED.compareAndSet(false, true)) {
            throw new IllegalStateException("test failure after " + n + " records");
        }
        return value;
    }
}
