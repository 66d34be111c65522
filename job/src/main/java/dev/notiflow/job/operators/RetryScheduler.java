package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;

/**
 * Holds each retry from {@code notification-retry} until its not-before time, then releases it to
 * be sent again. Keyed by notificationId; nothing sleeps: a processing-time timer per retry.
 *
 * <p>State: the waiting retry, cleared when its timer fires. A repeated retry for the same
 * notification (a replay) replaces the waiting one, so it is sent once.
 */
public final class RetryScheduler
        extends KeyedProcessFunction<String, ScheduledRetry, SendRequest> {

    private static final long serialVersionUID = 1L;

    public static final String WAITING_STATE = "waiting-retry";

    private transient ValueState<ScheduledRetry> waiting;

    @Override
    public void open(OpenContext openContext) {
        waiting =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>(WAITING_STATE, ScheduledRetry.class));
    }

    @Override
    public void processElement(ScheduledRetry retry, Context ctx, Collector<SendRequest> out)
            throws Exception {
        ScheduledRetry previous = waiting.value();
        if (previous != null) {
            ctx.timerService().deleteProcessingTimeTimer(previous.notBefore().toEpochMilli());
        }
        long due = retry.notBefore().toEpochMilli();
        if (due <= ctx.timerService().currentProcessingTime()) {
            waiting.clear();
            out.collect(retry.request());
            return;
        }
        waiting.update(retry);
        ctx.timerService().registerProcessingTimeTimer(due);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SendRequest> out)
            throws Exception {
        ScheduledRetry retry = waiting.value();
        if (retry != null && retry.notBefore().toEpochMilli() <= timestamp) {
            waiting.clear();
            out.collect(retry.request());
        }
    }
}
