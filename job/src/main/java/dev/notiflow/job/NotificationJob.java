package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.sinks.ledger.LedgerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending job's entry point for {@code flink run} or the REST API: reads the configuration,
 * builds the real sources, sinks and provider clients, and hands them to {@link
 * Pipeline#defineWorkflow}. With the send ledger enabled it applies the database migrations (the
 * ledger's table lives there). The PostgreSQL tables for analysts are written by {@link
 * DeliveryTablesJob}, a job of its own, so that the database never holds up or restarts this one.
 *
 * <pre>{@code
 * flink run -c dev.notiflow.job.NotificationJob notiflow-job-shaded.jar --config /etc/notiflow/job.yaml
 * }</pre>
 */
public final class NotificationJob {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationJob.class);

    private NotificationJob() {}

    public static void main(String[] args) throws Exception {
        Configuration config = JobConfig.load(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        build(env, config);
        env.execute(name(config));
    }

    /** The job's name: {@code notiflow}, or {@code notiflow-<lane>} for a lane job. */
    public static String name(Configuration config) {
        return Lanes.lane(config).map(l -> "notiflow-" + l.wireName()).orElse("notiflow");
    }

    /** Validates the configuration and defines the job on {@code env}, with Kafka I/O. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        build(env, config, ProviderGateways.fromConfig(config));
    }

    /**
     * Defines the job on {@code env} with these provider clients; with {@code lane} set, the lane
     * job ({@link Lanes#laneConfig}).
     */
    public static void build(
            StreamExecutionEnvironment env, Configuration shared, Gateways gateways) {
        Configuration config = Lanes.laneConfig(shared, env.getParallelism());
        PipelineSettings settings = PipelineSettings.from(config);
        env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
        LOG.info(
                "Starting {} on {} with providers {}",
                name(config),
                config.get(JobOptions.TOPIC_EVENTS),
                gateways.enabledProviders());
        Pipeline.defineWorkflow(
                env,
                KafkaWiring.inputs(env, config),
                gateways,
                KafkaWiring.outputs(config),
                settings);
        if (LedgerOptions.enabled(config)) {
            Migrations.apply(JdbcOptions.settings(config));
        }
    }
}
