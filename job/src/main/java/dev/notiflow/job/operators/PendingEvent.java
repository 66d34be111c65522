package dev.notiflow.job.operators;

/** An event waiting for its user's profile, until {@code deadline} (processing time, millis). */
public record PendingEvent(RecipientEvent recipient, long deadline) {}
