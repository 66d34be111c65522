package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;

import java.time.Duration;
import java.time.Instant;

/**
 * The lane router's dedupe, keyed by eventId, with {@link DedupeEvents}'s semantics and its very
 * state ({@link DedupeEvents#seenDescriptor}): the first occurrence passes, whatever its lane; each
 * repeat within the TTL yields one SKIPPED/DUPLICATE_EVENT record on {@link OutputTags#DELIVERIES}
 * and nothing else. So the same eventId sent once as normal and once as high reaches one lane only.
 * Under the same uid as {@link DedupeEvents}, it restores the eventIds remembered by the single
 * job's savepoint.
 */
public final class DedupeLaneEvents extends KeyedProcessFunction<String, LaneRecord, LaneRecord> {

    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicates;

    public DedupeLaneEvents(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext openContext) {
        seen = getRuntimeContext().getState(DedupeEvents.seenDescriptor(ttl));
        duplicates = getRuntimeContext().getMetricGroup().counter("duplicateEvents");
    }

    @Override
    public void processElement(LaneRecord record, Context ctx, Collector<LaneRecord> out)
            throws Exception {
        if (seen.value() != null) {
            duplicates.inc();
            ctx.output(OutputTags.DELIVERIES, Records.duplicate(record.event(), Instant.now()));
            return;
        }
        seen.update(Boolean.TRUE);
        out.collect(record);
    }
}
