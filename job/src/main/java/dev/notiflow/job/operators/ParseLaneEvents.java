package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.InvalidRecordException;

import java.time.Instant;

/**
 * The lane router's parse: the same contract as {@link ParseEvents} (a record that breaks it goes
 * to {@link OutputTags#DEAD_LETTERS} with the reason and its bytes), but each good event keeps its
 * original record, which is what the router writes to the lane's topic.
 */
public final class ParseLaneEvents extends ProcessFunction<RawRecord, LaneRecord> {

    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    private transient Counter rejected;

    public ParseLaneEvents(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter("eventsRejected");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<LaneRecord> out) {
        try {
            out.collect(new LaneRecord(EventParser.parse(record, maxRecordBytes), record));
        } catch (InvalidRecordException e) {
            rejected.inc();
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(record, e.rejection(), Instant.now()));
        }
    }
}
