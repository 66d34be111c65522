package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.serde.Json;
import dev.notiflow.serde.Rejection;

import java.time.Instant;

/** Reads the job's own retry records back; an unreadable one goes to the DLQ. */
public final class ParseRetries extends ProcessFunction<RawRecord, ScheduledRetry> {

    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<ScheduledRetry> out) {
        try {
            ScheduledRetry retry =
                    record.value() == null
                            ? null
                            : Json.fromBytes(record.value(), ScheduledRetry.class);
            if (retry == null || retry.request() == null || retry.notBefore() == null) {
                throw new IllegalArgumentException("a retry needs request and notBefore");
            }
            out.collect(retry);
        } catch (RuntimeException e) {
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(
                            record,
                            new Rejection(Rejection.MALFORMED_JSON, "unreadable retry record"),
                            Instant.now()));
        }
    }
}
