package dev.notiflow.model;

import java.time.Instant;

/** A send attempt and its result, as the async senders emit it. */
public record SendOutcome(
        SendRequest request, SendResult result, Instant attemptedAt, long latencyMillis) {}
