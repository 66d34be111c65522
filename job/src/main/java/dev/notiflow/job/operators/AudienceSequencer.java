package dev.notiflow.job.operators;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.model.NotificationEvent;

/**
 * Numbers audience events, in the order they come, before they are broadcast to every {@link
 * AudienceWalker} subtask. Runs with parallelism 1, so that one order exists: every walker subtask
 * receives the audiences in it, and a user's mark (the number of the last audience walked past
 * them) tells which of the pending audiences they have had, whichever subtask held them before a
 * restore or a rescale. The next number is checkpointed.
 */
public final class AudienceSequencer extends ProcessFunction<NotificationEvent, AudienceWalk>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;

    public static final String NEXT_STATE = "next-audience-seq";

    private transient ListState<Long> nextState;
    private transient long next;

    @Override
    public void processElement(NotificationEvent event, Context ctx, Collector<AudienceWalk> out) {
        out.collect(new AudienceWalk(next++, event));
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        nextState.update(java.util.List.of(next));
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        nextState =
                context.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>(NEXT_STATE, Long.class));
        next = 0;
        for (Long n : nextState.get()) {
            next = Math.max(next, n);
        }
    }
}
