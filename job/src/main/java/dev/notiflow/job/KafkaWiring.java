package dev.notiflow.job;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.job.operators.LaneRecord;
import dev.notiflow.job.operators.ReadDeliveryLog;
import dev.notiflow.kafka.EncodedRecord;
import dev.notiflow.kafka.KafkaIO;
import dev.notiflow.kafka.RawRecordDeserializer;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.TokenInvalidation;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Builds the Kafka I/O of both jobs from the configuration, each source and sink with its uid. For
 * the sending job ({@link NotificationJob}): {@link #inputs} (one source per input topic, the
 * retry, templates and cancellations topics included) and {@link #outputs} (EXACTLY_ONCE
 * transactional sinks for deliveries, DLQ, token invalidations and retries). For the delivery
 * tables job ({@link DeliveryTablesJob}): {@link #deliveryLog}, the committed deliveries read back.
 */
public final class KafkaWiring {

    private KafkaWiring() {}

    public static Inputs inputs(StreamExecutionEnvironment env, Configuration config) {
        String bootstrap = JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        String group = config.get(JobOptions.KAFKA_GROUP_ID);
        // A lane job reads its own events topic (and the high and low lanes their own retry
        // topic) under uids of their own: the single job's source state, restored from its
        // savepoint, would resume reading the topics it names.
        Optional<Priority> lane = Lanes.lane(config);
        String retryUid =
                lane.isPresent() && lane.get() != Priority.NORMAL
                        ? Uids.LANE_RETRY_SOURCE
                        : Uids.RETRY_SOURCE;
        return new Inputs(
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_EVENTS),
                        lane.isPresent() ? Uids.LANE_EVENTS_SOURCE : Uids.EVENTS_SOURCE,
                        "Events"),
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_PREFERENCES),
                        Uids.PREFERENCES_SOURCE,
                        "Preferences"),
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_DEVICES),
                        Uids.DEVICES_SOURCE,
                        "Device tokens"),
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_INVALIDATIONS),
                        Uids.INVALIDATIONS_SOURCE,
                        "Token invalidations"),
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_RETRY),
                        retryUid,
                        "Retries"),
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_TEMPLATES),
                        Uids.TEMPLATES_SOURCE,
                        "Templates"),
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_CANCELLATIONS),
                        Uids.CANCELLATIONS_SOURCE,
                        "Cancellations"));
    }

    /**
     * The sending job's committed {@code notification-deliveries} records, read back with the
     * consumer group {@code <kafka.group-id>-delivery-log} and decoded by {@link ReadDeliveryLog}:
     * the input of {@link DeliveryTablesJob}, which runs as a job of its own so that the database
     * never holds up or restarts the sending job.
     */
    public static DataStream<Delivery> deliveryLog(
            StreamExecutionEnvironment env, Configuration config) {
        String bootstrap = JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        return source(
                        env,
                        bootstrap,
                        config.get(JobOptions.KAFKA_GROUP_ID) + "-delivery-log",
                        config.get(JobOptions.TOPIC_DELIVERIES),
                        Uids.DELIVERY_LOG_SOURCE,
                        "Delivery log")
                .flatMap(new ReadDeliveryLog())
                .uid(Uids.READ_DELIVERY_LOG)
                .name("Read delivery log");
    }

    /**
     * The tables job's {@code notification-engagement} source, read with consumer group {@code
     * <kafka.group-id>-engagement}.
     */
    public static DataStream<RawRecord> engagement(
            StreamExecutionEnvironment env, Configuration config) {
        return additiveSource(
                env,
                config,
                config.get(JobOptions.KAFKA_GROUP_ID) + "-engagement",
                config.get(JobOptions.TOPIC_ENGAGEMENT),
                Uids.ENGAGEMENT_SOURCE,
                "Engagement");
    }

    /**
     * How often a source of an additive topic (engagement, the router's priority input) looks for
     * its topic and new partitions.
     */
    public static final Duration ADDITIVE_TOPIC_DISCOVERY = Duration.ofMinutes(1);

    /**
     * A source of a topic that a deployment may not have created yet, subscribed by pattern rather
     * than by name: a named topic that does not exist fails the source, while the pattern finds the
     * topic within {@link #ADDITIVE_TOPIC_DISCOVERY} once it is created, and reads it from its
     * beginning.
     */
    private static DataStream<RawRecord> additiveSource(
            StreamExecutionEnvironment env,
            Configuration config,
            String group,
            String topic,
            String uid,
            String name) {
        KafkaSource<RawRecord> source =
                KafkaSource.<RawRecord>builder()
                        .setBootstrapServers(
                                JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS))
                        .setGroupId(group)
                        .setTopicPattern(Pattern.compile(Pattern.quote(topic)))
                        .setStartingOffsets(
                                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                        .setDeserializer(new RawRecordDeserializer())
                        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                        .setProperty("commit.offsets.on.checkpoint", "true")
                        .setProperty(
                                "partition.discovery.interval.ms",
                                String.valueOf(ADDITIVE_TOPIC_DISCOVERY.toMillis()))
                        .build();
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), name + " (" + topic + ")")
                .uid(uid);
    }

    public static Outputs outputs(Configuration config) {
        String bootstrap = JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        String prefix = config.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX);
        long txTimeout = config.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis();
        String deliveriesTopic = config.get(JobOptions.TOPIC_DELIVERIES);
        String dlqTopic = config.get(JobOptions.TOPIC_DLQ);
        String invalidationsTopic = config.get(JobOptions.TOPIC_INVALIDATIONS);
        String retryTopic = config.get(JobOptions.TOPIC_RETRY);
        return new Outputs() {
            @Override
            public void deliveries(List<DataStream<Delivery>> deliveries) {
                // Each stream is encoded where it is made: only the key's and the JSON's bytes
                // cross to the sink's task, not the 20 fields of each Delivery.
                List<DataStream<EncodedRecord>> encoded = new ArrayList<>();
                for (int i = 0; i < deliveries.size(); i++) {
                    encoded.add(
                            deliveries
                                    .get(i)
                                    .map(KafkaIO.encoder(Delivery::notificationId))
                                    .uid(Uids.encodeDeliveries(i))
                                    .name("Encode deliveries"));
                }
                Pipeline.unionAll(encoded)
                        .sinkTo(
                                KafkaIO.encodedSink(
                                        bootstrap,
                                        deliveriesTopic,
                                        DeliveryGuarantee.EXACTLY_ONCE,
                                        prefix + "-deliveries",
                                        txTimeout))
                        .uid(Uids.DELIVERIES_SINK)
                        .name("Deliveries topic");
            }

            @Override
            public void deadLetters(DataStream<DeadLetter> deadLetters) {
                deadLetters
                        .sinkTo(
                                KafkaIO.jsonSink(
                                        bootstrap,
                                        dlqTopic,
                                        d -> d.eventId() != null ? d.eventId() : d.sourceRef(),
                                        DeliveryGuarantee.EXACTLY_ONCE,
                                        prefix + "-dlq",
                                        txTimeout))
                        .uid(Uids.DLQ_SINK)
                        .name("DLQ topic");
            }

            @Override
            public void tokenInvalidations(DataStream<TokenInvalidation> invalidations) {
                invalidations
                        .sinkTo(
                                KafkaIO.jsonSink(
                                        bootstrap,
                                        invalidationsTopic,
                                        TokenInvalidation::userId,
                                        DeliveryGuarantee.EXACTLY_ONCE,
                                        prefix + "-invalidations",
                                        txTimeout))
                        .uid(Uids.INVALIDATIONS_SINK)
                        .name("Token invalidations topic");
            }

            @Override
            public void retries(DataStream<ScheduledRetry> retries) {
                retries.sinkTo(
                                KafkaIO.jsonSink(
                                        bootstrap,
                                        retryTopic,
                                        r -> r.request().notificationId(),
                                        DeliveryGuarantee.EXACTLY_ONCE,
                                        prefix + "-retry",
                                        txTimeout))
                        .uid(Uids.RETRY_SINK)
                        .name("Retry topic");
            }
        };
    }

    /** The lane router's {@code notification-events} source, under the single job's uid. */
    public static DataStream<RawRecord> routerEvents(
            StreamExecutionEnvironment env, Configuration config) {
        return source(
                env,
                JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS),
                config.get(JobOptions.KAFKA_GROUP_ID) + "-router",
                config.get(JobOptions.TOPIC_EVENTS),
                Uids.EVENTS_SOURCE,
                "Events");
    }

    /**
     * The lane router's priority input ({@code lanes.priority-input-topic}), or {@code null} when
     * that is empty: a source of its own under the router's group, found once it is created.
     */
    public static DataStream<RawRecord> routerPriorityEvents(
            StreamExecutionEnvironment env, Configuration config) {
        String topic = config.get(LaneOptions.PRIORITY_INPUT_TOPIC);
        if (topic == null || topic.isBlank()) {
            return null;
        }
        return additiveSource(
                env,
                config,
                config.get(JobOptions.KAFKA_GROUP_ID) + "-router",
                topic.trim(),
                Uids.ROUTER_PRIORITY_EVENTS_SOURCE,
                "Priority events");
    }

    /**
     * The lane router's sink: each event's original record (key, value and timestamp unchanged) to
     * {@code <topics.events>.<lane>}, AT_LEAST_ONCE. A record is sent as soon as it is routed, not
     * when a checkpoint commits a transaction, so a lane job sees it within the producer's linger;
     * a router replay after a failure writes some records again, and the lane job's own dedupe
     * drops those.
     */
    public static KafkaSink<LaneRecord> laneEventsSink(Configuration config) {
        String bootstrap = JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        Map<Priority, String> topics = new EnumMap<>(Priority.class);
        for (Priority lane : Priority.values()) {
            topics.put(lane, Lanes.eventsTopic(config, lane));
        }
        KafkaRecordSerializationSchema<LaneRecord> schema =
                (record, context, timestamp) ->
                        new ProducerRecord<>(
                                topics.get(record.lane()),
                                null,
                                record.raw().timestamp(),
                                record.raw().key(),
                                record.raw().value());
        Properties props = new Properties();
        props.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return KafkaSink.<LaneRecord>builder()
                .setBootstrapServers(bootstrap)
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setKafkaProducerConfig(props)
                .build();
    }

    private static DataStream<RawRecord> source(
            StreamExecutionEnvironment env,
            String bootstrap,
            String group,
            String topic,
            String uid,
            String name) {
        return env.fromSource(
                        KafkaIO.rawSource(bootstrap, group, new Properties(), topic),
                        WatermarkStrategy.noWatermarks(),
                        name + " (" + topic + ")")
                .uid(uid);
    }
}
