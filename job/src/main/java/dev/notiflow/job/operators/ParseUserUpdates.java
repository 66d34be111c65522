package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.UserUpdate;
import dev.notiflow.serde.InvalidRecordException;
import dev.notiflow.serde.UserUpdateParser;

import java.time.Instant;

/**
 * Parses one of the keyed user-state topics into {@link UserUpdate}s; bad records go to {@link
 * OutputTags#DEAD_LETTERS}.
 */
public final class ParseUserUpdates extends ProcessFunction<RawRecord, UserUpdate> {

    private static final long serialVersionUID = 1L;

    /** Which topic this instance parses. */
    public enum Source {
        PREFERENCES,
        DEVICES,
        INVALIDATIONS
    }

    private final Source source;
    private final int maxRecordBytes;

    public ParseUserUpdates(Source source, int maxRecordBytes) {
        this.source = source;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<UserUpdate> out) {
        try {
            switch (source) {
                case PREFERENCES:
                    out.collect(UserUpdateParser.preferences(record, maxRecordBytes));
                    break;
                case DEVICES:
                    out.collect(UserUpdateParser.deviceToken(record, maxRecordBytes));
                    break;
                default:
                    out.collect(UserUpdateParser.invalidation(record, maxRecordBytes));
            }
        } catch (InvalidRecordException e) {
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(record, e.rejection(), Instant.now()));
        }
    }
}
