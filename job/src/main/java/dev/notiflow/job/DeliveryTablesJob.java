package dev.notiflow.job;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.analytics.DeliveryAnalytics;
import dev.notiflow.job.analytics.EngagementAnalytics;
import dev.notiflow.kafka.KafkaIO;
import dev.notiflow.model.DeadLetter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second job of a deployment: reads the committed {@code notification-deliveries} topic and
 * writes the PostgreSQL tables for analysts ({@link DeliveryAnalytics}). It runs beside {@link
 * NotificationJob}, from the same jar and configuration file, with checkpoints of its own, so a
 * database outage of any length stalls only this job: the sending job keeps sending and committing
 * its Kafka outputs, and never restarts into re-sending because of the database. Rows arrive late,
 * never lost (the topic is the source of truth; upserts make replays harmless).
 *
 * <p>A row PostgreSQL refuses for its content (SQLState class 22 or 23, e.g. U+0000 in a text) does
 * not stop the job: it goes to {@code notification-dlq} as a dead letter of kind {@code TABLE},
 * reason {@code ROW_REFUSED}, with the SQLState and the database's message in {@code detail} and
 * the row in {@code payload} (EXACTLY_ONCE, transactional ids {@code
 * <kafka.transactional-id-prefix>-tables-dlq}); the rest of its batch is written.
 *
 * <pre>{@code
 * flink run -c dev.notiflow.job.DeliveryTablesJob notiflow-job-shaded.jar --config /etc/notiflow/job.yaml
 * }</pre>
 *
 * <p>It also reads {@code notification-engagement} ({@code topics.engagement}) into the table
 * {@code engagement} ({@link EngagementAnalytics}); a record that breaks that topic's contract goes
 * to the same DLQ topic as a dead letter of kind {@code INPUT} with its reason, keyed by its {@code
 * sourceRef}.
 *
 * <p>It needs {@code jdbc.url} and {@code kafka.bootstrap-servers}; it applies the database
 * migrations at start. It reads with consumer group {@code <kafka.group-id>-delivery-log}.
 */
public final class DeliveryTablesJob {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryTablesJob.class);

    /** The uid of the sink of refused rows into the DLQ topic. */
    public static final String DLQ_SINK_UID = "tables-dlq-sink";

    /** The job name, as the cluster shows it. */
    public static final String NAME = "notiflow-delivery-tables";

    private DeliveryTablesJob() {}

    /** The DLQ key: the notification of a refused row, the source record of a rejected one. */
    static String dlqKey(DeadLetter d) {
        if (d.notificationId() != null) {
            return d.notificationId();
        }
        return d.sourceRef() != null ? d.sourceRef() : d.detail();
    }

    public static void main(String[] args) throws Exception {
        Configuration config = JobConfig.load(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        build(env, config);
        env.execute(NAME);
    }

    /**
     * Validates the configuration, applies the migrations and defines the job on {@code env}.
     *
     * @throws IllegalArgumentException naming the missing setting when {@code jdbc.url} is not set
     */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        if (!JdbcOptions.enabled(config)) {
            throw new IllegalArgumentException(
                    JdbcOptions.URL.key()
                            + " is required: the delivery tables job writes to that database");
        }
        JdbcSettings jdbc = JdbcOptions.settings(config);
        env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
        // While the database is down the table sink waits for it, and checkpoints of this job
        // cannot complete: that is expected, not a reason to restart it.
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(Integer.MAX_VALUE);
        Migrations.apply(jdbc);
        String deliveriesTopic = config.get(JobOptions.TOPIC_DELIVERIES);
        DataStream<DeadLetter> refused =
                DeliveryAnalytics.attach(
                        KafkaWiring.deliveryLog(env, config), jdbc, deliveriesTopic);
        DataStream<DeadLetter> engagementRejected =
                EngagementAnalytics.attach(
                        KafkaWiring.engagement(env, config),
                        jdbc,
                        config.get(JobOptions.MAX_RECORD_BYTES),
                        config.get(JobOptions.TOPIC_ENGAGEMENT));
        refused.union(engagementRejected)
                .sinkTo(
                        KafkaIO.jsonSink(
                                JobConfig.required(config, JobOptions.KAFKA_BOOTSTRAP_SERVERS),
                                config.get(JobOptions.TOPIC_DLQ),
                                DeliveryTablesJob::dlqKey,
                                DeliveryGuarantee.EXACTLY_ONCE,
                                config.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX)
                                        + "-tables-dlq",
                                config.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis()))
                .uid(DLQ_SINK_UID)
                .name("DLQ topic (refused rows)");
        LOG.info(
                "Writing the delivery table and per-minute metrics from {}, and the engagement"
                        + " table from {} (checkpoints every {})",
                config.get(JobOptions.TOPIC_DELIVERIES),
                config.get(JobOptions.TOPIC_ENGAGEMENT),
                config.get(CheckpointingOptions.CHECKPOINTING_INTERVAL));
    }
}
