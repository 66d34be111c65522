package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.job.JobOptions;

import java.nio.file.Path;
import java.util.Map;

/**
 * The configuration pipeline tests run the job with: RocksDB, incremental exactly-once checkpoints,
 * no Kryo.
 */
final class TestJobs {

    static final String GROUP = "notiflow-it";

    private TestJobs() {}

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
