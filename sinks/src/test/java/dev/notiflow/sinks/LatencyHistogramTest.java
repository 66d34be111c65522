package dev.notiflow.sinks;

import org.apache.flink.metrics.HistogramStatistics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyHistogramTest {

    private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final LatencyHistogram histogram = new LatencyHistogram(now::get);

    @Test
    void shouldKeepEveryValueRecordedByConcurrentThreads() throws Exception {
        int threads = 4;
        int perThread = 100_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread writer =
                    new Thread(
                            () -> {
                                try {
                                    start.await();
                                } catch (InterruptedException e) {
                                    return;
                                }
                                for (int i = 1; i <= perThread; i++) {
                                    // 100, 200, .. 1000 ms, uniform: few buckets, so the
                                    // threads collide on them
                                    histogram.update((i % 10 + 1) * 100L);
                                }
                            });
            writer.start();
            writers.add(writer);
        }
        start.countDown();
        for (Thread writer : writers) {
            writer.join();
        }

        HistogramStatistics stats = histogram.getStatistics();
        assertThat(histogram.getCount()).isEqualTo((long) threads * perThread);
        assertThat(stats.size()).isEqualTo(threads * perThread);
        assertThat(stats.getMin()).isEqualTo(100);
        assertThat(stats.getMax()).isBetween(1_000L, 1_010L);
        assertThat(stats.getQuantile(0.5)).isCloseTo(500, within(5.0));
        assertThat(stats.getQuantile(0.99)).isCloseTo(1_000, within(10.0));
        assertThat(stats.getMean()).isCloseTo(550, within(5.0));
        long[] sample = stats.getValues();
        assertThat(sample).hasSize(1_000);
        assertThat(sample[0]).isEqualTo(100);
        assertThat(sample[999]).isBetween(1_000L, 1_010L);
    }

    @Test
    void shouldDescribeAboutTheLastMinuteAndCountEverything() {
        histogram.update(5_000);
        assertThat(histogram.getStatistics().getMax()).isBetween(5_000L, 5_050L);

        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        histogram.update(10);
        HistogramStatistics half = histogram.getStatistics();
        assertThat(half.size()).isEqualTo(2);
        assertThat(half.getMax()).isBetween(5_000L, 5_050L);

        // A read a minute later: the slow send has left the window, the count keeps it.
        now.addAndGet(TimeUnit.SECONDS.toNanos(40));
        HistogramStatistics later = histogram.getStatistics();
        assertThat(later.size()).isEqualTo(1);
        assertThat(later.getMax()).isEqualTo(10);
        assertThat(histogram.getCount()).isEqualTo(2);

        now.addAndGet(TimeUnit.MINUTES.toNanos(2));
        HistogramStatistics idle = histogram.getStatistics();
        assertThat(idle.size()).isZero();
        assertThat(idle.getQuantile(0.99)).isNaN();
        assertThat(idle.getValues()).isEmpty();
        assertThat(histogram.getCount()).isEqualTo(2);
    }

    @Test
    void shouldCountANegativeDurationAsZero() {
        histogram.update(-3);
        assertThat(histogram.getStatistics().getMin()).isZero();
        assertThat(histogram.getCount()).isEqualTo(1);
    }
}
