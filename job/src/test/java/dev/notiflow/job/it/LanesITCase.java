package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.KafkaWiring;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.job.LaneRouterJob;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.model.Provider;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lane deployment side by side in one MiniCluster: {@link LaneRouterJob} and one {@link
 * NotificationJob} per lane, each at parallelism 1 on real Kafka, with stand-in email providers per
 * lane that count sends per eventId.
 */
class LanesITCase {

    /** The port of the cluster's Prometheus reporter, as flink-conf/config.yaml enables it. */
    static final int PROMETHEUS_PORT = freePort();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setConfiguration(
                                    Configuration.fromMap(
                                            Map.of(
                                                    "metrics.reporter.prom.factory.class",
                                                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                                                    "metrics.reporter.prom.port",
                                                    Integer.toString(PROMETHEUS_PORT))))
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;

    private LocalKafka kafka;
    private final List<JobClient> jobs = new ArrayList<>();

    @BeforeEach
    void setUp() {
        kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 1);
        for (String lane : List.of("high", "normal", "low")) {
            kafka.createTopic("notification-events." + lane, 1, false);
        }
        kafka.createTopic("notification-events-priority", 1, false);
        kafka.createTopic("notification-retry.high", 1, false);
        kafka.createTopic("notification-retry.low", 1, false);
        Sends.reset();
    }

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(jobs);
    }

    /**
     * The low lane's provider never answers and takes one send at a time, so the whole low lane is
     * back-pressured up to its source; high-priority notifications produced after a backlog of low
     * ones are still sent, and an eventId produced as normal and then as high is sent once.
     */
    @Test
    void shouldSendHighPriorityWhileTheLowLanesProviderIsBlockedAndAnEventIdOnTwoLanesOnce()
            throws Exception {
        Configuration config = config("lanes-it");
        kafka.produce("user-preferences", "u1", "{\"userId\":\"u1\",\"email\":\"u1@example.com\"}");
        startRouter(config, null);
        startLane(config, "high", Sends.recording("high"));
        startLane(config, "normal", Sends.recording("normal"));
        Configuration low = new Configuration(config);
        low.set(JobOptions.sendCapacity(Provider.SMTP), 1);
        low.set(JobOptions.sendTimeout(Provider.SMTP), Duration.ofHours(1));
        startLane(low, "low", Sends.blocked());
        for (String lane : List.of("high", "normal", "low")) {
            KafkaGroups.awaitCaughtUp(
                    kafka, TestJobs.GROUP + "-" + lane, Duration.ofSeconds(60), "user-preferences");
        }

        for (int i = 0; i < 30; i++) {
            produce("low-" + i, "low");
        }
        await(() -> Sends.BLOCKED_CALLS.get() > 0, "the low lane's provider taking a send");
        // One partition per topic: the router and the high lane see these in this order, so
        // once high-4 is sent, a dup-1 that passed the router would have been sent before it.
        produce("dup-1", "normal");
        produce("dup-1", "high");
        for (int i = 0; i < 5; i++) {
            produce("high-" + i, "high");
        }
        // The router's priority input: its own source, deduplicated with the events topic.
        produce("dup-2", "normal");
        produce("notification-events-priority", "dup-2", "high");
        produce("notification-events-priority", "express-1", "high");

        await(
                () -> {
                    for (int i = 0; i < 5; i++) {
                        if (Sends.count("high", "high-" + i) == 0) {
                            return false;
                        }
                    }
                    return Sends.count("normal", "dup-1") > 0
                            && Sends.count("high", "express-1") > 0
                            && Sends.count("normal", "dup-2") + Sends.count("high", "dup-2") > 0;
                },
                "every high-priority event sent, dup-1 by the normal lane, express-1 and dup-2");
        for (int i = 0; i < 5; i++) {
            assertThat(Sends.count("high", "high-" + i)).as("sends of high-%d", i).isEqualTo(1);
        }
        assertThat(Sends.count("normal", "dup-1") + Sends.count("high", "dup-1"))
                .as("sends of dup-1, produced as normal and as high, on all lanes")
                .isEqualTo(1);
        // The router's duplicate record for the second dup-1 is committed with its next checkpoint.
        List<ConsumerRecord<String, String>> skipped = new ArrayList<>();
        await(
                () -> {
                    skipped.clear();
                    kafka
                            .readAllCommitted("notification-deliveries", Duration.ofMillis(500))
                            .stream()
                            .filter(r -> r.value().contains("\"eventId\":\"dup-1\""))
                            .filter(r -> r.value().contains("DUPLICATE_EVENT"))
                            .forEach(skipped::add);
                    return !skipped.isEmpty();
                },
                "the router's SKIPPED/DUPLICATE_EVENT record of dup-1");

        assertThat(skipped).hasSize(1);
        // dup-2's two copies came from two inputs, so either may be first; the router's duplicate
        // record shows it decided for both.
        await(
                () ->
                        kafka
                                .readAllCommitted("notification-deliveries", Duration.ofMillis(500))
                                .stream()
                                .anyMatch(
                                        r ->
                                                r.value().contains("\"eventId\":\"dup-2\"")
                                                        && r.value().contains("DUPLICATE_EVENT")),
                "the router's SKIPPED/DUPLICATE_EVENT record of dup-2");
        assertThat(Sends.count("normal", "dup-2") + Sends.count("high", "dup-2"))
                .as("sends of dup-2, produced on the events topic and on the priority input")
                .isEqualTo(1);
        assertThat(Sends.count("high", "express-1")).as("sends of express-1").isEqualTo(1);
        assertThat(Sends.BLOCKED_CALLS.get())
                .as("sends the blocked low lane took: its capacity")
                .isEqualTo(1);
        for (int i = 0; i < 30; i++) {
            assertThat(Sends.count("high", "low-" + i) + Sends.count("normal", "low-" + i))
                    .as("low-%d sent outside its lane", i)
                    .isZero();
        }

        // The lanes as Prometheus sees them: each lane's lag, and every metric the dashboard
        // queries.
        List<String> samples = prometheusSamples();
        // Prometheus label values have '-', '.' and spaces as '_'.
        for (String job : List.of("notiflow_high", "notiflow_normal", "notiflow_low")) {
            assertThat(samples)
                    .as("the events source's consumer lag of %s", job)
                    .anyMatch(
                            l ->
                                    l.startsWith(
                                                    "flink_taskmanager_job_task_operator_pendingRecords{")
                                            && l.contains("job_name=\"" + job + "\"")
                                            && l.contains("operator_name=\"Source:_Events"));
        }
        Set<String> exported = new TreeSet<>();
        for (String line : samples) {
            if (!line.startsWith("#") && line.contains("{")) {
                exported.add(line.substring(0, line.indexOf('{')));
            }
        }
        Set<String> queried = dashboardMetrics();
        assertThat(queried).hasSizeGreaterThan(10);
        assertThat(exported).containsAll(queried);
    }

    /** Every metric name the Grafana dashboard's queries use. */
    static Set<String> dashboardMetrics() throws IOException {
        JsonNode dashboard =
                new ObjectMapper()
                        .readTree(Path.of("../flink-conf/grafana/notiflow.json").toFile());
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC_NAME.matcher("");
        for (JsonNode expr : dashboard.findValues("expr")) {
            m.reset(expr.asText());
            while (m.find()) {
                names.add(m.group());
            }
        }
        for (JsonNode query : dashboard.findValues("definition")) {
            m.reset(query.asText());
            while (m.find()) {
                names.add(m.group());
            }
        }
        return names;
    }

    private static final Pattern METRIC_NAME = Pattern.compile("flink_[A-Za-z0-9_]+");

    private static List<String> prometheusSamples() throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://localhost:"
                                                                + PROMETHEUS_PORT
                                                                + "/metrics"))
                                        .timeout(Duration.ofSeconds(30))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body().lines().toList();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The router writes at-least-once: a crash before its first checkpoint makes it route every
     * event again, and the lane job's own dedupe drops the copies, so each is sent once.
     */
    @Test
    void shouldSendEachEventOnceWhenTheRouterReplaysAfterACrash() throws Exception {
        Configuration config = config("lanes-replay-it");
        kafka.produce("user-preferences", "u1", "{\"userId\":\"u1\",\"email\":\"u1@example.com\"}");
        Configuration router = new Configuration(config);
        // No checkpoint completes before the crash: the router restarts from the earliest offset.
        router.setString("execution.checkpointing.interval", "1 h");
        startRouter(router, CrashOnKey.on("r10"));
        startLane(config, "normal", Sends.recording("normal"));
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP + "-normal", Duration.ofSeconds(60), "user-preferences");

        for (int i = 0; i < 10; i++) {
            produce("r" + i, null);
        }
        await(
                () ->
                        kafka.readAllCommitted("notification-events.normal", Duration.ofMillis(300))
                                        .size()
                                == 10,
                "the first ten events in the normal lane's topic");
        produce("r10", null);
        await(
                () -> {
                    for (int i = 0; i <= 10; i++) {
                        if (Sends.count("normal", "r" + i) == 0) {
                            return false;
                        }
                    }
                    return true;
                },
                "every event sent");

        assertThat(CrashOnKey.CRASHED.get()).as("the router crashed").isTrue();
        List<ConsumerRecord<String, String>> routed =
                kafka.readAllCommitted("notification-events.normal", Duration.ofSeconds(2));
        assertThat(routed).as("r0..r9 routed twice, r10 once").hasSize(21);
        KafkaGroups.awaitCaughtUp(
                kafka,
                TestJobs.GROUP + "-normal",
                Duration.ofSeconds(60),
                "notification-events.normal");
        for (int i = 0; i <= 10; i++) {
            assertThat(Sends.count("normal", "r" + i)).as("sends of r%d", i).isEqualTo(1);
        }
    }

    private Configuration config(String txPrefix) {
        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, txPrefix + System.nanoTime());
        config.setString("parallelism.default", "1");
        config.set(JobOptions.PROFILE_WAIT, Duration.ofSeconds(30));
        return config;
    }

    private void produce(String eventId, String priority) {
        produce("notification-events", eventId, priority);
    }

    private void produce(String topic, String eventId, String priority) {
        kafka.produce(
                topic,
                eventId,
                "{\"eventId\":\""
                        + eventId
                        + "\",\"type\":\"auth.code\","
                        + (priority == null ? "" : "\"priority\":\"" + priority + "\",")
                        + "\"userIds\":[\"u1\"],\"channels\":[\"email\"]}");
    }

    private void startRouter(Configuration config, CrashOnKey crash) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setMaxParallelism(128);
        DataStream<RawRecord> events = KafkaWiring.routerEvents(env, config);
        if (crash != null) {
            events = events.map(crash).uid("test-crash").name("Crash once (test)");
        }
        LaneRouterJob.define(env, events, KafkaWiring.routerPriorityEvents(env, config), config);
        jobs.add(env.executeAsync(LaneRouterJob.NAME));
    }

    private void startLane(Configuration shared, String lane, SenderFactory email)
            throws Exception {
        Configuration config = new Configuration(shared);
        config.set(LaneOptions.LANE, lane);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        NotificationJob.build(env, config, Gateways.of(Map.of(Provider.SMTP, email)));
        jobs.add(env.executeAsync(NotificationJob.name(config)));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Stand-in email providers: recording ones per lane, and one that never answers. */
    static final class Sends {
        static final Map<String, AtomicInteger> SENT = new ConcurrentHashMap<>();
        static final AtomicInteger BLOCKED_CALLS = new AtomicInteger();

        static void reset() {
            SENT.clear();
            BLOCKED_CALLS.set(0);
        }

        static int count(String lane, String eventId) {
            AtomicInteger n = SENT.get(lane + "/" + eventId);
            return n == null ? 0 : n.get();
        }

        static SenderFactory recording(String lane) {
            return () ->
                    new ChannelSender() {
                        @Override
                        public CompletableFuture<SendResult> send(
                                dev.notiflow.model.SendRequest r) {
                            SENT.computeIfAbsent(lane + "/" + r.eventId(), k -> new AtomicInteger())
                                    .incrementAndGet();
                            return CompletableFuture.completedFuture(
                                    SendResult.accepted("msg-" + r.notificationId()));
                        }

                        @Override
                        public void close() {}
                    };
        }

        static SenderFactory blocked() {
            return () ->
                    new ChannelSender() {
                        @Override
                        public CompletableFuture<SendResult> send(
                                dev.notiflow.model.SendRequest r) {
                            BLOCKED_CALLS.incrementAndGet();
                            return new CompletableFuture<>();
                        }

                        @Override
                        public void close() {}
                    };
        }
    }

    /** Test-only: fails the router once, on the first record with this key. */
    static final class CrashOnKey
            implements org.apache.flink.api.common.functions.MapFunction<RawRecord, RawRecord> {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean CRASHED = new AtomicBoolean();
        private final String key;

        private CrashOnKey(String key) {
            this.key = key;
        }

        static CrashOnKey on(String key) {
            CRASHED.set(false);
            return new CrashOnKey(key);
        }

        @Override
        public RawRecord map(RawRecord record) {
            if (record.key() != null
                    && key.equals(new String(record.key(), StandardCharsets.UTF_8))
                    && CRASHED.compareAndSet(false, true)) {
                throw new IllegalStateException("test crash of the router on " + key);
            }
            return record;
        }
    }
}
