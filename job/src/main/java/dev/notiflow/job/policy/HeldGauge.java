package dev.notiflow.job.policy;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * The gauge {@value #NAME} of a policy operator that holds notifications back (scheduled sends,
 * quiet hours, throttle deferrals, digest windows): how many its subtask holds right now, counted
 * since the subtask started. What a restored checkpoint held is not counted (the count is not
 * state), so after a restore it is a lower bound; it never goes below 0. The local run waits while
 * any of these is above 0 (within {@code --wait-scheduled}).
 */
public final class HeldGauge implements Gauge<Long> {

    /** The metric's name in each operator's group. */
    public static final String NAME = "waiting";

    private volatile long held;

    private HeldGauge() {}

    /** Registers a new gauge in the operator's metric group. */
    public static HeldGauge register(MetricGroup group) {
        return group.gauge(NAME, new HeldGauge());
    }

    /** Counts {@code n} more held back. Called from the operator's thread only. */
    public void add(long n) {
        held += n;
    }

    /** Counts {@code n} fewer held back (released, cancelled or ended otherwise). */
    public void remove(long n) {
        held = Math.max(0, held - n);
    }

    @Override
    public Long getValue() {
        return held;
    }
}
