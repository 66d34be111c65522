package dev.notiflow.job.deploy;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.state.rocksdb.RocksDBOptions;

import dev.notiflow.job.JobOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads flink-conf/config.yaml the way a Flink 2 cluster does ({@link GlobalConfiguration}) and
 * checks the settings the job's guarantees depend on.
 */
class ClusterConfigTest {

    private static Configuration config;

    @BeforeAll
    static void load() {
        config = GlobalConfiguration.loadConfiguration(DeployFiles.flinkConf().toString());
    }

    @Test
    void shouldUseRocksDbWithIncrementalExactlyOnceCheckpoints() {
        assertThat(config.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(config.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(config.get(CheckpointingOptions.CHECKPOINTING_INTERVAL))
                .as("checkpointing on: the exactly-once Kafka sinks commit only at checkpoints")
                .isNotNull()
                .isLessThan(JobOptions.KAFKA_TRANSACTION_TIMEOUT.defaultValue());
        assertThat(config.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE))
                .isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(config.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        assertThat(config.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).startsWith("file:///");
        assertThat(config.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).startsWith("file:///");
        assertThat(config.get(RocksDBOptions.USE_MANAGED_MEMORY)).isTrue();
    }

    @Test
    void shouldKeepCheckpointTimeoutBelowTheKafkaTransactionTimeout() {
        assertThat(config.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .isLessThan(JobOptions.KAFKA_TRANSACTION_TIMEOUT.defaultValue());
    }

    @Test
    void shouldFailFastOnMissingUidsAndKryoAndFixMaxParallelism() {
        assertThat(config.get(PipelineOptions.AUTO_GENERATE_UIDS)).isFalse();
        assertThat(config.get(PipelineOptions.GENERIC_TYPES)).isFalse();
        assertThat(config.get(PipelineOptions.MAX_PARALLELISM))
                .as("the job sets job.max-parallelism on its own; both must agree")
                .isEqualTo(JobOptions.MAX_PARALLELISM.defaultValue());
    }

    @Test
    void shouldRestartWithExponentialDelay() {
        assertThat(config.get(RestartStrategyOptions.RESTART_STRATEGY))
                .isEqualTo("exponential-delay");
        assertThat(
                        config.get(
                                RestartStrategyOptions
                                        .RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
                .isGreaterThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldBindRestAndRpcToLocalhost() {
        assertThat(config.get(RestOptions.BIND_ADDRESS)).isEqualTo("localhost");
        assertThat(config.get(RestOptions.ADDRESS)).isEqualTo("localhost");
        assertThat(config.get(JobManagerOptions.BIND_HOST)).isEqualTo("localhost");
        assertThat(config.get(TaskManagerOptions.BIND_HOST)).isEqualTo("localhost");
    }

    @Test
    void shouldGiveRocksDbManagedMemoryInEverySlot() {
        // Roughly: process size x managed fraction, shared by the slots (RocksDB of one slot's
        // operators lives in its share).
        long perSlot =
                (long)
                        (config.get(TaskManagerOptions.TOTAL_PROCESS_MEMORY).getBytes()
                                * config.get(TaskManagerOptions.MANAGED_MEMORY_FRACTION)
                                / config.get(TaskManagerOptions.NUM_TASK_SLOTS));
        assertThat(config.get(TaskManagerOptions.MANAGED_MEMORY_FRACTION)).isGreaterThan(0.3f);
        assertThat(perSlot).isGreaterThanOrEqualTo(MemorySize.parse("256m").getBytes());
        assertThat(config.get(TaskManagerOptions.NUM_TASK_SLOTS))
                .as("slots for the sending job at parallelism 2 and the delivery tables job")
                .isGreaterThanOrEqualTo(3);
    }

    @Test
    void shouldOpenJavaModulesForJava17() {
        assertThat(config.get(CoreOptions.FLINK_JVM_OPTIONS))
                .contains(
                        "--add-opens=java.base/java.lang=ALL-UNNAMED",
                        "--add-opens=java.base/java.util=ALL-UNNAMED",
                        "--add-opens=java.base/java.nio=ALL-UNNAMED",
                        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
    }

    @Test
    void shouldUseOnlyCurrentFlinkKeys() {
        assertThat(FlinkOptionKeys.unknown(config.keySet(), List.of())).isEmpty();
    }

    @Test
    void shouldConfigureThePrometheusReporter() {
        assertThat(config.toMap())
                .containsEntry("metrics.reporters", "prom")
                .containsEntry(
                        "metrics.reporter.prom.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    }
}
