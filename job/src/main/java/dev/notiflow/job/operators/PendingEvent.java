package dev.notiflow.job.operators;

import java.time.Instant;

/**
 * An event waiting for its user's profile, until {@code deadline} (processing time, millis).
 *
 * @param queuedAt when it started waiting; {@code null} in state written before this field existed
 *     (savepoints of version 0.1)
 */
public record PendingEvent(RecipientEvent recipient, long deadline, Instant queuedAt) {}
