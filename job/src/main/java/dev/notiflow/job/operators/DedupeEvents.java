package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.NotificationEvent;

import java.time.Duration;
import java.time.Instant;

/**
 * Drops repeated events, keyed by eventId. The first occurrence passes; each repeat within the TTL
 * yields one SKIPPED/DUPLICATE_EVENT record on {@link OutputTags#DELIVERIES} and nothing else.
 *
 * <p>State: one flag per eventId with a processing-time TTL set on creation only, so a stream of
 * repeats does not keep an id alive forever; RocksDB drops expired entries in compaction.
 */
public final class DedupeEvents
        extends KeyedProcessFunction<String, NotificationEvent, NotificationEvent> {

    private static final long serialVersionUID = 1L;

    public static final String SEEN_STATE = "seen";

    private final Duration ttl;
    private transient ValueState<Boolean> seen;
    private transient Counter duplicates;

    public DedupeEvents(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext openContext) {
        seen = getRuntimeContext().getState(seenDescriptor(ttl));
        duplicates = getRuntimeContext().getMetricGroup().counter("duplicateEvents");
    }

    /** The dedupe state: also how savepoint tools must declare it to read it. */
    public static ValueStateDescriptor<Boolean> seenDescriptor(Duration ttl) {
        ValueStateDescriptor<Boolean> descriptor =
                new ValueStateDescriptor<>(SEEN_STATE, Boolean.class);
        descriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(ttl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build());
        return descriptor;
    }

    @Override
    public void processElement(
            NotificationEvent event, Context ctx, Collector<NotificationEvent> out)
            throws Exception {
        if (seen.value() != null) {
            duplicates.inc();
            ctx.output(OutputTags.DELIVERIES, Records.duplicate(event, Instant.now()));
            return;
        }
        seen.update(Boolean.TRUE);
        out.collect(event);
    }
}
