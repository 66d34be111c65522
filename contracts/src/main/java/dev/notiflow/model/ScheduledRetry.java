package dev.notiflow.model;

import java.time.Instant;

/**
 * A send to try again, on the internal {@code notification-retry} topic: the request as its next
 * attempt, and the earliest time to send it.
 */
public record ScheduledRetry(SendRequest request, Instant notBefore) {}
