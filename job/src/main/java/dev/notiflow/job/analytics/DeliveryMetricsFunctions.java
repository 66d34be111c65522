package dev.notiflow.job.analytics;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import dev.notiflow.model.Delivery;

import java.time.Duration;
import java.time.Instant;

/** The functions of the per-minute metrics; see {@link DeliveryAnalytics}. Not instantiable. */
public final class DeliveryMetricsFunctions {

    /** Name of the operator metric (and job accumulator) counting records dropped as too late. */
    public static final String LATE_DROPPED = "lateDeliveriesDropped";

    private DeliveryMetricsFunctions() {}

    /**
     * Latency of one delivery as the deliveries table defines it: {@code finalAt -
     * coalesce(createdAt, receivedAt)} in ms, or {@code null} when a time is missing.
     */
    public static Long latencyMs(Delivery d) {
        Instant start = d.createdAt() != null ? d.createdAt() : d.receivedAt();
        if (start == null || d.finalAt() == null) {
            return null;
        }
        return Duration.between(start, d.finalAt()).toMillis();
    }

    /**
     * Event time of a delivery: {@code finalAt}, the moment its outcome was decided. A record
     * without one (the model always sets it) falls back to {@code receivedAt}, then to the record's
     * own timestamp.
     */
    public static final class FinalAtTimestamps implements SerializableTimestampAssigner<Delivery> {
        private static final long serialVersionUID = 1L;

        @Override
        public long extractTimestamp(Delivery d, long recordTimestamp) {
            if (d.finalAt() != null) {
                return d.finalAt().toEpochMilli();
            }
            if (d.receivedAt() != null) {
                return d.receivedAt().toEpochMilli();
            }
            return recordTimestamp;
        }
    }

    /** Counts deliveries and records their latencies in a {@link LatencyHistogram}. */
    public static final class CountAndLatency
            implements AggregateFunction<Delivery, LatencyHistogram, LatencyHistogram> {
        private static final long serialVersionUID = 1L;

        @Override
        public LatencyHistogram createAccumulator() {
            return new LatencyHistogram();
        }

        @Override
        public LatencyHistogram add(Delivery d, LatencyHistogram acc) {
            acc.add(latencyMs(d));
            return acc;
        }

        @Override
        public LatencyHistogram getResult(LatencyHistogram acc) {
            return acc;
        }

        @Override
        public LatencyHistogram merge(LatencyHistogram a, LatencyHistogram b) {
            a.merge(b);
            return a;
        }
    }

    /**
     * Turns one window's histogram into its table row. Each firing (on time, then once per late
     * record within the allowed lateness) emits the whole minute's figures, so the sink replaces
     * the row.
     */
    public static final class ToDeliveryMetric
            extends ProcessWindowFunction<LatencyHistogram, DeliveryMetric, MetricKey, TimeWindow> {
        private static final long serialVersionUID = 1L;

        @Override
        public void process(
                MetricKey key,
                Context context,
                Iterable<LatencyHistogram> results,
                Collector<DeliveryMetric> out) {
            Instant minute = Instant.ofEpochMilli(context.window().getStart());
            for (LatencyHistogram h : results) {
                out.collect(DeliveryMetric.of(minute, key, h));
            }
        }
    }

    /**
     * Counts deliveries that arrived after their minute's allowed lateness had passed, in the
     * operator metric and job accumulator {@value #LATE_DROPPED}. They are missing from {@code
     * delivery_metrics_minute}, not from {@code deliveries}, which every record reaches.
     */
    public static final class LateDeliveryCounter extends ProcessFunction<Delivery, Void> {
        private static final long serialVersionUID = 1L;

        private transient Counter dropped;
        private transient LongCounter droppedTotal;

        @Override
        public void open(OpenContext openContext) {
            dropped = getRuntimeContext().getMetricGroup().counter(LATE_DROPPED);
            droppedTotal = new LongCounter();
            getRuntimeContext().addAccumulator(LATE_DROPPED, droppedTotal);
        }

        @Override
        public void processElement(Delivery d, Context ctx, Collector<Void> out) {
            dropped.inc();
            droppedTotal.add(1);
        }
    }
}
