package dev.notiflow.job.operators;

import dev.notiflow.model.NotificationEvent;

import java.util.List;

/**
 * One event for one of its recipients: the unit that is joined with the user's state. The event
 * names only this recipient ({@code userIds = [userId]}, no audience), so what crosses the keyBy
 * does not grow with the number of recipients.
 */
public record RecipientEvent(String userId, NotificationEvent event) {

    /** The event as sent to one of its recipients: every field kept, the recipients cut to one. */
    public static RecipientEvent of(String userId, NotificationEvent event) {
        return new RecipientEvent(
                userId,
                new NotificationEvent(
                        event.eventId(),
                        event.type(),
                        event.category(),
                        List.of(userId),
                        event.templateId(),
                        event.data(),
                        event.channels(),
                        event.priority(),
                        event.sendAt(),
                        event.createdAt(),
                        event.receivedAt(),
                        event.sourceRef(),
                        null));
    }
}
