package dev.notiflow.job.analytics;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatencyHistogramTest {

    @Test
    void shouldPlaceEveryValueInsideItsBucketBounds() {
        long[] samples = {
            0,
            1,
            63,
            64,
            65,
            127,
            128,
            1_000,
            4_095,
            4_096,
            60_000,
            3_600_000,
            Long.MAX_VALUE / 3,
            Long.MAX_VALUE
        };
        for (long v : samples) {
            int b = LatencyHistogram.bucketOf(v);
            assertThat(LatencyHistogram.lowerBound(b)).as("lower of %s", v).isLessThanOrEqualTo(v);
            assertThat(LatencyHistogram.upperBound(b))
                    .as("upper of %s", v)
                    .isGreaterThanOrEqualTo(v);
        }
        // buckets are contiguous: each starts right after the previous one ends
        for (int b = 1; b < LatencyHistogram.bucketOf(Long.MAX_VALUE); b++) {
            assertThat(LatencyHistogram.lowerBound(b))
                    .isEqualTo(LatencyHistogram.upperBound(b - 1) + 1);
        }
    }

    @Test
    void shouldCountExactlyBelow64Ms() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 10; v++) {
            h.add(v);
        }

        assertThat(h.percentile(0.5)).isEqualTo(5);
        assertThat(h.percentile(0.95)).isEqualTo(10);
        assertThat(h.percentile(1.0)).isEqualTo(10);
    }

    @Test
    void shouldStayWithinOneSixtyFourthOfTheExactNearestRankPercentile() {
        Random random = new Random(11);
        long[] values = new long[10_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(random.nextDouble() * 14); // 1 ms .. ~20 min
            h.add(values[i]);
        }
        Arrays.sort(values);

        for (double q : new double[] {0.5, 0.9, 0.95, 0.99, 0.999}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            assertThat((double) Math.abs(h.percentile(q) - exact))
                    .as("p%s", q * 100)
                    .isLessThanOrEqualTo(exact / 64.0);
        }
        assertThat(h.latencyMax).isEqualTo(values[values.length - 1]);
        assertThat(h.buckets.length).isLessThan(700);
    }

    @Test
    void shouldCountDeliveriesWithoutLatencyButLeaveThemOutOfPercentiles() {
        LatencyHistogram h = new LatencyHistogram();
        h.add(null);
        assertThat(h.percentile(0.5)).isNull();

        h.add(-30L); // clock skew: counted as 0 ms
        h.add(200L);

        assertThat(h.count).isEqualTo(3);
        assertThat(h.latencyCount).isEqualTo(2);
        assertThat(h.percentile(0.5)).isZero();
        assertThat(h.latencyMax).isEqualTo(200);
    }

    @Test
    void shouldMergeToTheSameResultAsAddingEverythingToOne() {
        LatencyHistogram all = new LatencyHistogram();
        LatencyHistogram left = new LatencyHistogram();
        LatencyHistogram right = new LatencyHistogram();
        for (long v = 0; v < 5_000; v += 7) {
            all.add(v);
            (v % 2 == 0 ? left : right).add(v);
        }
        right.add(null);
        all.add(null);

        left.merge(right);

        assertThat(left.count).isEqualTo(all.count);
        assertThat(left.latencyCount).isEqualTo(all.latencyCount);
        assertThat(left.latencyMax).isEqualTo(all.latencyMax);
        assertThat(left.buckets).isEqualTo(all.buckets);
        assertThat(left.percentile(0.99)).isEqualTo(all.percentile(0.99));
    }

    @Test
    void shouldRejectPercentilesOutsideZeroToOne() {
        LatencyHistogram h = new LatencyHistogram();
        assertThatThrownBy(() -> h.percentile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.percentile(1.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
