package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;

import java.time.Duration;

/**
 * Holds each retry from {@code notification-retry} until its not-before time, then releases it to
 * be sent again. Keyed by notificationId; nothing sleeps: a processing-time timer per retry.
 *
 * <p>State: the waiting retry, cleared when its timer fires. A repeated retry for the same
 * notification (a replay) replaces the waiting one, so it is sent once. A fallback notification is
 * marked as sent (TTL one day), so a second request for it (another failed device of the same push)
 * is dropped.
 */
public final class RetryScheduler
        extends KeyedProcessFunction<String, ScheduledRetry, SendRequest> {

    private static final long serialVersionUID = 1L;

    public static final String WAITING_STATE = "waiting-retry";

    public static final String FALLBACK_SENT_STATE = "fallback-sent";

    private transient ValueState<ScheduledRetry> waiting;
    private transient ValueState<Boolean> fallbackSent;

    @Override
    public void open(OpenContext openContext) {
        waiting =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>(WAITING_STATE, ScheduledRetry.class));
        ValueStateDescriptor<Boolean> sent =
                new ValueStateDescriptor<>(FALLBACK_SENT_STATE, Boolean.class);
        sent.enableTimeToLive(
                StateTtlConfig.newBuilder(Duration.ofDays(1))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build());
        fallbackSent = getRuntimeContext().getState(sent);
    }

    @Override
    public void processElement(ScheduledRetry retry, Context ctx, Collector<SendRequest> out)
            throws Exception {
        if (isNewFallback(retry)) {
            // Several failed devices of one push ask for the same fallback: send it once.
            if (fallbackSent.value() != null) {
                return;
            }
            fallbackSent.update(Boolean.TRUE);
        }
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

    private static boolean isNewFallback(ScheduledRetry retry) {
        SendRequest r = retry.request();
        return r.fallbackOf() != null
                && r.attempt() == 1
                && r.lastReason() != null
                && r.lastReason().startsWith("FALLBACK");
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
