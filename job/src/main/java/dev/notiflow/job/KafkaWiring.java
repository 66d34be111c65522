package dev.notiflow.job;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.job.operators.ReadDeliveryLog;
import dev.notiflow.kafka.KafkaIO;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.TokenInvalidation;

import java.util.Properties;

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
        return new Inputs(
                source(
                        env,
                        bootstrap,
                        group,
                        config.get(JobOptions.TOPIC_EVENTS),
                        Uids.EVENTS_SOURCE,
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
                        Uids.RETRY_SOURCE,
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
            public void deliveries(DataStream<Delivery> deliveries) {
                deliveries
                        .sinkTo(
                                KafkaIO.jsonSink(
                                        bootstrap,
                                        deliveriesTopic,
                                        Delivery::notificationId,
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
