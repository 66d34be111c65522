package dev.notiflow.job.operators;

import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;

/**
 * An event on its way through the lane router: the record as it arrived, to be written on
 * unchanged, and its parsed form, for the eventId, the lane and a duplicate's delivery record.
 */
public record LaneRecord(NotificationEvent event, RawRecord raw) {

    public String eventId() {
        return event.eventId();
    }

    /** The event's lane: its priority, {@code normal} when it has none. */
    public Priority lane() {
        return event.priority() == null ? Priority.NORMAL : event.priority();
    }
}
