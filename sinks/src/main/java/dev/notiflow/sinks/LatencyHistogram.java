package dev.notiflow.sinks;

import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;

import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A Flink {@link Histogram} that many threads update at the cost of a few atomic increments: the
 * values go to an HdrHistogram {@link Recorder} (wait-free recording, no lock shared with other
 * writers or with the reader), which replaces a lock and a sample array per update. Values are kept
 * with two significant digits (1% resolution) and any magnitude.
 *
 * <p>The statistics describe the values recorded in about the last minute ({@value #BUCKETS}
 * buckets of {@value #BUCKET_SECONDS} s, filled when the statistics are read: a value counts in the
 * bucket of the first read after it); {@link #getCount()} counts every value ever recorded. {@link
 * HistogramStatistics#getValues()} gives a sample of 1,000 values, one per 0.1% quantile.
 *
 * <p>Thread-safe: {@link #update} from any thread; reading takes a lock that writers never take.
 */
public final class LatencyHistogram implements Histogram {

    static final int BUCKETS = 6;
    static final long BUCKET_SECONDS = 10;
    private static final long BUCKET_NANOS = TimeUnit.SECONDS.toNanos(BUCKET_SECONDS);
    private static final int DIGITS = 2;
    private static final int SAMPLE = 1_000;

    private final Recorder recorder = new Recorder(DIGITS);
    private final LongAdder count = new LongAdder();
    private final LongSupplier nanoClock;
    private final org.HdrHistogram.Histogram[] buckets = new org.HdrHistogram.Histogram[BUCKETS];
    private final long[] bucketEpochs = new long[BUCKETS];
    private org.HdrHistogram.Histogram recycled;

    public LatencyHistogram() {
        this(System::nanoTime);
    }

    LatencyHistogram(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        long epoch = Math.floorDiv(nanoClock.getAsLong(), BUCKET_NANOS);
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = new org.HdrHistogram.Histogram(DIGITS);
            bucketEpochs[i] = epoch;
        }
    }

    @Override
    public void update(long value) {
        recorder.recordValue(Math.max(0, value));
        count.increment();
    }

    @Override
    public long getCount() {
        return count.sum();
    }

    @Override
    public synchronized HistogramStatistics getStatistics() {
        long epoch = Math.floorDiv(nanoClock.getAsLong(), BUCKET_NANOS);
        int current = (int) Math.floorMod(epoch, (long) BUCKETS);
        if (bucketEpochs[current] != epoch) {
            buckets[current].reset();
            bucketEpochs[current] = epoch;
        }
        org.HdrHistogram.Histogram interval = recorder.getIntervalHistogram(recycled);
        buckets[current].add(interval);
        recycled = interval;
        org.HdrHistogram.Histogram window = new org.HdrHistogram.Histogram(DIGITS);
        for (int i = 0; i < BUCKETS; i++) {
            if (epoch - bucketEpochs[i] < BUCKETS) {
                window.add(buckets[i]);
            }
        }
        return new Statistics(window);
    }

    /** A snapshot of the window; immutable. */
    private static final class Statistics extends HistogramStatistics {
        private final org.HdrHistogram.Histogram values;

        Statistics(org.HdrHistogram.Histogram values) {
            this.values = values;
        }

        @Override
        public double getQuantile(double quantile) {
            return values.getTotalCount() == 0
                    ? Double.NaN
                    : values.getValueAtPercentile(quantile * 100);
        }

        @Override
        public long[] getValues() {
            if (values.getTotalCount() == 0) {
                return new long[0];
            }
            long[] sample = new long[SAMPLE];
            for (int i = 0; i < SAMPLE; i++) {
                sample[i] = values.getValueAtPercentile((i + 0.5) * 100.0 / SAMPLE);
            }
            return sample;
        }

        @Override
        public int size() {
            return (int) Math.min(Integer.MAX_VALUE, values.getTotalCount());
        }

        @Override
        public double getMean() {
            return values.getTotalCount() == 0 ? Double.NaN : values.getMean();
        }

        @Override
        public double getStdDev() {
            return values.getTotalCount() == 0 ? Double.NaN : values.getStdDeviation();
        }

        @Override
        public long getMax() {
            return values.getTotalCount() == 0 ? 0 : values.getMaxValue();
        }

        @Override
        public long getMin() {
            return values.getTotalCount() == 0 ? 0 : values.getMinValue();
        }
    }
}
