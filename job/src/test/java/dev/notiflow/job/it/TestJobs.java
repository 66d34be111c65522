package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.Inputs;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.KafkaWiring;
import dev.notiflow.job.Pipeline;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.model.RawRecord;
import dev.notiflow.testkit.kafka.LocalKafka;

import java.nio.file.Path;
import java.util.Map;

/**
 * The configuration pipeline tests run the job with: RocksDB, incremental exactly-once checkpoints,
 * no Kryo.
 */
final class TestJobs {

    static final String GROUP = "notiflow-it";

    private TestJobs() {}

    /**
     * The shared MiniCluster of a test class: one TaskManager with four slots, room for the sending
     * job and the delivery tables job side by side (parallelism 2 each).
     */
    static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(4)
                        .build());
    }

    /** Starts {@link DeliveryTablesJob} with this configuration (which must name the database). */
    static JobClient startTablesJob(Configuration config) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        DeliveryTablesJob.build(env, config);
        return env.executeAsync(DeliveryTablesJob.NAME);
    }

    /**
     * Defines the whole job on Kafka with the given providers and returns its environment, so a
     * test can add to it before {@code executeAsync}.
     *
     * @param failure a test-only failing map on the events, or {@code null}
     */
    static StreamExecutionEnvironment define(
            Configuration config, Gateways gateways, FailOnceAfter failure) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setMaxParallelism(128);
        Inputs inputs = KafkaWiring.inputs(env, config);
        if (failure != null) {
            DataStream<RawRecord> events =
                    inputs.events().map(failure).uid("test-fail-once").name("Fail once (test)");
            inputs =
                    new Inputs(
                            events,
                            inputs.preferences(),
                            inputs.devices(),
                            inputs.invalidations(),
                            inputs.retries());
        }
        Pipeline.defineWorkflow(
                env, inputs, gateways, KafkaWiring.outputs(config), PipelineSettings.from(config));
        return env;
    }

    /**
     * Produces email events {@code e<e>-<u>} for users {@code u0..u<users-1>}, for each event
     * number from {@code fromEvent} (inclusive) to {@code toEvent} (exclusive).
     */
    static void produceEmailEvents(LocalKafka kafka, int users, int fromEvent, int toEvent) {
        for (int e = fromEvent; e < toEvent; e++) {
            for (int u = 0; u < users; u++) {
                kafka.produce(
                        "notification-events",
                        "e" + e + "-" + u,
                        "{\"eventId\":\"e"
                                + e
                                + "-"
                                + u
                                + "\",\"type\":\"news.daily\",\"userIds\":[\"u"
                                + u
                                + "\"],\"channels\":[\"email\"]}");
            }
        }
    }

    static Configuration config(String bootstrapServers, Path checkpoints, String txPrefix) {
        Configuration c =
                Configuration.fromMap(
                        Map.ofEntries(
                                Map.entry("state.backend.type", "rocksdb"),
                                Map.entry("execution.checkpointing.incremental", "true"),
                                Map.entry(
                                        "state.backend.rocksdb.localdir", "/tmp/notiflow-rocksdb"),
                                Map.entry("execution.checkpointing.interval", "500 ms"),
                                Map.entry("execution.checkpointing.mode", "EXACTLY_ONCE"),
                                Map.entry(
                                        "execution.checkpointing.dir",
                                        checkpoints.toUri().toString()),
                                Map.entry("execution.checkpointing.storage", "filesystem"),
                                Map.entry("pipeline.generic-types", "false"),
                                Map.entry("pipeline.auto-generate-uids", "false"),
                                Map.entry("restart-strategy.type", "fixed-delay"),
                                Map.entry("restart-strategy.fixed-delay.attempts", "10"),
                                Map.entry("restart-strategy.fixed-delay.delay", "500 ms"),
                                Map.entry("parallelism.default", "2")));
        c.set(JobOptions.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers);
        c.set(JobOptions.KAFKA_GROUP_ID, GROUP);
        c.set(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX, txPrefix);
        c.set(JobOptions.PROFILE_WAIT, java.time.Duration.ofSeconds(3));
        return c;
    }
}
