package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.PushDevice;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;
import dev.notiflow.serde.Ids;
import dev.notiflow.serde.InvalidRecordException;
import dev.notiflow.serde.Json;
import dev.notiflow.serde.Rejection;

import java.time.Instant;

/**
 * Reads the job's own retry records back; an unreadable one (a tombstone, not JSON, a repeated key,
 * or without {@code request} or {@code notBefore}) goes to the DLQ as MALFORMED_JSON, one whose ids
 * hold control characters as INVALID_FIELD. Only the reading is guarded: a failure downstream is
 * not turned into a dead letter.
 */
public final class ParseRetries extends ProcessFunction<RawRecord, ScheduledRetry> {

    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<ScheduledRetry> out) {
        ScheduledRetry retry;
        try {
            retry =
                    record.value() == null
                            ? null
                            : Json.fromBytes(record.value(), ScheduledRetry.class);
            if (retry != null && retry.request() != null) {
                checkIds(retry.request());
            }
        } catch (InvalidRecordException e) {
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(record, e.rejection(), Instant.now()));
            return;
        } catch (RuntimeException e) {
            retry = null;
        }
        if (retry == null || retry.request() == null || retry.notBefore() == null) {
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(
                            record,
                            new Rejection(Rejection.MALFORMED_JSON, "unreadable retry record"),
                            Instant.now()));
            return;
        }
        out.collect(retry);
    }

    private static void checkIds(SendRequest r) throws InvalidRecordException {
        Ids.check("request.notificationId", r.notificationId());
        Ids.check("request.eventId", r.eventId());
        Ids.check("request.userId", r.userId());
        Ids.check("request.token", r.token());
        Ids.check("request.templateId", r.templateId());
        Ids.check("request.locale", r.locale());
        if (r.pushFallback() != null && r.pushFallback().devices() != null) {
            for (PushDevice d : r.pushFallback().devices()) {
                Ids.check("request.pushFallback.devices.token", d.token());
            }
        }
    }
}
