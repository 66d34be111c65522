package dev.notiflow.job.operators;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.LongSummaryStatistics;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTest {

    private static final Duration INITIAL = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofMinutes(1);

    /** Enough draws that a jitter missing either end of its range fails with certainty. */
    private static final int DRAWS = 2_000;

    @ParameterizedTest(name = "after attempt {0}: {1}..{2} ms")
    @CsvSource({
        "1, 500, 1000",
        "2, 1000, 2000",
        "3, 2000, 4000",
        "6, 16000, 32000",
        // 2^6 s = 64 s is over the cap of 60 s
        "7, 30000, 60000",
        "30, 30000, 60000",
        // the exponent stops at 30: no overflow for any attempt number
        "2147483647, 30000, 60000",
        // an attempt number below 1 counts as the first
        "0, 500, 1000"
    })
    void shouldJitterBetweenHalfAndAllOfTheCappedExponentialDelay(
            int failedAttempt, long lowMillis, long highMillis) {
        LongSummaryStatistics waits = draws(failedAttempt, INITIAL, MAX, null);

        assertThat(waits.getMin()).isGreaterThanOrEqualTo(lowMillis);
        assertThat(waits.getMax()).isLessThanOrEqualTo(highMillis);
        long tenth = (highMillis - lowMillis) / 10;
        assertThat(waits.getMin())
                .as("jitter reaches the bottom of the range")
                .isLessThan(lowMillis + tenth);
        assertThat(waits.getMax())
                .as("jitter reaches the top of the range")
                .isGreaterThan(highMillis - tenth);
    }

    @Test
    void shouldCapAtTheMaximumEvenWhenTheInitialDelayIsLarger() {
        LongSummaryStatistics waits = draws(1, Duration.ofSeconds(10), Duration.ofSeconds(1), null);

        assertThat(waits.getMin()).isGreaterThanOrEqualTo(500);
        assertThat(waits.getMax()).isLessThanOrEqualTo(1000);
    }

    @Test
    void shouldCapWhenTheExponentialOverflowsALong() {
        Duration initial = Duration.ofMillis(Long.MAX_VALUE / 4);

        LongSummaryStatistics waits = draws(10, initial, MAX, null);

        assertThat(waits.getMin()).isGreaterThanOrEqualTo(30_000);
        assertThat(waits.getMax()).isLessThanOrEqualTo(60_000);
    }

    @Test
    void shouldWaitForALaterRetryAfterExactly() {
        assertThat(Backoff.delay(1, INITIAL, MAX, 30_000L)).isEqualTo(Duration.ofSeconds(30));
        assertThat(Backoff.delay(20, INITIAL, MAX, 600_000L))
                .as("Retry-After wins over the cap too")
                .isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void shouldIgnoreAnEarlierRetryAfter() {
        LongSummaryStatistics waits = draws(3, INITIAL, MAX, 10L);

        assertThat(waits.getMin()).isGreaterThanOrEqualTo(2000);
        assertThat(waits.getMax()).isLessThanOrEqualTo(4000);
    }

    private static LongSummaryStatistics draws(
            int failedAttempt, Duration initial, Duration max, Long retryAfterMillis) {
        return IntStream.range(0, DRAWS)
                .mapToLong(
                        i ->
                                Backoff.delay(failedAttempt, initial, max, retryAfterMillis)
                                        .toMillis())
                .summaryStatistics();
    }
}
