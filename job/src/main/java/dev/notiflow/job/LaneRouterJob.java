package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.job.operators.DedupeLaneEvents;
import dev.notiflow.job.operators.LaneRecord;
import dev.notiflow.job.operators.ParseLaneEvents;
import dev.notiflow.kafka.KafkaIO;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.RawRecord;

import java.time.Duration;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * The lane router, a small job of its own from the same jar and configuration file as {@link
 * NotificationJob}: reads {@code notification-events} and its priority input ({@code
 * notification-events-priority}, {@code lanes.priority-input-topic}), drops repeated eventIds
 * across all lanes and both inputs, and writes each event's original record to {@code
 * notification-events.<priority>} (high, normal or low; no priority is normal), where one lane job
 * per priority sends it.
 *
 * <pre>
 * events          ─parse─┐
 * priority events ─parse─┴▶ dedupe(eventId) ─▶ notification-events.high | .normal | .low
 *                    │bad        │ repeats                          (at-least-once)
 *                    ▼           ▼
 *                   DLQ        deliveries (SKIPPED/DUPLICATE_EVENT)
 * </pre>
 *
 * Each input has a source and a parser of its own, so a backlog on one (a campaign of a million
 * events) does not hold back the other: Kafka keeps each partition in order, and one shared input
 * would make an event produced after the backlog wait until the router has read all of it. The two
 * meet at the dedupe's keyed exchange, which takes from its input channels in turn.
 *
 * <p>It never calls a provider, so no provider can back-pressure it. Its consumer group is {@code
 * <kafka.group-id>-router} and its transactional ids {@code
 * <kafka.transactional-id-prefix>-router}.
 *
 * <pre>{@code
 * flink run -c dev.notiflow.job.LaneRouterJob notiflow-job-shaded.jar --config /etc/notiflow/job.yaml
 * }</pre>
 */
public final class LaneRouterJob {

    public static final String NAME = "notiflow-router";

    private LaneRouterJob() {}

    public static void main(String[] args) throws Exception {
        Configuration config = JobConfig.load(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        build(env, config);
        env.execute(NAME);
    }

    /** Validates the configuration and defines the router on {@code env}. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        checkArgument(
                Lanes.lane(config).isEmpty(),
                "%s is a setting of the lane jobs, not of the router",
                LaneOptions.LANE.key());
        int maxBytes = config.get(JobOptions.MAX_RECORD_BYTES);
        checkArgument(
                maxBytes > 0,
                "%s must be positive, was %s",
                JobOptions.MAX_RECORD_BYTES.key(),
                maxBytes);
        Duration ttl = config.get(JobOptions.DEDUPE_TTL);
        checkArgument(
                !ttl.isNegative() && !ttl.isZero(),
                "%s must be positive, was %s",
                JobOptions.DEDUPE_TTL.key(),
                ttl);
        env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
        define(
                env,
                KafkaWiring.routerEvents(env, config),
                KafkaWiring.routerPriorityEvents(env, config),
                config);
    }

    /**
     * Defines the router on these inputs (the Kafka sources, or a test's streams in front of them).
     *
     * @param priorityEvents the priority input, or {@code null} for none
     */
    public static void define(
            StreamExecutionEnvironment env,
            DataStream<RawRecord> events,
            DataStream<RawRecord> priorityEvents,
            Configuration config) {
        int maxBytes = config.get(JobOptions.MAX_RECORD_BYTES);
        SingleOutputStreamOperator<LaneRecord> parsed =
                events.process(new ParseLaneEvents(maxBytes))
                        .uid(Uids.ROUTER_PARSE_EVENTS)
                        .name("Parse events");
        DataStream<LaneRecord> all = parsed;
        DataStream<DeadLetter> bad = parsed.getSideOutput(OutputTags.DEAD_LETTERS);
        if (priorityEvents != null) {
            SingleOutputStreamOperator<LaneRecord> parsedPriority =
                    priorityEvents
                            .process(new ParseLaneEvents(maxBytes))
                            .uid(Uids.ROUTER_PARSE_PRIORITY_EVENTS)
                            .name("Parse priority events");
            all = parsed.union(parsedPriority);
            bad = bad.union(parsedPriority.getSideOutput(OutputTags.DEAD_LETTERS));
        }
        SingleOutputStreamOperator<LaneRecord> firstSeen =
                all.keyBy(LaneRecord::eventId)
                        .process(new DedupeLaneEvents(config.get(JobOptions.DEDUPE_TTL)))
                        .uid(Uids.DEDUPE)
                        .name("Drop duplicate events");
        firstSeen
                .sinkTo(KafkaWiring.laneEventsSink(config))
                .uid(Uids.ROUTER_LANES_SINK)
                .name("Lane topics");

        String bootstrap = JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        String prefix = config.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX) + "-router";
        long txTimeout = config.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis();
        DataStream<Delivery> duplicates = firstSeen.getSideOutput(OutputTags.DELIVERIES);
        duplicates
                .sinkTo(
                        KafkaIO.jsonSink(
                                bootstrap,
                                config.get(JobOptions.TOPIC_DELIVERIES),
                                Delivery::notificationId,
                                DeliveryGuarantee.EXACTLY_ONCE,
                                prefix + "-deliveries",
                                txTimeout))
                .uid(Uids.ROUTER_DELIVERIES_SINK)
                .name("Deliveries topic");
        bad.sinkTo(
                        KafkaIO.jsonSink(
                                bootstrap,
                                config.get(JobOptions.TOPIC_DLQ),
                                d -> d.eventId() != null ? d.eventId() : d.sourceRef(),
                                DeliveryGuarantee.EXACTLY_ONCE,
                                prefix + "-dlq",
                                txTimeout))
                .uid(Uids.ROUTER_DLQ_SINK)
                .name("DLQ topic");
    }
}
