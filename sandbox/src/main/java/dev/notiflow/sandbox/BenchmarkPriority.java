package dev.notiflow.sandbox;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.job.LaneRouterJob;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.model.Provider;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.ProviderScript;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code scripts/bench.sh --scenario priority}: the priority lanes under a flood, a benchmark and
 * never a test. The router and the three lane jobs (parallelism 1 each, the shipped job.yaml and
 * config.yaml, the real APNs/FCM clients) run against an in-process broker and the local providers
 * with {@code --latency-ms} added to every answer. Phase 1: a steady high-priority push stream
 * ({@code --high-rate}/s for {@code --seconds}) alone, produced to the router's priority input
 * ({@code --high-input priority}, the default) or to {@code notification-events} beside the flood
 * ({@code --high-input events}). Both lanes are warmed up first ({@code --low-warm-up} low pushes
 * drained through the low lane). Phase 2: {@code --flood} low-priority pushes queued at once; once
 * they flow, a window of {@code --seconds} with the flood alone, then the same high-priority stream
 * beside it, then a window of the flood alone again. Reports the high lane's event → provider-ack
 * latency (the delivery's {@code finalAt} minus the event's {@code createdAt}) p50/p95/p99 in both
 * phases side by side, and the flood's rate in the three windows, with the middle one as a ratio of
 * the mean of the other two (its rate without high traffic).
 *
 * <pre>
 * scripts/bench.sh --scenario priority [--flood N] [--high-rate R] [--seconds S]
 *                  [--latency-ms L] [--users U] [--quota COUNT/DURATION]
 *                  [--high-input priority|events] [--low-warm-up N] [--out DIR]
 * </pre>
 */
public final class BenchmarkPriority {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchmarkPriority() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("flood", "1000000");
        defaults.put("high-rate", "50");
        defaults.put("seconds", "30");
        defaults.put("latency-ms", "20");
        defaults.put("users", "1000");
        defaults.put("quota", "");
        defaults.put("high-input", "priority");
        defaults.put("low-warm-up", "20000");
        Map<String, String> opts = ScenarioOptions.parse("priority", defaults, args);
        int flood = Integer.parseInt(opts.get("flood"));
        int highRate = Integer.parseInt(opts.get("high-rate"));
        int seconds = Integer.parseInt(opts.get("seconds"));
        int users = Integer.parseInt(opts.get("users"));
        int lowWarmUp = Integer.parseInt(opts.get("low-warm-up"));
        // Where the high-priority stream is produced: the router's priority input, or the one
        // events topic that the flood fills too.
        String highTopic =
                switch (opts.get("high-input")) {
                    case "priority" -> "notification-events-priority";
                    case "events" -> "notification-events";
                    default ->
                            throw new IllegalArgumentException(
                                    "--high-input must be priority or events, was "
                                            + opts.get("high-input"));
                };
        Path out = Path.of(opts.get("out")).toAbsolutePath();
        Files.createDirectories(out);
        Path flinkConf = Path.of("flink-conf").toAbsolutePath();

        try (LocalKafka kafka = LocalKafka.start();
                LocalProviders providers =
                        LocalProviders.start(
                                ProviderScript.parse(
                                        "{\"latencyMs\":" + opts.get("latency-ms") + "}"))) {
            KafkaGroups.createJobTopics(kafka, 2);
            for (String lane : List.of("high", "normal", "low")) {
                kafka.createTopic("notification-events." + lane, 2, false);
            }
            kafka.createTopic("notification-events-priority", 2, false);
            kafka.createTopic("notification-retry.high", 2, false);
            kafka.createTopic("notification-retry.low", 2, false);
            for (int u = 0; u < users; u++) {
                kafka.produce(
                        "user-preferences",
                        "u" + u,
                        "{\"userId\":\"u"
                                + u
                                + "\",\"locale\":\"en\",\"channels\":{\"push\":true}}");
                kafka.produce(
                        "device-tokens",
                        "u" + u + ":tok" + u,
                        "{\"userId\":\"u"
                                + u
                                + "\",\"token\":\"fcm-token-u"
                                + u
                                + "\",\"platform\":\"android\",\"appId\":\"com.example.app\"}");
            }

            Map<String, String> shared = new LinkedHashMap<>();
            JobConfig.readYaml(flinkConf.resolve("config.yaml"))
                    .forEach(
                            (k, v) -> {
                                if (k.startsWith("state.")
                                        || k.startsWith("execution.checkpointing.")
                                        || k.startsWith("pipeline.")) {
                                    shared.put(k, v);
                                }
                            });
            JobConfig.readYaml(flinkConf.resolve("job.yaml"))
                    .forEach(
                            (k, v) -> {
                                if (!k.startsWith("sms.")
                                        && !k.startsWith("email.")
                                        && !k.startsWith("live.")) {
                                    shared.put(k, v);
                                }
                            });
            shared.putAll(providers.senderConfig());
            shared.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
            shared.put(JobOptions.KAFKA_GROUP_ID.key(), "bench-priority");
            shared.put(
                    JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX.key(),
                    "bench-priority-" + System.nanoTime());
            shared.put("ledger.enabled", "false");
            shared.remove("jdbc.url");
            shared.put("parallelism.default", "1");
            if (!opts.get("quota").isEmpty()) {
                // The lanes share the FCM quota: the high lane keeps its reserved share.
                shared.put(LaneOptions.quota(Provider.FCM).key(), opts.get("quota"));
            }
            shared.put("execution.checkpointing.interval", "5 s");
            shared.put(
                    "execution.checkpointing.dir", out.resolve("checkpoints").toUri().toString());
            shared.put("state.backend.rocksdb.localdir", out.resolve("rocksdb").toString());

            List<JobClient> jobs = new ArrayList<>();
            for (String lane : List.of("high", "normal", "low")) {
                Configuration c = Configuration.fromMap(shared);
                c.set(LaneOptions.LANE, lane);
                StreamExecutionEnvironment env =
                        StreamExecutionEnvironment.getExecutionEnvironment(c);
                NotificationJob.build(env, c);
                jobs.add(env.executeAsync(NotificationJob.name(c)));
            }
            Configuration routerConfig = Configuration.fromMap(shared);
            StreamExecutionEnvironment router =
                    StreamExecutionEnvironment.getExecutionEnvironment(routerConfig);
            LaneRouterJob.build(router, routerConfig);
            jobs.add(router.executeAsync(LaneRouterJob.NAME));
            for (String lane : List.of("high", "low")) {
                KafkaGroups.awaitCaughtUp(
                        kafka,
                        "bench-priority-" + lane,
                        Duration.ofMinutes(5),
                        "user-preferences",
                        "device-tokens");
            }
            say("lanes loaded %d users", users);

            Deliveries deliveries = new Deliveries(kafka.bootstrapServers());
            deliveries.start();
            try {
                // Warm-up (not measured): the first sends through cold code paths and clients, in
                // the high lane and in the low one, so that neither measured window of the flood
                // pays for the low lane's JIT compilation and the later one looks faster for it.
                steady(kafka, highTopic, "hW-", highRate, 5, users);
                deliveries.await("hW-", highRate * 5, Duration.ofMinutes(5));
                queueLow(kafka, "lW-", lowWarmUp, users);
                deliveries.await("lW-", lowWarmUp, Duration.ofMinutes(10));
                say("lanes warmed up (%d high, %d low)", highRate * 5, lowWarmUp);
                // Phase 1: the high stream alone.
                int perPhase = highRate * seconds;
                steady(kafka, highTopic, "hA-", highRate, seconds, users);
                deliveries.await("hA-", perPhase, Duration.ofMinutes(5));
                // Phase 2: the flood queued; once it flows, a window of the flood alone, then the
                // high stream beside it, then the flood alone again. The flood's rate without
                // high traffic is the mean of the windows before and after, which brackets any
                // drift of the machine or the lane over the run.
                long floodStart = System.currentTimeMillis();
                queueLow(kafka, "low-", flood, users);
                long floodQueued = System.currentTimeMillis();
                say("flood of %d queued in %d ms", flood, floodQueued - floodStart);
                deliveries.await("low-", 1, Duration.ofMinutes(5));
                long beforeStart = System.currentTimeMillis() + 5_000;
                long highStart = beforeStart + seconds * 1000L;
                Thread.sleep(Math.max(0, highStart - System.currentTimeMillis()));
                highStart = System.currentTimeMillis();
                steady(kafka, highTopic, "hB-", highRate, seconds, users);
                long highEnd = System.currentTimeMillis();
                deliveries.await("hB-", perPhase, Duration.ofMinutes(5));
                long afterEnd = highEnd + (highEnd - highStart);
                Thread.sleep(Math.max(0, afterEnd - System.currentTimeMillis()) + 2_000);
                // Deliveries are committed with each lane's checkpoints, which a back-pressured
                // lane completes late: count once the flood's committed records stop growing.
                long seen = -1;
                long quietUntil = System.currentTimeMillis() + 60_000;
                while (seen != deliveries.countFinal("low-", 0, Long.MAX_VALUE)
                        && System.currentTimeMillis() < quietUntil) {
                    seen = deliveries.countFinal("low-", 0, Long.MAX_VALUE);
                    Thread.sleep(10_000);
                }

                ObjectNode report = JSON.createObjectNode();
                report.put("flood", flood);
                report.put("highRatePerSecond", highRate);
                report.put("seconds", seconds);
                report.put("latencyMs", Integer.parseInt(opts.get("latency-ms")));
                report.put("users", users);
                report.put("fcmQuota", opts.get("quota").isEmpty() ? "none" : opts.get("quota"));
                report.put("highInput", highTopic);
                report.set("highWithoutFlood", latency(deliveries.latencies("hA-")));
                report.set("highWithFlood", latency(deliveries.latencies("hB-")));
                long before = deliveries.countFinal("low-", beforeStart, highStart);
                long during = deliveries.countFinal("low-", highStart, highEnd);
                long after = deliveries.countFinal("low-", highEnd, afterEnd);
                double beforeRate = before * 1000.0 / (highStart - beforeStart);
                double duringRate = during * 1000.0 / (highEnd - highStart);
                double afterRate = after * 1000.0 / (afterEnd - highEnd);
                report.put("floodSentBeforeHigh", before);
                report.put("floodPerSecondBeforeHigh", beforeRate);
                report.put("floodSentWhileHighRuns", during);
                report.put("floodPerSecondWhileHighRuns", duringRate);
                report.put("floodSentAfterHigh", after);
                report.put("floodPerSecondAfterHigh", afterRate);
                // The goal: the flood keeps >= 80% of its rate without high traffic.
                report.put(
                        "floodRateWhileHighRatio",
                        beforeRate + afterRate > 0
                                ? duringRate / ((beforeRate + afterRate) / 2)
                                : 0);
                // Windows are only comparable while the flood still flows in all three.
                report.put(
                        "floodFlowedThroughAllWindows",
                        deliveries.lastFinal("low-") >= afterEnd - 1_000);
                report.put("lowWarmUp", lowWarmUp);
                report.put("floodSentInAll", deliveries.countFinal("low-", 0, Long.MAX_VALUE));
                report.put("floodQueuedInMs", floodQueued - floodStart);
                report.put(
                        "floodLastSentMsAfterQueued", deliveries.lastFinal("low-") - floodQueued);
                report.put("highStreamMs", highEnd - highStart);
                report.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).trim());
                Files.writeString(
                        out.resolve("report.json"),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
                System.out.println(
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
                say("report in %s", out.resolve("report.json"));
            } finally {
                deliveries.stopReading();
                for (JobClient job : jobs) {
                    job.cancel().get();
                }
            }
        }
    }

    private static void steady(
            LocalKafka kafka, String topic, String prefix, int rate, int seconds, int users)
            throws InterruptedException {
        long start = System.nanoTime();
        int total = rate * seconds;
        for (int i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            kafka.produce(
                    topic, prefix + i, event(prefix + i, "high", "u" + (i % users), Instant.now()));
        }
    }

    /** Produces {@code count} low-priority pushes at once, keyed and named {@code prefix + i}. */
    private static void queueLow(LocalKafka kafka, String prefix, int count, int users) {
        Properties producerProps = kafka.clientProperties();
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        producerProps, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(
                        new ProducerRecord<>(
                                "notification-events",
                                prefix + i,
                                event(prefix + i, "low", "u" + (i % users), Instant.now())));
            }
            producer.flush();
        }
    }

    private static String event(String id, String priority, String user, Instant createdAt) {
        return "{\"eventId\":\""
                + id
                + "\",\"type\":\"bench.push\",\"priority\":\""
                + priority
                + "\",\"userIds\":[\""
                + user
                + "\"],\"channels\":[\"push\"],\"data\":{\"title\":\"Code\",\"body\":\"Your"
                + " code is 123456\"},\"createdAt\":\""
                + createdAt
                + "\"}";
    }

    private static ObjectNode latency(long[] millis) {
        Arrays.sort(millis);
        ObjectNode node = JSON.createObjectNode();
        node.put("count", millis.length);
        if (millis.length > 0) {
            node.put("p50Ms", millis[(int) Math.ceil(0.50 * millis.length) - 1]);
            node.put("p95Ms", millis[(int) Math.ceil(0.95 * millis.length) - 1]);
            node.put("p99Ms", millis[(int) Math.ceil(0.99 * millis.length) - 1]);
            node.put("maxMs", millis[millis.length - 1]);
        }
        return node;
    }

    private static void say(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench priority] " + format + "%n", args);
    }

    /** Reads the committed deliveries as they come: eventId, status, createdAt, finalAt. */
    private static final class Deliveries extends Thread {
        record Row(String eventId, String status, long createdAt, long finalAt) {}

        private final Properties props = new Properties();
        private final ConcurrentLinkedQueue<Row> rows = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);

        Deliveries(String bootstrap) {
            super("bench-deliveries");
            setDaemon(true);
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-priority-reader");
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        }

        @Override
        public void run() {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of("notification-deliveries"));
                while (running.get()) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        JsonNode d = JSON.readTree(r.value());
                        rows.add(
                                new Row(
                                        d.path("eventId").asText(),
                                        d.path("status").asText(),
                                        millis(d.path("createdAt")),
                                        millis(d.path("finalAt"))));
                    }
                }
            } catch (Exception e) {
                say("deliveries reader failed: %s", e);
            }
        }

        private static long millis(JsonNode instant) {
            return instant.isTextual() ? Instant.parse(instant.asText()).toEpochMilli() : -1;
        }

        void stopReading() {
            running.set(false);
        }

        void await(String prefix, int count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (countFinal(prefix, 0, Long.MAX_VALUE) < count) {
                if (System.nanoTime() > deadline) {
                    say(
                            "only %d of %d %s deliveries after %s",
                            countFinal(prefix, 0, Long.MAX_VALUE), count, prefix, timeout);
                    return;
                }
                Thread.sleep(200);
            }
        }

        long countFinal(String prefix, long fromMillis, long toMillis) {
            return rows.stream()
                    .filter(r -> r.eventId().startsWith(prefix) && r.status().equals("SENT"))
                    .filter(r -> r.finalAt() >= fromMillis && r.finalAt() < toMillis)
                    .count();
        }

        long lastFinal(String prefix) {
            return rows.stream()
                    .filter(r -> r.eventId().startsWith(prefix) && r.status().equals("SENT"))
                    .mapToLong(Row::finalAt)
                    .max()
                    .orElse(-1);
        }

        long[] latencies(String prefix) {
            return rows.stream()
                    .filter(r -> r.eventId().startsWith(prefix) && r.status().equals("SENT"))
                    .filter(r -> r.createdAt() >= 0 && r.finalAt() >= 0)
                    .mapToLong(r -> r.finalAt() - r.createdAt())
                    .toArray();
        }
    }
}
