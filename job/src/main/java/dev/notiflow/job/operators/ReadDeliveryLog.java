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
 * Reads the sending job's committed {@code notification-deliveries} records back for the delivery
 * tables (the first operator of {@code DeliveryTablesJob}). A tombstone is skipped. A record it
 * cannot read, or one without the fields every row needs ({@code notificationId}, {@code eventId},
 * {@code status}, {@code finalAt}), is counted in {@code deliveryLogUnreadable}, logged (by source
 * reference only) and skipped, never fatal. Only the reading is guarded: a failure of the operators
 * downstream (the table sink is chained to this one) is not mistaken for an unreadable record.
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
        if (record.value() == null) {
            return;
        }
        Delivery delivery;
        try {
            delivery = Json.fromBytes(record.value(), Delivery.class);
        } catch (RuntimeException e) {
            delivery = null;
        }
        if (!isRow(delivery)) {
            unreadable.inc();
            LOG.warn("Skipping unreadable delivery record {}", record.sourceRef());
            return;
        }
        out.collect(delivery);
    }

    /** Whether a decoded record has what the tables' NOT NULL columns and event time need. */
    private static boolean isRow(Delivery d) {
        return d != null
                && d.notificationId() != null
                && d.eventId() != null
                && d.status() != null
                && d.finalAt() != null;
    }
}
