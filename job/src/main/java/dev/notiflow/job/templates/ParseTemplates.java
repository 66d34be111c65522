package dev.notiflow.job.templates;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TemplateUpdate;
import dev.notiflow.serde.InvalidRecordException;
import dev.notiflow.serde.TemplateParser;

import java.time.Instant;

/**
 * Parses {@code notification-templates} records into template updates (a tombstone is a deletion).
 * A record that breaks the contract goes to {@link OutputTags#DEAD_LETTERS}; the job never fails on
 * input. Stateless.
 */
public final class ParseTemplates extends ProcessFunction<RawRecord, TemplateUpdate> {

    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    private transient Counter rejected;

    public ParseTemplates(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter("templatesRejected");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<TemplateUpdate> out) {
        try {
            out.collect(TemplateParser.parse(record, maxRecordBytes));
        } catch (InvalidRecordException e) {
            rejected.inc();
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(record, e.rejection(), Instant.now()));
        }
    }
}
