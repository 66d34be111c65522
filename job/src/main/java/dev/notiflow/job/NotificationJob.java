package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's entry point for {@code flink run} or the REST API: reads the configuration, builds the
 * real sources, sinks and provider clients, and hands them to {@link Pipeline#defineWorkflow}.
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
    }
}
