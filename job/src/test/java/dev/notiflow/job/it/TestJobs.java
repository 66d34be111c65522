package dev.notiflow.job.it;

import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
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
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration pipeline tests run the job with: RocksDB, incremental exactly-once checkpoints,
 * no Kryo.
 */
final class TestJobs {

    static final String GROUP = "notiflow-it";

    /**
     * How long an output topic must stay unchanged before a test takes it as complete: six
     * checkpoint intervals, each of which commits what the job wrote.
     */
    static final Duration QUIET = Duration.ofSeconds(3);

    private TestJobs() {}

    /**
     * The shared MiniCluster of a test class: one TaskManager with four slots, room for the sending
     * job and the delivery tables job side by side (parallelism 2 each), reporting its metrics to
     * {@code metrics} (one reporter per cluster: it is closed with it).
     */
    static MiniClusterExtension miniCluster(InMemoryReporter metrics) {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setConfiguration(metrics.addToConfiguration(new Configuration()))
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(4)
                        .build());
    }

    /** The shared MiniCluster of a test class that reads none of its metrics. */
    static MiniClusterExtension miniCluster() {
        return miniCluster(InMemoryReporter.create());
    }

    /**
     * Cancels each job that is not done yet and waits until it is: {@code cancel()} returns once
     * the JobManager took the request, while the tasks go on writing checkpoints into the test's
     * temporary directory, which JUnit deletes right after the test.
     */
    static void cancel(Iterable<JobClient> jobs) throws Exception {
        for (JobClient job : jobs) {
            if (job != null && !job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get();
            }
        }
        for (JobClient job : jobs) {
            if (job != null) {
                awaitTerminal(job, Duration.ofSeconds(60));
            }
        }
    }

    /** {@link #cancel(Iterable)} for the jobs given, any of which may be {@code null}. */
    static void cancel(JobClient... jobs) throws Exception {
        cancel(Arrays.asList(jobs));
    }

    private static void awaitTerminal(JobClient job, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!job.getJobStatus().get().isGloballyTerminalState()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "job " + job.getJobID() + " not done " + timeout + " after its cancel");
            }
            Thread.sleep(50);
        }
    }

    /** Flink's {@code numRestarts} of a running job, as its JobManager reports it. */
    static long numRestarts(InMemoryReporter metrics, JobClient job) {
        List<Tuple3<MetricGroup, String, Metric>> found =
                metrics.findJobMetricGroups(job.getJobID(), "numRestarts");
        assertThat(found).as("numRestarts of job %s", job.getJobID()).hasSize(1);
        return ((Number) ((Gauge<?>) found.get(0).f2).getValue()).longValue();
    }

    /**
     * Fails if the job restarted: a test that injects no failure must not pass on exactly-once
     * replay hiding an exception.
     */
    static void assertNoRestarts(InMemoryReporter metrics, JobClient job) {
        assertThat(numRestarts(metrics, job))
                .as("restarts of a job without injected failures")
                .isZero();
    }

    /**
     * Every committed record of an output topic once the job is done with the events produced so
     * far: waits until at least {@code atLeast} records are committed, then until the job has
     * committed the offsets of every event (so every output of theirs is in a completed
     * checkpoint), then reads the topic from the start until nothing new came for {@link #QUIET}.
     * Callers assert on the whole list, so a late duplicate or a stray record fails them.
     */
    static List<ConsumerRecord<String, String>> readAll(
            LocalKafka kafka, String topic, int atLeast, Duration timeout) {
        kafka.readCommitted(topic, atLeast, timeout);
        KafkaGroups.awaitCaughtUp(kafka, GROUP, timeout, "notification-events");
        return kafka.readAllCommitted(topic, QUIET);
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
                            inputs.retries(),
                            inputs.templates(),
                            inputs.cancellations());
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

    /**
     * Produces email events round after round, one per user each ({@code e<round>-<u>}), each round
     * once the job asked to send every event before it, until at least {@code minRounds} rounds
     * went out and {@link FailOnceAfter} failed {@code failures} times. Returns the number of
     * rounds: the job keeps sending while it fails, and every failure falls mid-stream.
     */
    static int produceEmailEventsUntilFailed(
            LocalKafka kafka, int users, int minRounds, int failures) throws InterruptedException {
        int maxRounds = 20 * minRounds;
        int rounds = 0;
        while (rounds < minRounds || FailOnceAfter.FAILURES.get() < failures) {
            assertThat(rounds)
                    .as("rounds produced before %d failures", failures)
                    .isLessThan(maxRounds);
            produceEmailEvents(kafka, users, rounds, rounds + 1);
            rounds++;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (SendLog.attemptedEvents() < rounds * users) {
                assertThat(System.nanoTime())
                        .as("the job asking to send round %d", rounds)
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        return rounds;
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
