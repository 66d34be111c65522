package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

import dev.notiflow.model.Delivery;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the job's own {@code notification-deliveries} records back for the delivery table. A record
 * it cannot read is counted and logged (by source reference only), never fatal.
 */
public final class ReadDeliveryLog extends RichFlatMapFunction<RawRecord, Delivery> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ReadDeliveryLog.class);

    private transient Counter unreadable;

    @Override
    public void open(OpenContext openContext) {
        unreadable = getRuntimeContext().getMetricGroup().counter("deliveryLogUnreadable");
    }

    @Override
    public void flatMap(RawRecord record, Collector<Delivery> out) {
        try {
            if (record.value() != null) {
                out.collect(Json.fromBytes(record.value(), Delivery.class));
            }
        } catch (RuntimeException e) {
            unreadable.inc();
            LOG.warn("Skipping unreadable delivery record {}", record.sourceRef());
        }
    }
}
