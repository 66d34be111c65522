package dev.notiflow.job.operators;

import dev.notiflow.model.NotificationEvent;

/** One event for one of its recipients: the unit that is joined with the user's state. */
public record RecipientEvent(String userId, NotificationEvent event) {}
