package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.model.NotificationEvent;

/** Splits an event into one {@link RecipientEvent} per distinct user id. Stateless. */
public final class FanOut implements FlatMapFunction<NotificationEvent, RecipientEvent> {

    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(NotificationEvent event, Collector<RecipientEvent> out) {
        for (String userId : event.userIds()) {
            out.collect(new RecipientEvent(userId, event));
        }
    }
}
