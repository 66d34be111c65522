package dev.notiflow.model;

import java.time.Instant;

/**
 * An upstream service's request to cancel a notification that has not been sent yet: one that waits
 * for its {@code sendAt}, or for the end of its user's quiet hours.
 *
 * @param eventId the event to cancel
 * @param reason why, as upstream puts it (may be null); kept in the CANCELLED record's detail
 * @param requestedAt when the cancellation was read by the job
 */
public record Cancellation(String eventId, String reason, Instant requestedAt) {}
