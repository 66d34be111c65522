package dev.notiflow.job.operators;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import dev.notiflow.model.NotificationEvent;

/**
 * Splits an event into one {@link RecipientEvent} per distinct user id, each naming only its own
 * recipient. Audience events have no user ids: they go whole to {@link #AUDIENCES}, for {@link
 * AudienceWalker} to find their users. Stateless.
 */
public final class FanOut extends ProcessFunction<NotificationEvent, RecipientEvent> {

    private static final long serialVersionUID = 1L;

    /** Audience events, as they came. */
    public static final OutputTag<NotificationEvent> AUDIENCES =
            new OutputTag<>("audience-events", TypeInformation.of(NotificationEvent.class));

    @Override
    public void processElement(
            NotificationEvent event, Context ctx, Collector<RecipientEvent> out) {
        if (event.audience() != null) {
            ctx.output(AUDIENCES, event);
            return;
        }
        for (String userId : event.userIds()) {
            out.collect(RecipientEvent.of(userId, event));
        }
    }
}
