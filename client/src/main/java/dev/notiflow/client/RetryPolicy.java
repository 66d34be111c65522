package dev.notiflow.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How the HTTP transport retries a request the gateway answered {@code 429} or {@code 503}, or that
 * failed on the connection: at most {@link #maxAttempts()} attempts in all, never past {@link
 * #maxTotal()} after the first one started. A {@code Retry-After} header (seconds or an HTTP date)
 * sets the wait; without one the wait doubles from {@link #initialBackoff()} up to {@link
 * #maxBackoff()}. A wait that would end past the total budget is not started: the last answer is
 * returned instead. Every attempt carries the same idempotency key, so a retry never enqueues a
 * second notification. Immutable.
 *
 * @param maxAttempts attempts in all, at least 1 (1: no retry)
 * @param maxTotal the time budget of all attempts and waits
 * @param initialBackoff the first wait when the answer has no {@code Retry-After}
 * @param maxBackoff the longest wait without {@code Retry-After}
 */
public record RetryPolicy(
        int maxAttempts, Duration maxTotal, Duration initialBackoff, Duration maxBackoff) {

    /** 5 attempts within 30 s, waits from 200 ms up to 5 s. */
    public static final RetryPolicy DEFAULT =
            new RetryPolicy(
                    5, Duration.ofSeconds(30), Duration.ofMillis(200), Duration.ofSeconds(5));

    /** One attempt only. */
    public static final RetryPolicy NONE =
            new RetryPolicy(1, Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException(
                    "maxAttempts must be at least 1, was " + maxAttempts);
        }
        Objects.requireNonNull(maxTotal, "maxTotal");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxTotal.isNegative() || initialBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("durations must not be negative");
        }
    }

    /** The wait before attempt {@code attempt + 1} when the answer gave no {@code Retry-After}. */
    Duration backoff(int attempt) {
        long millis = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
}
