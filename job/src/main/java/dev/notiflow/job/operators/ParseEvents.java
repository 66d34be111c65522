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
import dev.notiflow.serde.Rejection;

import java.time.Duration;
import java.time.Instant;

/**
 * Parses and validates {@code notification-events} records. A record that breaks the contract goes
 * to {@link OutputTags#DEAD_LETTERS} with the reason and its original bytes; the job never fails on
 * input.
 *
 * <p>With a horizon ({@code schedule.max-horizon}), an event whose {@code sendAt} lies further
 * ahead than that (from the processing time it is read at) is {@code INVALID_FIELD} too.
 */
public final class ParseEvents extends ProcessFunction<RawRecord, NotificationEvent> {

    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    private final Duration maxHorizon;
    private transient Counter rejected;

    /** Without a limit on how far ahead {@code sendAt} may be. */
    public ParseEvents(int maxRecordBytes) {
        this(maxRecordBytes, null);
    }

    /**
     * @param maxHorizon how far ahead of now {@code sendAt} may be, or {@code null} for no limit
     */
    public ParseEvents(int maxRecordBytes, Duration maxHorizon) {
        this.maxRecordBytes = maxRecordBytes;
        this.maxHorizon = maxHorizon;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter("eventsRejected");
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<NotificationEvent> out) {
        try {
            NotificationEvent event = EventParser.parse(record, maxRecordBytes);
            if (maxHorizon != null && event.sendAt() != null) {
                long now = ctx.timerService().currentProcessingTime();
                if (event.sendAt().toEpochMilli() - now > maxHorizon.toMillis()) {
                    throw new InvalidRecordException(
                            Rejection.INVALID_FIELD,
                            "sendAt: "
                                    + event.sendAt()
                                    + " is more than schedule.max-horizon ("
                                    + maxHorizon
                                    + ") ahead");
                }
            }
            out.collect(event);
        } catch (InvalidRecordException e) {
            rejected.inc();
            ctx.output(
                    OutputTags.DEAD_LETTERS,
                    Records.badInput(record, e.rejection(), Instant.now()));
        }
    }
}
