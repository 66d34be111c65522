package dev.notiflow.sandbox;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.KafkaWiring;
import dev.notiflow.job.Pipeline;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.kafka.KafkaIO;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
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

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measures the job on this machine: throughput, latency percentiles, CPU and peak memory, for
 * several variants in the same run so that each number has a baseline measured beside it.
 *
 * <ul>
 *   <li>{@code kafka-passthrough}: a Flink job that copies the events topic to an output topic with
 *       the same exactly-once Kafka source, sink and checkpoints; the floor that Kafka I/O and
 *       checkpointing set on this machine;
 *   <li>{@code job-no-provider-io}: the whole topology (parse, dedupe, fan-out, resolve, render,
 *       route, async send, outcomes) with a sender that accepts at once, so the job's own cost;
 *   <li>{@code job-local-providers}: the whole job with the real client libraries (Pushy, firebase-
 *       admin) against the local APNs and FCM servers.
 * </ul>
 *
 * Each variant gets topics of its own on one local KRaft broker. The workload: {@code --users}
 * users, each with an email address and one device (every other one iOS, the rest Android), are
 * loaded first; then {@code --notifications} push events, one recipient each, are produced as fast
 * as the producer goes ({@code --rate 0}, a burst: latency then measures how long the backlog takes
 * to drain) or at {@code --rate} events per second (latency under that steady load). Throughput
 * counts from the first event produced to the last final record seen committed on the deliveries
 * topic (read_committed); latency is, per event, the time from its produce call to its record being
 * seen committed, so it includes up to one checkpoint interval (1 s). CPU is the process's CPU time
 * during the variant: it includes the in-process broker, the local provider servers and JIT
 * compilation (the compilers' time is reported beside it), so compare variants with each other
 * rather than reading it as the job's alone. Memory: the sum of the heap pools' peaks during the
 * variant (the broker and the local providers share this JVM, equally in every variant) and the
 * process's peak RSS.
 *
 * <pre>
 * scripts/bench.sh [--notifications N] [--users N] [--rate EVENTS_PER_S] [--variants a,b,c]
 *                  [--warm-up N] [--out DIR]
 * </pre>
 */
public final class Benchmark {

    static final List<String> VARIANTS =
            List.of("kafka-passthrough", "job-no-provider-io", "job-local-providers");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(20);

    private Benchmark() {}

    /** One variant's measurements. */
    record Result(
            String variant,
            int notifications,
            int completed,
            Map<String, Integer> statuses,
            double seconds,
            double perSecond,
            long p50Millis,
            long p95Millis,
            long p99Millis,
            long maxMillis,
            double cpuSeconds,
            double jitSeconds,
            long peakHeapMb) {}

    public static void main(String[] args) throws Exception {
        LocalRun.say("results in %s", run(args));
    }

    /** Runs the benchmark and returns the JSON report it wrote. */
    static Path run(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int notifications = Integer.parseInt(options.getOrDefault("notifications", "20000"));
        int users = Integer.parseInt(options.getOrDefault("users", "2000"));
        double rate = Double.parseDouble(options.getOrDefault("rate", "0"));
        int warmUp = Integer.parseInt(options.getOrDefault("warm-up", "5000"));
        List<String> variants =
                Arrays.asList(
                        options.getOrDefault("variants", String.join(",", VARIANTS)).split(","));
        Path out = Path.of(options.getOrDefault("out", "sandbox/target/bench"));
        for (String v : variants) {
            if (!VARIANTS.contains(v)) {
                throw new IllegalArgumentException("unknown variant " + v + "; known: " + VARIANTS);
            }
        }
        List<Result> results = new ArrayList<>();
        Path work = Files.createTempDirectory("notiflow-bench");
        LocalRun.say(
                "Benchmark: %d notifications to %d users; variants %s",
                notifications, users, variants);
        try (LocalKafka kafka = LocalKafka.start();
                LocalProviders providers = LocalProviders.start(ProviderScript.acceptAll())) {
            // A warm-up of the whole job with the provider clients and the local servers, so that
            // class loading, connection set-up and most JIT compilation do not count against the
            // first variant measured.
            run(
                    kafka,
                    providers,
                    work,
                    "warm-up",
                    "job-local-providers",
                    warmUp,
                    Math.max(1, warmUp / 10),
                    0);
            for (String variant : variants) {
                results.add(
                        run(kafka, providers, work, variant, variant, notifications, users, rate));
            }
        }
        Files.createDirectories(out);
        Path file = out.resolve("bench-" + Instant.now().toString().replace(':', '-') + ".json");
        ObjectNode report = JSON.createObjectNode();
        report.put("notifications", notifications);
        report.put("users", users);
        report.put("ratePerSecond", rate);
        report.put("cpus", Runtime.getRuntime().availableProcessors());
        report.put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
        report.put("peakRssMb", peakRssMb());
        ArrayNode list = report.putArray("results");
        results.forEach(r -> list.add(JSON.valueToTree(r)));
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        System.out.println();
        System.out.println(table(results));
        LocalRun.say("process peak RSS %d MB (broker, providers and jobs together)", peakRssMb());
        return file;
    }

    private static Result run(
            LocalKafka kafka,
            LocalProviders providers,
            Path work,
            String name,
            String variant,
            int notifications,
            int users,
            double rate)
            throws Exception {
        String prefix = name + "-";
        Map<String, String> overrides = new LinkedHashMap<>();
        for (ConfigOption<?> option : JobOptions.all()) {
            if (option.key().startsWith("topics.")) {
                String topic = prefix + option.defaultValue();
                boolean compacted =
                        topic.endsWith("user-preferences") || topic.endsWith("device-tokens");
                kafka.createTopic(topic, 2, compacted);
                overrides.put(option.key(), topic);
            }
        }
        overrides.put(JobOptions.KAFKA_GROUP_ID.key(), "bench-" + name);
        Configuration config = LocalRun.jobConfig(kafka, providers, work.resolve(name), overrides);
        config.setString("restart-strategy.type", "none");

        try (KafkaProducer<String, String> producer = producer(kafka)) {
            for (int u = 0; u < users; u++) {
                String user = "u" + u;
                send(
                        producer,
                        config.get(JobOptions.TOPIC_PREFERENCES),
                        user,
                        "{\"userId\":\"" + user + "\",\"email\":\"" + user + "@example.com\"}");
                String platform = u % 2 == 0 ? "ios" : "android";
                String token = platform.equals("ios") ? apnsToken(u) : fcmToken(u);
                send(
                        producer,
                        config.get(JobOptions.TOPIC_DEVICES),
                        user + ":" + token,
                        "{\"userId\":\""
                                + user
                                + "\",\"token\":\""
                                + token
                                + "\",\"platform\":\""
                                + platform
                                + "\",\"appId\":\"com.example.app\"}");
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
        if (variant.equals("kafka-passthrough")) {
            passthrough(env, config);
        } else {
            Gateways gateways =
                    variant.equals("job-no-provider-io")
                            ? acceptAtOnce()
                            : ProviderGateways.fromConfig(config);
            Pipeline.defineWorkflow(
                    env,
                    KafkaWiring.inputs(env, config),
                    gateways,
                    KafkaWiring.outputs(config),
                    PipelineSettings.from(config));
        }
        JobClient job = env.executeAsync("bench-" + name);
        try {
            if (!variant.equals("kafka-passthrough")) {
                KafkaGroups.awaitCaughtUp(
                        kafka,
                        "bench-" + name,
                        Duration.ofMinutes(3),
                        config.get(JobOptions.TOPIC_PREFERENCES),
                        config.get(JobOptions.TOPIC_DEVICES));
            }
            LocalRun.say("%s: job running, sending %d events ...", name, notifications);
            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            long cpuBefore = processCpuNanos();
            long jitBefore = jitMillis();
            return measure(kafka, config, name, notifications, users, rate, cpuBefore, jitBefore);
        } finally {
            job.cancel().get();
        }
    }

    private static Result measure(
            LocalKafka kafka,
            Configuration config,
            String name,
            int notifications,
            int users,
            double rate,
            long cpuBefore,
            long jitBefore)
            throws Exception {
        Map<String, Long> producedAt = new ConcurrentHashMap<>(notifications * 2);
        String eventsTopic = config.get(JobOptions.TOPIC_EVENTS);
        long start = System.nanoTime();
        CompletableFuture<Void> producing =
                CompletableFuture.runAsync(
                        () -> {
                            try (KafkaProducer<String, String> producer = producer(kafka)) {
                                for (int i = 0; i < notifications; i++) {
                                    if (rate > 0) {
                                        pace(start, i, rate);
                                    }
                                    String eventId = "e" + i;
                                    producedAt.put(eventId, System.nanoTime());
                                    send(
                                            producer,
                                            eventsTopic,
                                            eventId,
                                            "{\"eventId\":\""
                                                    + eventId
                                                    + "\",\"type\":\"bench.push\",\"userIds\":[\"u"
                                                    + (i % users)
                                                    + "\"],\"channels\":[\"push\"],"
                                                    + "\"data\":{\"title\":\"Your order\","
                                                    + "\"body\":\"Order "
                                                    + i
                                                    + " has shipped\"}}");
                                }
                            }
                        });

        List<Long> latencies = new ArrayList<>(notifications);
        Map<String, Integer> statuses = new TreeMap<>();
        long last = start;
        long deadline = start + RUN_TIMEOUT.toNanos();
        long lastProgress = start;
        Properties props = kafka.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-watch-" + name);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(config.get(JobOptions.TOPIC_DELIVERIES)));
            while (latencies.size() < notifications && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                    long seen = System.nanoTime();
                    JsonNode record = JSON.readTree(r.value());
                    String eventId;
                    String status;
                    if (record.isTextual()) { // the passthrough copies the event as a string
                        eventId = JSON.readTree(record.asText()).path("eventId").asText();
                        status = "COPIED";
                    } else {
                        eventId = record.path("eventId").asText();
                        status = record.path("status").asText();
                    }
                    Long produced = producedAt.get(eventId);
                    if (produced != null) {
                        latencies.add((seen - produced) / 1_000_000);
                        statuses.merge(status, 1, Integer::sum);
                        last = seen;
                    }
                }
                if (System.nanoTime() - lastProgress > 5_000_000_000L) {
                    LocalRun.say("%s: %d/%d final records", name, latencies.size(), notifications);
                    lastProgress = System.nanoTime();
                }
            }
        }
        producing.get();
        double cpuSeconds = (processCpuNanos() - cpuBefore) / 1e9;
        double jitSeconds = (jitMillis() - jitBefore) / 1e3;
        double seconds = (last - start) / 1e9;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        Result result =
                new Result(
                        name,
                        notifications,
                        sorted.length,
                        statuses,
                        round(seconds),
                        round(sorted.length / Math.max(seconds, 1e-9)),
                        percentile(sorted, 50),
                        percentile(sorted, 95),
                        percentile(sorted, 99),
                        sorted.length == 0 ? -1 : sorted[sorted.length - 1],
                        round(cpuSeconds),
                        round(jitSeconds),
                        peakHeapMb());
        LocalRun.say("%s: %s", name, result);
        return result;
    }

    /** The events topic copied to the deliveries topic, with the job's Kafka source and sink. */
    private static void passthrough(StreamExecutionEnvironment env, Configuration config) {
        String bootstrap = config.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS);
        env.fromSource(
                        KafkaIO.rawSource(
                                bootstrap,
                                config.get(JobOptions.KAFKA_GROUP_ID),
                                new Properties(),
                                config.get(JobOptions.TOPIC_EVENTS)),
                        WatermarkStrategy.noWatermarks(),
                        "Events")
                .uid("bench-events")
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .uid("bench-copy")
                .sinkTo(
                        KafkaIO.jsonSink(
                                bootstrap,
                                config.get(JobOptions.TOPIC_DELIVERIES),
                                s -> null,
                                DeliveryGuarantee.EXACTLY_ONCE,
                                config.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX) + "-copy",
                                config.get(JobOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis()))
                .uid("bench-sink");
    }

    /** APNs and FCM through a sender that accepts every request at once: no provider I/O. */
    private static Gateways acceptAtOnce() {
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        SenderFactory factory = AcceptingSender::new;
        factories.put(Provider.APNS, factory);
        factories.put(Provider.FCM, factory);
        return Gateways.of(factories);
    }

    /** The benchmark's baseline sender: accepts at once, sends nothing anywhere. */
    private static final class AcceptingSender implements ChannelSender {
        @Override
        public CompletableFuture<SendResult> send(dev.notiflow.model.SendRequest request) {
            return CompletableFuture.completedFuture(SendResult.accepted("bench"));
        }

        @Override
        public void close() {}
    }

    /** Waits until event {@code i} is due at {@code rate} events per second from {@code start}. */
    private static void pace(long start, int i, double rate) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
    }

    private static KafkaProducer<String, String> producer(LocalKafka kafka) {
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        return new KafkaProducer<>(props);
    }

    private static void send(
            KafkaProducer<String, String> producer, String topic, String key, String value) {
        producer.send(new ProducerRecord<>(topic, key, value));
    }

    /** A 64-hex-digit APNs device token, distinct per user. */
    private static String apnsToken(int user) {
        return String.format("%064x", 0xA11CE000L + user);
    }

    /** An FCM registration token shape, distinct per user. */
    private static String fcmToken(int user) {
        return "bench" + user + ":APA91b" + "x".repeat(140);
    }

    private static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return -1;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun
                ? sun.getProcessCpuTime()
                : -1;
    }

    /** Time the JIT compilers spent compiling so far (part of the process's CPU time). */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit.getTotalCompilationTime()
                : 0;
    }

    private static long peakHeapMb() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                bytes += pool.getPeakUsage().getUsed();
            }
        }
        return bytes >> 20;
    }

    /** The process's peak resident set (VmHWM), or -1 where /proc is not there. */
    private static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    static String table(List<Result> results) {
        StringBuilder t = new StringBuilder();
        t.append(
                String.format(
                        "%-22s %9s %9s %10s %8s %8s %8s %8s %8s %8s %9s  %s%n",
                        "variant",
                        "notif.",
                        "seconds",
                        "notif/s",
                        "p50 ms",
                        "p95 ms",
                        "p99 ms",
                        "max ms",
                        "cpu s",
                        "jit s",
                        "heap MB",
                        "outcomes"));
        for (Result r : results) {
            t.append(
                    String.format(
                            "%-22s %9d %9.1f %10.1f %8d %8d %8d %8d %8.1f %8.1f %9d  %s%n",
                            r.variant(),
                            r.completed(),
                            r.seconds(),
                            r.perSecond(),
                            r.p50Millis(),
                            r.p95Millis(),
                            r.p99Millis(),
                            r.maxMillis(),
                            r.cpuSeconds(),
                            r.jitSeconds(),
                            r.peakHeapMb(),
                            r.statuses()));
        }
        return t.toString();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException(
                        "usage: --notifications N --users N --rate R --variants a,b --out DIR;"
                                + " got "
                                + args[i]);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }
}
