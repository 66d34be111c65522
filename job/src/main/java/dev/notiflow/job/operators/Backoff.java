package dev.notiflow.job.operators;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with jitter: before attempt {@code n + 1}, wait a random time between
 * half and all of {@code min(max, initial × 2^(n-1))}; a provider's Retry-After wins when later.
 */
public final class Backoff {

    private Backoff() {}

    /**
     * @param failedAttempt the attempt that just failed, from 1
     * @param retryAfterMillis the provider's Retry-After, or {@code null}
     */
    public static Duration delay(
            int failedAttempt, Duration initial, Duration max, Long retryAfterMillis) {
        int shift = Math.min(Math.max(failedAttempt - 1, 0), 30);
        long cap = Math.min(max.toMillis(), initial.toMillis() << shift);
        if (cap < 0) {
            cap = max.toMillis();
        }
        long jittered = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
        long wait = retryAfterMillis == null ? jittered : Math.max(jittered, retryAfterMillis);
        return Duration.ofMillis(wait);
    }
}
