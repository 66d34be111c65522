package dev.notiflow.job.policy;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.CancellationParser;
import dev.notiflow.serde.InvalidRecordException;

import java.time.Instant;

/**
 * Parses {@code notification-cancellations} records. A record that breaks the contract goes to
 * {@link OutputTags#DEAD_LETTERS} with the reason and its original bytes; the job never fails on
 * input. Stateless.
 */
public final class ParseCancellations extends ProcessFunction<RawRecord, Cancellation> {

    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    private transient Counter rejected;

    public ParseCancellations(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter("cancellationsRejected");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<Cancellation> out) {
        Instant now = Instant.ofEpochMilli(ctx.timerService().currentProcessingTime());
        try {
            out.collect(CancellationParser.parse(record, maxRecordBytes, now));
        } catch (InvalidRecordException e) {
            rejected.inc();
            ctx.output(OutputTags.DEAD_LETTERS, Records.badInput(record, e.rejection(), now));
        }
    }
}
