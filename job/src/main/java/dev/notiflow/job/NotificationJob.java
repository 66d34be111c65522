package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.analytics.DeliveryAnalytics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's entry point for {@code flink run} or the REST API: reads the configuration, builds the
 * real sources, sinks and provider clients, and hands them to {@link Pipeline#defineWorkflow}. With
 * {@code jdbc.url} set, it also applies the database migrations and writes the delivery table and
 * per-minute metrics from the deliveries topic, in a branch of its own (see {@link
 * KafkaWiring#deliveryLog}).
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
        env.execute("notiflow");
    }

    /** Validates the configuration and defines the job on {@code env}, with Kafka I/O. */
    public static void build(StreamExecutionEnvironment env, Configuration config) {
        PipelineSettings settings = PipelineSettings.from(config);
        Gateways gateways = ProviderGateways.fromConfig(config);
        env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
        LOG.info("Starting notiflow with providers {}", gateways.enabledProviders());
        Pipeline.defineWorkflow(
                env,
                KafkaWiring.inputs(env, config),
                gateways,
                KafkaWiring.outputs(config),
                settings);
        if (JdbcOptions.enabled(config)) {
            JdbcSettings jdbc = JdbcOptions.settings(config);
            Migrations.apply(jdbc);
            DeliveryAnalytics.attach(KafkaWiring.deliveryLog(env, config), jdbc);
            LOG.info("Delivery table and per-minute metrics enabled");
        } else {
            LOG.info("{} is not set: no delivery table", JdbcOptions.URL.key());
        }
    }
}
