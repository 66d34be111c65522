package dev.notiflow.job;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;

import dev.notiflow.job.operators.AudienceSequencer;
import dev.notiflow.job.operators.AudienceWalk;
import dev.notiflow.job.operators.AudienceWalker;
import dev.notiflow.job.operators.DedupeEvents;
import dev.notiflow.job.operators.FanOut;
import dev.notiflow.job.operators.ParseEvents;
import dev.notiflow.job.operators.ParseRetries;
import dev.notiflow.job.operators.ParseUserUpdates;
import dev.notiflow.job.operators.RecipientEvent;
import dev.notiflow.job.operators.RecipientResolver;
import dev.notiflow.job.operators.RenderContent;
import dev.notiflow.job.operators.RetryScheduler;
import dev.notiflow.job.operators.RouteOutcomes;
import dev.notiflow.job.operators.RouteToProviders;
import dev.notiflow.job.policy.Digest;
import dev.notiflow.job.policy.ParseCancellations;
import dev.notiflow.job.policy.QuietHoursGate;
import dev.notiflow.job.policy.ScheduleEvents;
import dev.notiflow.job.policy.Throttle;
import dev.notiflow.job.templates.ParseTemplates;
import dev.notiflow.job.templates.RenderTemplates;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Provider;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.TemplateUpdate;
import dev.notiflow.model.UserUpdate;
import dev.notiflow.sinks.SendFunction;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The whole topology, readable in one place:
 *
 * <pre>
 *                            cancellations ─parse─┐ (also broadcast to quiet hours)
 *                                                 ▼
 * events ─parse─▶ dedupe(eventId) ─▶ hold until sendAt(slot) ─▶ fan-out ─keyBy(userId)─▶ resolve ◀─ preferences, devices, invalidations
 *          │bad                      │ CANCELLED → deliveries   │ audience events ▲        │ skips → deliveries
 *          │                                                    ▼                 │        │
 *          │                   number (p=1) ─broadcast─▶ walk audiences ◀─ the same updates, keyBy(userId)
 *          │                                                                               │
 *          ▼                                                                               ▼ keyBy(channel, userId)
 *         DLQ                                  cancellations ─broadcast─▶ quiet hours (QUIET_HOURS, CANCELLED → deliveries)
 *                                                                            │ chained, same keys
 *                                                                 digest (timer; DIGESTED → deliveries)
 *                                                                            │ chained, same keys
 *                                                                 throttle (THROTTLED → deliveries)
 *                               templates ─broadcast─▶ render ─▶ route per provider
 *                                                    ─▶ async send (apns | fcm | twilio | smtp)
 *                                                    ─▶ route outcomes ─▶ deliveries, DLQ, invalidations
 *                                                          │ retryable
 *                                    retry topic ─▶ wait for backoff (timer) ─▶ route per provider
 * </pre>
 *
 * It never builds a client, source or sink: callers pass {@link Inputs}, {@link Gateways} and
 * {@link Outputs}.
 */
public final class Pipeline {

    private static final OutputTag<Cancellation> NO_CANCELLATIONS =
            new OutputTag<>("no-cancellations") {};

    private Pipeline() {}

    public static void defineWorkflow(
            StreamExecutionEnvironment env,
            Inputs inputs,
            Gateways gateways,
            Outputs outputs,
            PipelineSettings settings) {
        List<DataStream<DeadLetter>> deadLetters = new ArrayList<>();
        List<DataStream<Delivery>> deliveries = new ArrayList<>();

        SingleOutputStreamOperator<NotificationEvent> events =
                inputs.events()
                        .process(
                                new ParseEvents(
                                        settings.maxRecordBytes(),
                                        settings.schedule().maxHorizon()))
                        .uid(Uids.PARSE_EVENTS)
                        .name("Parse events");
        deadLetters.add(events.getSideOutput(OutputTags.DEAD_LETTERS));

        SingleOutputStreamOperator<NotificationEvent> firstSeen =
                events.keyBy(NotificationEvent::eventId)
                        .process(new DedupeEvents(settings.dedupeTtl()))
                        .uid(Uids.DEDUPE)
                        .name("Drop duplicate events");
        deliveries.add(firstSeen.getSideOutput(OutputTags.DELIVERIES));

        DataStream<Cancellation> cancellations;
        if (inputs.cancellations() != null) {
            SingleOutputStreamOperator<Cancellation> parsed =
                    inputs.cancellations()
                            .process(new ParseCancellations(settings.maxRecordBytes()))
                            .uid(Uids.PARSE_CANCELLATIONS)
                            .name("Parse cancellations");
            deadLetters.add(parsed.getSideOutput(OutputTags.DEAD_LETTERS));
            cancellations = parsed;
        } else {
            // Nothing writes to this side output: an empty stream, without a source of its own.
            cancellations = firstSeen.getSideOutput(NO_CANCELLATIONS);
        }

        // Events with a future sendAt wait here, before fan-out: one held entry per event.
        int slots = settings.schedule().slots();
        SingleOutputStreamOperator<NotificationEvent> due =
                firstSeen
                        .keyBy(e -> ScheduleEvents.slot(e.eventId(), slots), Types.INT)
                        .connect(
                                cancellations.keyBy(
                                        c -> ScheduleEvents.slot(c.eventId(), slots), Types.INT))
                        .process(new ScheduleEvents(settings.schedule()))
                        .uid(Uids.SCHEDULE)
                        .name("Hold scheduled events");
        deliveries.add(due.getSideOutput(OutputTags.DELIVERIES));

        SingleOutputStreamOperator<RecipientEvent> fannedOut =
                due.process(new FanOut()).uid(Uids.FAN_OUT).name("Fan out to recipients");

        DataStream<UserUpdate> updates =
                parseUpdates(
                                inputs.preferences(),
                                ParseUserUpdates.Source.PREFERENCES,
                                Uids.PARSE_PREFERENCES,
                                "Parse preferences",
                                settings,
                                deadLetters)
                        .union(
                                parseUpdates(
                                        inputs.devices(),
                                        ParseUserUpdates.Source.DEVICES,
                                        Uids.PARSE_DEVICES,
                                        "Parse device tokens",
                                        settings,
                                        deadLetters));
        if (inputs.invalidations() != null) {
            updates =
                    updates.union(
                            parseUpdates(
                                    inputs.invalidations(),
                                    ParseUserUpdates.Source.INVALIDATIONS,
                                    Uids.PARSE_INVALIDATIONS,
                                    "Parse token invalidations",
                                    settings,
                                    deadLetters));
        }

        // Audience events: numbered in one order, broadcast to every subtask of the walker, which
        // finds their users in its keyed index and feeds them to the same keyBy as userIds.
        DataStream<AudienceWalk> audiences =
                fannedOut
                        .getSideOutput(FanOut.AUDIENCES)
                        .process(new AudienceSequencer())
                        .uid(Uids.SEQUENCE_AUDIENCES)
                        .name("Number audience events")
                        // One subtask, but the job's max parallelism: with parallelism 1 this
                        // operator chains to fan-out, and a chain has one max parallelism, so a
                        // savepoint taken at another parallelism would not map onto it.
                        .setParallelism(1);
        DataStream<RecipientEvent> walked =
                updates.keyBy(UserUpdate::userId)
                        .connect(audiences.broadcast())
                        .transform(
                                "Walk audiences",
                                TypeInformation.of(RecipientEvent.class),
                                new AudienceWalker(
                                        settings.audienceWalkChunk(),
                                        settings.audienceWalkPause(),
                                        settings.deviceTtl()))
                        .uid(Uids.WALK_AUDIENCES)
                        .name("Walk audiences");
        DataStream<RecipientEvent> recipients = fannedOut.union(walked);

        SingleOutputStreamOperator<SendRequest> requests =
                recipients
                        .keyBy(RecipientEvent::userId)
                        .connect(updates.keyBy(UserUpdate::userId))
                        .process(
                                new RecipientResolver(
                                        settings.profileWait(),
                                        settings.deviceTtl(),
                                        settings.fallbackChains()))
                        .uid(Uids.RESOLVE)
                        .name("Resolve recipients");
        deliveries.add(requests.getSideOutput(OutputTags.DELIVERIES));
        deadLetters.add(requests.getSideOutput(OutputTags.DEAD_LETTERS));

        // One keyed shuffle for the three per-user-and-channel policies: the gate has a broadcast
        // input, so it heads the chain; digest and throttle read its output on the same
        // partitioning, chained to it (each emits only for the key it was given).
        SingleOutputStreamOperator<SendRequest> outsideQuietHours =
                requests.keyBy(Throttle::key)
                        .connect(cancellations.broadcast(QuietHoursGate.CANCELLATIONS))
                        .process(new QuietHoursGate(settings.quietHours()))
                        .uid(Uids.QUIET_HOURS)
                        .name("Wait for quiet hours to end");
        deliveries.add(outsideQuietHours.getSideOutput(OutputTags.DELIVERIES));

        // Digests fold before the throttle, so a digest counts once there; a notification held
        // for quiet hours joins its digest window when they end.
        SingleOutputStreamOperator<SendRequest> digested =
                DataStreamUtils.reinterpretAsKeyedStream(outsideQuietHours, Throttle::key)
                        .process(new Digest(settings.digest()))
                        .uid(Uids.DIGEST)
                        .name("Digest per user and channel");
        deliveries.add(digested.getSideOutput(OutputTags.DELIVERIES));

        SingleOutputStreamOperator<SendRequest> allowed =
                DataStreamUtils.reinterpretAsKeyedStream(digested, Throttle::key)
                        .process(new Throttle(settings.throttle()))
                        .uid(Uids.THROTTLE)
                        .name("Throttle per user and channel");
        deliveries.add(allowed.getSideOutput(OutputTags.DELIVERIES));

        DataStream<SendRequest> toSend =
                render(allowed, inputs.templates(), settings, deliveries, deadLetters);
        if (inputs.retries() != null) {
            SingleOutputStreamOperator<ScheduledRetry> retries =
                    inputs.retries()
                            .process(new ParseRetries())
                            .uid(Uids.PARSE_RETRIES)
                            .name("Parse retries");
            deadLetters.add(retries.getSideOutput(OutputTags.DEAD_LETTERS));
            toSend =
                    toSend.union(
                            retries.keyBy(r -> r.request().notificationId())
                                    .process(new RetryScheduler())
                                    .uid(Uids.SCHEDULE_RETRIES)
                                    .name("Wait for retry backoff"));
        }
        SingleOutputStreamOperator<Void> routed =
                toSend.process(new RouteToProviders(gateways.enabledProviders()))
                        .uid(Uids.ROUTE_PROVIDERS)
                        .name("Route to providers");
        deliveries.add(routed.getSideOutput(OutputTags.DELIVERIES));

        // Every provider has its send operator, enabled or not: which providers are configured
        // may change between a savepoint and the upgrade that restores it.
        DataStream<SendOutcome> outcomes = null;
        for (Provider provider : Provider.values()) {
            PipelineSettings.SendSettings send = settings.send().get(provider);
            DataStream<SendOutcome> sent =
                    AsyncDataStream.unorderedWait(
                                    routed.getSideOutput(OutputTags.toProvider(provider)),
                                    new SendFunction(
                                            provider,
                                            gateways.factory(provider),
                                            gateways.enabled(provider) ? send.ratePerSecond() : 0,
                                            settings.pauseOnCredentialsFailure()),
                                    send.timeout().toMillis(),
                                    TimeUnit.MILLISECONDS,
                                    send.capacity())
                            .uid(Uids.send(provider))
                            .name("Send via " + provider.wireName());
            outcomes = outcomes == null ? sent : outcomes.union(sent);
        }
        SingleOutputStreamOperator<Delivery> finals =
                outcomes.process(new RouteOutcomes(settings.send()))
                        .uid(Uids.ROUTE_OUTCOMES)
                        .name("Route outcomes");
        deliveries.add(finals);
        deadLetters.add(finals.getSideOutput(OutputTags.DEAD_LETTERS));
        outputs.tokenInvalidations(finals.getSideOutput(OutputTags.TOKEN_INVALIDATIONS));
        outputs.retries(finals.getSideOutput(OutputTags.RETRIES));

        outputs.deliveries(deliveries);
        outputs.deadLetters(unionAll(deadLetters));
    }

    /**
     * Renders each request from its template, the templates topic read into broadcast state; the
     * operator keeps uid {@link Uids#RENDER} (the stateless map it replaced had no state). Without
     * a templates input, every request is built from its event's data.
     */
    private static DataStream<SendRequest> render(
            DataStream<SendRequest> requests,
            DataStream<RawRecord> templates,
            PipelineSettings settings,
            List<DataStream<Delivery>> deliveries,
            List<DataStream<DeadLetter>> deadLetters) {
        if (templates == null) {
            return requests.map(new RenderContent()).uid(Uids.RENDER).name("Render content");
        }
        SingleOutputStreamOperator<TemplateUpdate> updates =
                templates
                        .process(new ParseTemplates(settings.maxRecordBytes()))
                        .uid(Uids.PARSE_TEMPLATES)
                        .name("Parse templates");
        deadLetters.add(updates.getSideOutput(OutputTags.DEAD_LETTERS));
        SingleOutputStreamOperator<SendRequest> rendered =
                requests.connect(updates.broadcast(RenderTemplates.TEMPLATES))
                        .process(new RenderTemplates(settings.templatesDefaultLocale()))
                        .uid(Uids.RENDER)
                        .name("Render templates");
        deliveries.add(rendered.getSideOutput(OutputTags.DELIVERIES));
        deadLetters.add(rendered.getSideOutput(OutputTags.DEAD_LETTERS));
        return rendered;
    }

    private static DataStream<UserUpdate> parseUpdates(
            DataStream<RawRecord> raw,
            ParseUserUpdates.Source source,
            String uid,
            String name,
            PipelineSettings settings,
            List<DataStream<DeadLetter>> deadLetters) {
        SingleOutputStreamOperator<UserUpdate> parsed =
                raw.process(new ParseUserUpdates(source, settings.maxRecordBytes()))
                        .uid(uid)
                        .name(name);
        deadLetters.add(parsed.getSideOutput(OutputTags.DEAD_LETTERS));
        return parsed;
    }

    /** The streams as one; the first when there is only one. */
    public static <T> DataStream<T> unionAll(List<DataStream<T>> streams) {
        DataStream<T> all = streams.get(0);
        for (int i = 1; i < streams.size(); i++) {
            all = all.union(streams.get(i));
        }
        return all;
    }
}
