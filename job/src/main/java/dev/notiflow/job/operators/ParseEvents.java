package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.InvalidRecordException;

import java.time.Instant;

/**
 * Parses and validates {@code notification-events} records. A record that breaks the contract goes
 * to {@link OutputTags#DEAD_LETTERS} with the reason and its original bytes; the job never fails on
 * input.
 */
public final class ParseEvents extends ProcessFunction<RawRecord, NotificationEvent> {

    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    private transient Counter rejected;

    public ParseEvents(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter("eventsRejected");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<NotificationEvent> out) {
        try {
            out.collect(EventParser.parse(record, maxRecordBytes));
        } catch (InvalidRecordException e) {
            rejected.inc();
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(record, e.rejection(), Instant.now()));
        }
    }
}
