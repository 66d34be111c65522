package dev.notiflow.job.analytics;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.EngagementParser;
import dev.notiflow.serde.InvalidRecordException;

import java.time.Instant;

/**
 * Parses {@code notification-engagement} records with {@link EngagementParser}. A record that
 * breaks the contract goes to {@link OutputTags#DEAD_LETTERS} with the reason and its original
 * bytes (kind {@code INPUT}), counted in {@value #REJECTED}; the job never fails on input.
 * Stateless.
 */
public final class ParseEngagement extends ProcessFunction<RawRecord, Engagement> {

    private static final long serialVersionUID = 1L;

    /** Metric: engagement records that went to the DLQ. */
    public static final String REJECTED = "engagementRejected";

    private final int maxRecordBytes;
    private transient Counter rejected;

    public ParseEngagement(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter(REJECTED);
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<Engagement> out) {
        try {
            out.collect(EngagementParser.parse(record, maxRecordBytes));
        } catch (InvalidRecordException e) {
            rejected.inc();
            Instant now = Instant.ofEpochMilli(ctx.timerService().currentProcessingTime());
            ctx.output(OutputTags.DEAD_LETTERS, Records.badInput(record, e.rejection(), now));
        }
    }
}
