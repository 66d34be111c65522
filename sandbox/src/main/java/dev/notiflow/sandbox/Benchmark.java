package dev.notiflow.sandbox;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.accumulators.LongMinimum;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.KafkaWiring;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.job.Pipeline;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.job.operators.ParseEvents;
import dev.notiflow.kafka.RawRecordDeserializer;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import io.netty.handler.ssl.OpenSsl;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.Reader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark: the job at scale beside same-run ceilings on the same input, each figure with the
 * job's rate as a ratio of it (see {@code scripts/bench.sh} for the options and README's
 * performance section for figures).
 *
 * <p>Order of a run: the broker (its own JVM by default) and the local APNs and FCM servers (their
 * own JVM, {@code LocalProvidersMain}) start; {@code --users} profiles and their devices and the
 * events of {@code --notifications} notifications are produced; a first job reads the profiles and
 * devices (its events topic empty) and stops with a savepoint, so every measured job starts from
 * state that already holds every user and never meets an event before its recipient's profile
 * ({@code profile.wait} would otherwise decide the outcome of a race). Then the variants, each on
 * the same events topic:
 *
 * <ul>
 *   <li>{@code kafka-consumer}: a plain KafkaConsumer reading the events topic (ceiling a);
 *   <li>{@code flink-parse}: Flink's Kafka source and the job's ParseEvents, then discard (b);
 *   <li>{@code pushy}, {@code firebase}: the job's own APNs and FCM senders (from {@link
 *       ProviderGateways}, same settings) alone, sending as many notifications as the events imply
 *       for their platform, to the same local servers, with the job's parallelism and in-flight
 *       capacity (c);
 *   <li>{@code jdbc-upsert}: the delivery table's upsert as raw JDBC batches of the same number of
 *       rows into a local PostgreSQL (d);
 *   <li>{@code job-no-provider-io}: the whole topology with a sender that accepts at once;
 *   <li>{@code job-no-ledger}: the job as shipped with the real clients but {@code ledger.enabled:
 *       false}, so that the ledger's cost is measured beside it;
 *   <li>{@code job-local-providers}: the job as shipped ({@code flink-conf/job.yaml}, ledger on)
 *       with the real clients; with {@code delivery-tables} the delivery tables job runs beside it
 *       and its table's rows/s and lag are measured.
 * </ul>
 *
 * A job variant first drains the burst (all events there before it starts), then runs a second,
 * steady phase at half the burst's steady-state rate for {@code --steady-seconds}, which gives the
 * event → provider-ack latency (the delivery's {@code finalAt} minus the event's {@code createdAt},
 * both set on this machine's clock).
 */
public final class Benchmark {

    static final List<String> VARIANTS =
            List.of(
                    "kafka-consumer",
                    "flink-parse",
                    "pushy",
                    "firebase",
                    "jdbc-upsert",
                    "job-no-provider-io",
                    "job-no-ledger",
                    "job-local-providers",
                    "delivery-tables");

    static final ObjectMapper JSON = new ObjectMapper();

    private static final int PARTITIONS = 2;
    private static final String TEMPLATES_TOPIC = "bench-templates";

    /** The cancellations topic every job variant reads (empty: nothing is cancelled). */
    private static final String CANCELLATIONS_TOPIC = "bench-cancellations";

    private static final String USAGE =
            "usage: bench.sh [--notifications N] [--users N] [--device-mix ios|android|mixed]"
                    + " [--batch-share F] [--audience true|false] [--seed N] [--variants a,b]"
                    + " [--steady-seconds S] [--variant-timeout MIN] [--checkpoint-interval D]"
                    + " [--broker child|in-process] [--profile true|false] [--warm-up N]"
                    + " [--out DIR]";

    private Benchmark() {}

    /** The command line. */
    record Options(
            long notifications,
            int users,
            BenchmarkWorkload.DeviceMix mix,
            double batchShare,
            boolean audience,
            long seed,
            List<String> variants,
            int steadySeconds,
            Duration variantTimeout,
            String checkpointInterval,
            boolean childBroker,
            boolean profile,
            long warmUp,
            Path out,
            Path flinkConf) {

        static Options parse(String[] args) {
            Map<String, String> o = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException(USAGE + "; got " + args[i]);
                }
                String key = args[i].substring(2);
                boolean flag =
                        (key.equals("audience") || key.equals("profile"))
                                && (i + 1 >= args.length || args[i + 1].startsWith("--"));
                if (!flag && i + 1 >= args.length) {
                    throw new IllegalArgumentException(USAGE + "; " + args[i] + " has no value");
                }
                o.put(key, flag ? "true" : args[++i]);
            }
            Set<String> known =
                    Set.of(
                            "notifications",
                            "users",
                            "device-mix",
                            "batch-share",
                            "audience",
                            "seed",
                            "variants",
                            "steady-seconds",
                            "variant-timeout",
                            "checkpoint-interval",
                            "broker",
                            "profile",
                            "warm-up",
                            "out",
                            "flink-conf");
            for (String k : o.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException(USAGE + "; unknown option --" + k);
                }
            }
            List<String> variants =
                    Arrays.asList(
                            o.getOrDefault("variants", String.join(",", VARIANTS)).split(","));
            for (String v : variants) {
                if (!VARIANTS.contains(v)) {
                    throw new IllegalArgumentException(
                            "unknown variant " + v + "; known: " + VARIANTS);
                }
            }
            double share = Double.parseDouble(o.getOrDefault("batch-share", "0.9"));
            if (share < 0 || share > 1) {
                throw new IllegalArgumentException("--batch-share must be within [0, 1]");
            }
            String stamp =
                    LocalDateTime.now(ZoneOffset.UTC)
                            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path out = Path.of(o.getOrDefault("out", "sandbox/target/bench/" + stamp));
            Path conf =
                    o.containsKey("flink-conf")
                            ? Path.of(o.get("flink-conf"))
                            : findUp(Path.of("flink-conf"));
            String broker = o.getOrDefault("broker", "child");
            if (!broker.equals("child") && !broker.equals("in-process")) {
                throw new IllegalArgumentException("--broker is child or in-process");
            }
            return new Options(
                    Long.parseLong(o.getOrDefault("notifications", "10000000")),
                    Integer.parseInt(o.getOrDefault("users", "1000000")),
                    BenchmarkWorkload.DeviceMix.parse(o.getOrDefault("device-mix", "ios")),
                    share,
                    Boolean.parseBoolean(o.getOrDefault("audience", "false")),
                    Long.parseLong(o.getOrDefault("seed", "42")),
                    variants,
                    Integer.parseInt(o.getOrDefault("steady-seconds", "30")),
                    Duration.ofMinutes(Long.parseLong(o.getOrDefault("variant-timeout", "30"))),
                    o.get("checkpoint-interval"),
                    broker.equals("child"),
                    Boolean.parseBoolean(o.getOrDefault("profile", "false")),
                    Long.parseLong(o.getOrDefault("warm-up", "20000")),
                    out,
                    conf);
        }

        private static Path findUp(Path relative) {
            Path dir = Path.of("").toAbsolutePath();
            while (dir != null) {
                if (Files.isDirectory(dir.resolve(relative))) {
                    return dir.resolve(relative);
                }
                dir = dir.getParent();
            }
            throw new IllegalArgumentException(
                    "no " + relative + " here or above: give --flink-conf DIR");
        }
    }

    public static void main(String[] args) throws Exception {
        Path report = run(args);
        say("report in %s", report.getParent());
        System.exit(0);
    }

    /** Runs the benchmark and returns the path of {@code report.json}. */
    static Path run(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Options options = Options.parse(args);
        Files.createDirectories(options.out());
        BenchmarkWorkload workload =
                new BenchmarkWorkload(options.users(), options.mix(), options.seed());
        Path work = Files.createTempDirectory("nf-bench");
        ObjectNode report = JSON.createObjectNode();
        ObjectNode setup = report.putObject("setup");
        setup.put("notifications", options.notifications());
        setup.put("users", options.users());
        setup.put("deviceMix", options.mix().name().toLowerCase());
        setup.put("batchShare", options.batchShare());
        setup.put("audience", options.audience());
        setup.put("seed", options.seed());
        setup.put("cpus", Runtime.getRuntime().availableProcessors());
        setup.put("java", System.getProperty("java.version"));
        setup.put("jobJvmMaxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
        setup.put("loadAverageAtStart", loadAverage());
        setup.put("startedAt", Instant.now().toString());
        setup.put("broker", options.childBroker() ? "own JVM" : "in the job's JVM");
        setup.put(
                "providers",
                "own JVM (LocalProvidersMain), recording off"
                        + (OpenSsl.isAvailable()
                                ? "; TLS by netty-tcnative (BoringSSL) in every JVM"
                                : "; TLS by the JDK"));
        ObjectNode variants = report.putObject("variants");
        say(
                "Benchmark: %d notifications, %d users (%s), batch share %.2f%s; variants %s",
                options.notifications(),
                options.users(),
                setup.get("deviceMix").asText(),
                options.batchShare(),
                options.audience() ? ", one audience event" : "",
                options.variants());

        BenchmarkChild brokerChild = null;
        LocalKafka inProcessBroker = null;
        LocalPostgres postgres = null;
        BenchmarkChild providers = null;
        try {
            String bootstrap;
            if (options.childBroker()) {
                Path file = work.resolve("bootstrap.txt");
                brokerChild =
                        BenchmarkChild.start(
                                "broker",
                                "dev.notiflow.testkit.kafka.LocalKafkaMain",
                                List.of("--bootstrap-file", file.toString()),
                                "",
                                "2g",
                                options.out().resolve("broker.log"),
                                "Kafka ready at ",
                                Duration.ofMinutes(2));
                bootstrap = brokerChild.readyLine().substring("Kafka ready at ".length()).trim();
            } else {
                inProcessBroker = LocalKafka.start();
                bootstrap = inProcessBroker.bootstrapServers();
            }
            Path providerConfig = work.resolve("providers.properties");
            providers =
                    BenchmarkChild.start(
                            "providers",
                            "dev.notiflow.testkit.providers.LocalProvidersMain",
                            List.of("--config-file", providerConfig.toString()),
                            "",
                            "1g",
                            options.out().resolve("providers.log"),
                            "Providers ready",
                            Duration.ofMinutes(1));
            Map<String, String> providerConf = readProperties(providerConfig);
            if (needsPostgres(options.variants())) {
                postgres = LocalPostgres.start();
                say("PostgreSQL at %s", postgres.jdbcUrl());
            }
            Bench bench =
                    new Bench(
                            options,
                            workload,
                            bootstrap,
                            providers,
                            brokerChild,
                            providerConf,
                            postgres,
                            work,
                            report);
            bench.load();
            for (String variant : options.variants()) {
                if (variant.equals("delivery-tables")) {
                    continue; // measured beside job-local-providers
                }
                say("=== %s ===", variant);
                try {
                    variants.set(variant, bench.runVariant(variant));
                } catch (Exception e) {
                    say("%s failed: %s", variant, e);
                    e.printStackTrace(System.out);
                    variants.putObject(variant).put("error", e.toString());
                }
            }
            if (options.variants().contains("delivery-tables")
                    && !options.variants().contains("job-local-providers")) {
                variants.putObject("delivery-tables")
                        .put("error", "runs beside job-local-providers only");
            }
        } finally {
            if (providers != null) {
                providers.close();
            }
            if (postgres != null) {
                postgres.close();
            }
            if (inProcessBroker != null) {
                inProcessBroker.close();
            }
            if (brokerChild != null) {
                brokerChild.close();
            }
        }
        BenchmarkReport.ratios(report);
        return BenchmarkReport.write(report, options.out());
    }

    private static boolean needsPostgres(List<String> variants) {
        return variants.contains("jdbc-upsert")
                || variants.contains("job-local-providers")
                || variants.contains("delivery-tables");
    }

    /** One run's shared state: broker, topics, providers, database and the loaded input. */
    private static final class Bench {
        final Options options;
        final BenchmarkWorkload workload;
        final String bootstrap;
        final BenchmarkChild providers;
        final BenchmarkChild broker;
        final Map<String, String> providerConf;
        final LocalPostgres postgres;
        final Path work;
        final ObjectNode report;
        final Admin admin;
        long events;
        long iosNotifications;
        long androidNotifications;
        String savepoint;
        int jobs;

        Bench(
                Options options,
                BenchmarkWorkload workload,
                String bootstrap,
                BenchmarkChild providers,
                BenchmarkChild broker,
                Map<String, String> providerConf,
                LocalPostgres postgres,
                Path work,
                ObjectNode report) {
            this.options = options;
            this.workload = workload;
            this.bootstrap = bootstrap;
            this.providers = providers;
            this.broker = broker;
            this.providerConf = providerConf;
            this.postgres = postgres;
            this.work = work;
            this.report = report;
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            this.admin = Admin.create(props);
        }

        // ---------------------------------------------------------------- input

        void createTopic(String name, boolean compacted) throws Exception {
            NewTopic topic = new NewTopic(name, PARTITIONS, (short) 1);
            if (compacted) {
                topic.configs(
                        Map.of(
                                TopicConfig.CLEANUP_POLICY_CONFIG,
                                TopicConfig.CLEANUP_POLICY_COMPACT));
            }
            admin.createTopics(List.of(topic)).all().get(1, TimeUnit.MINUTES);
        }

        void createOutputTopics(Configuration config) throws Exception {
            for (var option :
                    List.of(
                            JobOptions.TOPIC_DELIVERIES,
                            JobOptions.TOPIC_DLQ,
                            JobOptions.TOPIC_RETRY,
                            JobOptions.TOPIC_INVALIDATIONS)) {
                createTopic(config.get(option), false);
            }
        }

        KafkaProducer<byte[], byte[]> producer() {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
            props.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
            props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "4194304");
            return new KafkaProducer<>(props);
        }

        /** Users, devices and the burst's events into their topics, then the preloaded state. */
        void load() throws Exception {
            for (String t : List.of("bench-user-preferences", "bench-device-tokens")) {
                createTopic(t, true);
            }
            createTopic("bench-events", false);
            createTopic("bench-events-empty", false);
            createTopic(TEMPLATES_TOPIC, true);
            createTopic(CANCELLATIONS_TOPIC, false);
            long started = System.nanoTime();
            long devices = 0;
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                // The events' type has a template, so every notification is rendered by the
                // template engine as in production (title and body from the event's data).
                producer.send(
                        new ProducerRecord<>(
                                TEMPLATES_TOPIC,
                                bytes("bench.push:en"),
                                bytes(
                                        "{\"templateId\":\"bench.push\",\"locale\":\"en\","
                                                + "\"title\":\"{{ title }}\","
                                                + "\"body\":\"{{ body }}\","
                                                + "\"updatedAt\":\"2026-01-01T00:00:00Z\"}")));
                for (int u = 0; u < workload.users; u++) {
                    String user = "u" + u;
                    producer.send(
                            new ProducerRecord<>(
                                    "bench-user-preferences",
                                    bytes(user),
                                    bytes(workload.preferencesJson(u))));
                    for (int d = 0; d < workload.devices(u); d++) {
                        producer.send(
                                new ProducerRecord<>(
                                        "bench-device-tokens",
                                        bytes(user + ":" + workload.token(u, d)),
                                        bytes(workload.deviceJson(u, d))));
                        devices++;
                    }
                    if (u > 0 && u % 200_000 == 0) {
                        say("loading: %d users", u);
                    }
                }
                BenchmarkWorkload.Events gen = produceBurst(producer, "bench-events");
                events = gen.batchEvents + gen.singleEvents + gen.audienceEvents;
                producer.flush();
                iosNotifications = gen.iosNotifications;
                androidNotifications = gen.notifications - gen.iosNotifications;
                ObjectNode input = report.putObject("input");
                input.put("users", workload.users);
                input.put("devices", devices);
                input.put("events", events);
                input.put("batchEvents", gen.batchEvents);
                input.put("oneRecipientEvents", gen.singleEvents);
                input.put("audienceEvents", gen.audienceEvents);
                input.put("notifications", gen.notifications);
                input.put("iosNotifications", iosNotifications);
                input.put("androidNotifications", androidNotifications);
                input.put("loadSeconds", round((System.nanoTime() - started) / 1e9));
            }
            say(
                    "loaded %d users, %d devices, %d events (%d notifications: %d iOS, %d Android) in %.1f s",
                    workload.users,
                    devices,
                    events,
                    iosNotifications + androidNotifications,
                    iosNotifications,
                    androidNotifications,
                    (System.nanoTime() - started) / 1e9);
        }

        /**
         * The burst's events (ids {@code e-…}, each with its notification count in a header) into
         * {@code topic}; the same events on every call (the generator is deterministic).
         */
        BenchmarkWorkload.Events produceBurst(
                KafkaProducer<byte[], byte[]> producer, String topic) {
            BenchmarkWorkload.Events gen =
                    workload
                    .new Events(
                            "e-",
                            options.notifications(),
                            options.batchShare(),
                            options.audience());
            Instant now = Instant.now();
            while (gen.hasNext()) {
                BenchmarkWorkload.Event e = gen.next(now);
                ProducerRecord<byte[], byte[]> record =
                        new ProducerRecord<>(topic, bytes(e.eventId()), e.json());
                record.headers()
                        .add(BenchmarkWorkload.HEADER, bytes(Integer.toString(e.notifications())));
                producer.send(record);
            }
            producer.flush();
            return gen;
        }

        /**
         * Runs the topology once on the profiles and devices with an empty events topic and stops
         * it with a savepoint: the state every measured job starts from.
         */
        String savepoint() throws Exception {
            if (savepoint != null) {
                return savepoint;
            }
            long started = System.nanoTime();
            Map<String, String> job = baseJobConfig("preload");
            job.put(JobOptions.TOPIC_EVENTS.key(), "bench-events-empty");
            Configuration config =
                    runtimeConfig(
                            "preload",
                            job,
                            options.checkpointInterval() != null
                                    ? options.checkpointInterval()
                                    : "2 s");
            createOutputTopics(config);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(config);
            env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
            Pipeline.defineWorkflow(
                    env,
                    KafkaWiring.inputs(env, config),
                    acceptAtOnce(),
                    KafkaWiring.outputs(config),
                    PipelineSettings.from(config));
            JobClient client = env.executeAsync("bench-preload");
            try {
                awaitCommitted(
                        client,
                        config.get(JobOptions.KAFKA_GROUP_ID),
                        List.of("bench-user-preferences", "bench-device-tokens"),
                        options.variantTimeout());
                savepoint =
                        client.stopWithSavepoint(
                                        false,
                                        work.resolve("savepoints").toUri().toString(),
                                        SavepointFormatType.NATIVE)
                                .get(10, TimeUnit.MINUTES);
            } catch (Exception e) {
                client.cancel();
                throw e;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            report.with("input").put("preloadSeconds", round(seconds));
            say("profiles and devices in state after %.1f s: savepoint %s", seconds, savepoint);
            return savepoint;
        }

        /** Waits until the group has committed the end of every partition of the topics. */
        void awaitCommitted(JobClient client, String group, List<String> topics, Duration timeout)
                throws Exception {
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (String t : topics) {
                for (int p = 0; p < PARTITIONS; p++) {
                    ends.put(new TopicPartition(t, p), OffsetSpec.latest());
                }
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(ends).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
            long deadline = System.nanoTime() + timeout.toNanos();
            long lastSay = System.nanoTime();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                long behind = 0;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    behind += e.getValue() - (c == null ? 0 : c.offset());
                }
                if (behind <= 0) {
                    return;
                }
                if (client.getJobStatus().get().isTerminalState()) {
                    throw new IllegalStateException(
                            "the preload job ended: " + client.getJobStatus().get());
                }
                if (System.nanoTime() - lastSay > 5_000_000_000L) {
                    say("preload: %d profile and device records still to read", behind);
                    lastSay = System.nanoTime();
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException(group + " did not read " + topics + " in " + timeout);
        }

        // ---------------------------------------------------------------- configuration

        /** The job settings of a variant: shipped job.yaml, local endpoints, own output topics. */
        Map<String, String> baseJobConfig(String name) throws IOException {
            Map<String, String> c = new LinkedHashMap<>();
            JobConfig.readYaml(options.flinkConf().resolve("job.yaml"))
                    .forEach(
                            (k, v) -> {
                                // SMS, e-mail and live are not part of this push benchmark
                                // (their placeholders point nowhere).
                                if (!k.startsWith("sms.")
                                        && !k.startsWith("email.")
                                        && !k.startsWith("live.")) {
                                    c.put(k, v);
                                }
                            });
            c.putAll(providerConf);
            c.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), bootstrap);
            c.put(JobOptions.KAFKA_GROUP_ID.key(), "bench-" + name);
            c.put(
                    JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX.key(),
                    "bench-" + name + "-" + System.nanoTime());
            c.put(JobOptions.TOPIC_EVENTS.key(), "bench-events");
            c.put(JobOptions.TOPIC_PREFERENCES.key(), "bench-user-preferences");
            c.put(JobOptions.TOPIC_DEVICES.key(), "bench-device-tokens");
            c.put(JobOptions.TOPIC_TEMPLATES.key(), TEMPLATES_TOPIC);
            c.put(JobOptions.TOPIC_CANCELLATIONS.key(), CANCELLATIONS_TOPIC);
            for (var option :
                    List.of(
                            JobOptions.TOPIC_DELIVERIES,
                            JobOptions.TOPIC_DLQ,
                            JobOptions.TOPIC_RETRY,
                            JobOptions.TOPIC_INVALIDATIONS)) {
                c.put(option.key(), name + "-" + option.defaultValue());
            }
            if (postgres != null) {
                c.putAll(postgres.jdbcOptions());
                c.remove("jdbc.password-env");
            } else {
                c.put("ledger.enabled", "false");
                c.remove("jdbc.url");
            }
            return c;
        }

        /**
         * The cluster's shipped settings that shape the job (state backend, checkpointing,
         * parallelism; {@code flink-conf/config.yaml}), directories under the run's work dir, a
         * REST port, and no restarts: a failure fails the variant instead of hiding in its time.
         */
        Configuration runtimeConfig(String name, Map<String, String> job, String interval)
                throws IOException {
            Map<String, String> c = new LinkedHashMap<>();
            JobConfig.readYaml(options.flinkConf().resolve("config.yaml"))
                    .forEach(
                            (k, v) -> {
                                if (k.startsWith("state.")
                                        || k.startsWith("execution.checkpointing.")
                                        || k.startsWith("parallelism.")
                                        || k.startsWith("pipeline.")) {
                                    c.put(k, v);
                                }
                            });
            Path dir = work.resolve(name);
            c.put("state.backend.rocksdb.localdir", dir.resolve("rocksdb").toString());
            c.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
            c.put(
                    "execution.checkpointing.savepoint-dir",
                    work.resolve("savepoints").toUri().toString());
            c.put(
                    "execution.checkpointing.externalized-checkpoint-retention",
                    "DELETE_ON_CANCELLATION");
            if (interval != null) {
                c.put("execution.checkpointing.interval", interval);
                c.put("execution.checkpointing.min-pause", "0 ms");
            }
            c.put("pipeline.auto-generate-uids", "false");
            c.put("restart-strategy.type", "none");
            c.put("taskmanager.memory.managed.size", name.equals("tables") ? "256m" : "1g");
            c.put("taskmanager.numberOfTaskSlots", "4");
            try (ServerSocket socket = new ServerSocket(0)) {
                c.put(RestOptions.BIND_PORT.key(), Integer.toString(socket.getLocalPort()));
            }
            c.put(RestOptions.ADDRESS.key(), "localhost");
            c.putAll(job);
            return Configuration.fromMap(c);
        }

        // ---------------------------------------------------------------- variants

        ObjectNode runVariant(String variant) throws Exception {
            return switch (variant) {
                case "kafka-consumer" -> kafkaConsumer();
                case "flink-parse" -> flinkParse();
                case "pushy" -> providerClient(Provider.APNS, iosNotifications);
                case "firebase" -> providerClient(Provider.FCM, androidNotifications);
                case "jdbc-upsert" -> jdbcUpsert();
                case "job-no-provider-io", "job-no-ledger", "job-local-providers" -> job(variant);
                default -> throw new IllegalArgumentException(variant);
            };
        }

        long notifications() {
            return iosNotifications + androidNotifications;
        }

        /** (a) A plain KafkaConsumer reading the events topic, counting implied notifications. */
        ObjectNode kafkaConsumer() throws Exception {
            BenchmarkMeter meter = meter();
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-consumer-" + System.nanoTime());
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            long records = 0;
            long notifications = 0;
            Progress progress = new Progress(notifications());
            long start = System.nanoTime();
            long deadline = start + options.variantTimeout().toNanos();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of("bench-events"));
                while (records < events && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        records++;
                        Header h = r.headers().lastHeader(BenchmarkWorkload.HEADER);
                        long n = parseAscii(h.value());
                        notifications += n;
                        progress.add(n);
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            ObjectNode r = meter.finish();
            r.put("notifications", notifications);
            r.put("events", records);
            r.put("seconds", round(seconds));
            r.put("perSecond", round(notifications / seconds));
            progress.steadyInto(r);
            r.put("eventsPerSecond", round(records / seconds));
            r.put("complete", notifications == notifications());
            return r;
        }

        /** (b) Flink's Kafka source and ParseEvents, then discard; notifications counted. */
        ObjectNode flinkParse() throws Exception {
            BenchmarkMeter meter = meter();
            Map<String, String> job = baseJobConfig("parse");
            Configuration config = runtimeConfig("parse", job, null);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(config);
            KafkaSource<dev.notiflow.model.RawRecord> source =
                    KafkaSource.<dev.notiflow.model.RawRecord>builder()
                            .setBootstrapServers(bootstrap)
                            .setGroupId("bench-parse-" + System.nanoTime())
                            .setTopics("bench-events")
                            .setStartingOffsets(OffsetsInitializer.earliest())
                            .setBounded(OffsetsInitializer.latest())
                            .setDeserializer(new RawRecordDeserializer())
                            .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                            .build();
            env.fromSource(source, WatermarkStrategy.noWatermarks(), "Events")
                    .uid("bench-parse-source")
                    .process(new ParseEvents(config.get(JobOptions.MAX_RECORD_BYTES)))
                    .uid("bench-parse")
                    .map(new CountNotifications(workload))
                    .uid("bench-count")
                    .sinkTo(new DiscardingSink<>())
                    .uid("bench-discard");
            long start = System.nanoTime();
            JobExecutionResult result = env.execute("bench-flink-parse");
            double wall = (System.nanoTime() - start) / 1e9;
            long notifications = result.<Long>getAccumulatorResult("notifications");
            long first = result.<Long>getAccumulatorResult("first");
            long last = result.<Long>getAccumulatorResult("last");
            double seconds = Math.max(1, last - first) / 1e3;
            ObjectNode r = meter.finish();
            r.put("notifications", notifications);
            r.put("events", result.<Long>getAccumulatorResult("events"));
            r.put("seconds", round(seconds));
            r.put("wallSeconds", round(wall));
            r.put("perSecond", round(notifications / seconds));
            r.put("complete", notifications == notifications());
            r.put(
                    "note",
                    "rate from the first to the last record parsed; wall time includes start");
            return r;
        }

        /**
         * (c) The job's own sender for one provider alone, with the job's settings, parallelism and
         * in-flight capacity, sending {@code count} notifications to the devices of that platform
         * in the workload.
         */
        ObjectNode providerClient(Provider provider, long count) throws Exception {
            if (count == 0) {
                ObjectNode r = JSON.createObjectNode();
                r.put("notifications", 0);
                r.put("note", "no " + provider.wireName() + " device in this device mix");
                return r;
            }
            Map<String, String> job = baseJobConfig("client");
            job.put("ledger.enabled", "false");
            Configuration config = Configuration.fromMap(job);
            Gateways gateways = ProviderGateways.fromConfig(config);
            SenderFactory factory = gateways.factory(provider);
            int parallelism =
                    Integer.parseInt(
                            JobConfig.readYaml(options.flinkConf().resolve("config.yaml"))
                                    .getOrDefault("parallelism.default", "2"));
            int capacity = config.get(JobOptions.sendCapacity(provider));
            List<ChannelSender> senders = new ArrayList<>();
            for (int p = 0; p < parallelism; p++) {
                senders.add(factory.create());
            }
            // Unmeasured warm-up on the same senders and servers: connections, class loading and
            // the JIT of both JVMs, so that the ceiling is what a warmed client does.
            long warmUp = Math.min(count, options.warmUp());
            if (warmUp > 0) {
                sendAll(
                        senders,
                        provider,
                        warmUp,
                        capacity,
                        new ConcurrentHashMap<>(),
                        new Progress(warmUp),
                        provider.wireName() + " warm-up");
            }
            BenchmarkMeter meter = meter();
            Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();
            Progress done = new Progress(count);
            long start = System.nanoTime();
            sendAll(senders, provider, count, capacity, statuses, done, provider.wireName());
            double seconds = (System.nanoTime() - start) / 1e9;
            senders.forEach(ChannelSender::close);
            ObjectNode r = meter.finish();
            r.put("notifications", done.get());
            r.put("seconds", round(seconds));
            r.put("perSecond", round(done.get() / seconds));
            done.steadyInto(r);
            r.put("complete", done.get() == count);
            r.put("parallelism", parallelism);
            r.put("inFlightPerSender", capacity);
            r.put("warmUpNotifications", warmUp);
            ObjectNode s = r.putObject("statuses");
            statuses.forEach((k, v) -> s.put(k, v.get()));
            return r;
        }

        /** Sends {@code count} notifications over the senders, each on a thread of its own. */
        private void sendAll(
                List<ChannelSender> senders,
                Provider provider,
                long count,
                int capacity,
                Map<String, AtomicLong> statuses,
                Progress done,
                String label)
                throws InterruptedException {
            int parallelism = senders.size();
            long deadline = System.nanoTime() + options.variantTimeout().toNanos();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < parallelism; p++) {
                ChannelSender sender = senders.get(p);
                int subtask = p;
                long share = count / parallelism + (p < count % parallelism ? 1 : 0);
                Thread t =
                        new Thread(
                                () -> {
                                    try {
                                        drive(
                                                sender,
                                                provider,
                                                subtask,
                                                parallelism,
                                                share,
                                                capacity,
                                                deadline,
                                                statuses,
                                                done);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                },
                                "bench-" + provider.wireName() + "-" + p);
                threads.add(t);
                t.start();
            }
            long lastSay = System.nanoTime();
            for (Thread t : threads) {
                while (t.isAlive()) {
                    t.join(1000);
                    if (System.nanoTime() - lastSay > 5_000_000_000L) {
                        say("%s: %d/%d answered", label, done.get(), count);
                        lastSay = System.nanoTime();
                    }
                }
            }
        }

        private void drive(
                ChannelSender sender,
                Provider provider,
                int subtask,
                int parallelism,
                long share,
                int capacity,
                long deadline,
                Map<String, AtomicLong> statuses,
                Progress done)
                throws InterruptedException {
            Semaphore slots = new Semaphore(capacity);
            boolean ios = provider == Provider.APNS;
            long sent = 0;
            int u = subtask;
            int d = 0;
            Instant now = Instant.now();
            while (sent < share && System.nanoTime() < deadline) {
                // This subtask's users, cycling, and their devices of the provider's platform.
                if (d >= workload.devices(u)) {
                    d = 0;
                    u = (u + parallelism) % workload.users;
                    continue;
                }
                if (workload.ios(u, d) != ios) {
                    d++;
                    continue;
                }
                String user = "u" + u;
                String token = workload.token(u, d);
                d++;
                slots.acquire();
                sent++;
                sender.send(BenchmarkRequests.request("c-" + sent, user, token, ios, now))
                        .whenComplete(
                                (SendResult result, Throwable error) -> {
                                    String status =
                                            error != null ? "ERROR" : result.status().name();
                                    statuses.computeIfAbsent(status, k -> new AtomicLong())
                                            .incrementAndGet();
                                    done.add(1);
                                    slots.release();
                                });
            }
            slots.acquire(capacity);
        }

        /** (d) Raw JDBC batch upserts of as many delivery rows, the delivery table's statement. */
        ObjectNode jdbcUpsert() throws Exception {
            String url = postgres.createDatabase("bench_upsert_" + System.nanoTime());
            dev.notiflow.jdbc.Migrations.apply(url, postgres.user(), postgres.password());
            long count = notifications();
            int batch = 1000;
            BenchmarkMeter meter = meter();
            long start = System.nanoTime();
            long deadline = start + options.variantTimeout().toNanos();
            long written = 0;
            Progress progress = new Progress(count);
            try (Connection c =
                            DriverManager.getConnection(
                                    url
                                            + (url.contains("?") ? "&" : "?")
                                            + "reWriteBatchedInserts=true",
                                    postgres.user(),
                                    postgres.password());
                    PreparedStatement ps =
                            c.prepareStatement(dev.notiflow.jdbc.DeliveryTableSink.UPSERT_SQL)) {
                c.setAutoCommit(false);
                Instant at = Instant.now();
                long lastSay = System.nanoTime();
                while (written < count && System.nanoTime() < deadline) {
                    int n = (int) Math.min(batch, count - written);
                    for (int i = 0; i < n; i++) {
                        BenchmarkRequests.bindRow(ps, written + i, at);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                    c.commit();
                    written += n;
                    progress.add(n);
                    if (System.nanoTime() - lastSay > 5_000_000_000L) {
                        say("jdbc-upsert: %d/%d rows", written, count);
                        lastSay = System.nanoTime();
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            ObjectNode r = meter.finish();
            r.put("notifications", written);
            r.put("seconds", round(seconds));
            r.put("perSecond", round(written / seconds));
            r.put("complete", written == count);
            progress.steadyInto(r);
            r.put("batchSize", batch);
            r.put("note", "reWriteBatchedInserts=true, one commit per batch");
            return r;
        }

        /** A job variant: the burst, then the steady phase, with the delivery tables job beside. */
        ObjectNode job(String variant) throws Exception {
            String restoreFrom = savepoint();
            String name = variant + "-" + (++jobs);
            Map<String, String> job = baseJobConfig(name);
            // Its own copy of the burst, so that no other variant's steady phase is in its input.
            String eventsTopic = "bench-events-" + name;
            createTopic(eventsTopic, false);
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                produceBurst(producer, eventsTopic);
            }
            job.put(JobOptions.TOPIC_EVENTS.key(), eventsTopic);
            boolean providersIo = !variant.equals("job-no-provider-io");
            boolean shipped = variant.equals("job-local-providers");
            if (!shipped) {
                job.put("ledger.enabled", "false");
            }
            job.put("execution.state-recovery.path", restoreFrom);
            job.put("execution.state-recovery.ignore-unclaimed-state", "false");
            Configuration config = runtimeConfig(name, job, options.checkpointInterval());
            String deliveries = config.get(JobOptions.TOPIC_DELIVERIES);
            createOutputTopics(config);
            boolean tables = shipped && options.variants().contains("delivery-tables");
            BenchmarkTables tablesRun = null;
            if (tables) {
                tablesRun = startTables(name, deliveries);
            }
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(config);
            if (providersIo) {
                NotificationJob.build(env, config);
            } else {
                env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
                Pipeline.defineWorkflow(
                        env,
                        KafkaWiring.inputs(env, config),
                        acceptAtOnce(),
                        KafkaWiring.outputs(config),
                        PipelineSettings.from(config));
            }
            BenchmarkJfr jfr = options.profile() ? BenchmarkJfr.start() : null;
            BenchmarkMeter meter = meter();
            long burst = notifications();
            BenchmarkWatcher watcher = new BenchmarkWatcher(bootstrap, deliveries);
            if (tablesRun != null) {
                tablesRun.watch(watcher);
            }
            long submitted = System.currentTimeMillis();
            JobClient client = env.executeAsync("bench-" + name);
            ObjectNode r;
            try {
                boolean drained =
                        watcher.await(burst, options.variantTimeout(), variant + " burst", client);
                r = meter.finish();
                r.put("ledger", config.get(LedgerOptions.ENABLED));
                r.put(
                        "checkpointInterval",
                        config.get(CheckpointingOptions.CHECKPOINTING_INTERVAL).toString());
                if (jfr != null) {
                    r.set("profile", jfr.stop(options.out().resolve(variant + ".jfr")));
                }
                BenchmarkAnalysis.Burst analysis =
                        BenchmarkAnalysis.burst(bootstrap, deliveries, submitted, burst);
                analysis.into(r);
                r.put("complete", drained && analysis.count() == burst);
                // The steady phase: half the burst's steady-state rate, latencies per event.
                double rate = Math.max(1, analysis.steadyPerSecond() / 2);
                long steady = Math.max(1, (long) (rate * options.steadySeconds()));
                ObjectNode phase = r.putObject("steadyPhase");
                phase.put("targetPerSecond", round(rate));
                phase.put("seconds", options.steadySeconds());
                long produced = produceSteady(eventsTopic, steady, rate);
                phase.put("notifications", produced);
                boolean steadyDone =
                        watcher.await(
                                burst + produced,
                                options.variantTimeout(),
                                variant + " steady",
                                client);
                BenchmarkAnalysis.latencies(bootstrap, deliveries, "t-").into(phase);
                phase.put("complete", steadyDone);
                r.set("checkpoints", checkpoints(config, client));
            } finally {
                watcher.close();
                client.cancel().get(2, TimeUnit.MINUTES);
            }
            if (tablesRun != null) {
                report.with("variants")
                        .set(
                                "delivery-tables",
                                tablesRun.finish(
                                        r.path("notifications").asLong()
                                                + r.path("steadyPhase")
                                                        .path("notifications")
                                                        .asLong()));
            }
            return r;
        }

        BenchmarkTables startTables(String name, String deliveries) throws Exception {
            Map<String, String> job = baseJobConfig(name + "-tables");
            job.put(JobOptions.TOPIC_DELIVERIES.key(), deliveries);
            job.put(JobOptions.TOPIC_DLQ.key(), name + "-tables-dlq");
            createTopic(name + "-tables-dlq", false);
            Configuration config = runtimeConfig("tables", job, options.checkpointInterval());
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(config);
            DeliveryTablesJob.build(env, config);
            JobClient client = env.executeAsync("bench-" + name + "-tables");
            return new BenchmarkTables(client, postgres);
        }

        /** Produces steady-phase events ({@code t-…}) at {@code rate} notifications per second. */
        long produceSteady(String topic, long total, double rate) throws Exception {
            BenchmarkWorkload.Events gen =
                    workload.new Events("t-", total, options.batchShare(), false);
            long start = System.nanoTime();
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                long sent = 0;
                while (gen.hasNext()) {
                    long due = start + (long) (sent / rate * 1e9);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    BenchmarkWorkload.Event e = gen.next(Instant.now());
                    producer.send(new ProducerRecord<>(topic, bytes(e.eventId()), e.json()));
                    producer.flush();
                    sent += e.notifications();
                }
                return sent;
            }
        }

        /** Checkpoint counts, durations and sizes from the MiniCluster's REST API. */
        JsonNode checkpoints(Configuration config, JobClient client) {
            String url =
                    "http://localhost:"
                            + config.get(RestOptions.BIND_PORT)
                            + "/jobs/"
                            + client.getJobID()
                            + "/checkpoints";
            try {
                HttpResponse<String> response =
                        HttpClient.newHttpClient()
                                .send(
                                        HttpRequest.newBuilder(URI.create(url))
                                                .timeout(Duration.ofSeconds(10))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString());
                JsonNode all = JSON.readTree(response.body());
                ObjectNode c = JSON.createObjectNode();
                c.put("completed", all.at("/counts/completed").asLong());
                c.put("failed", all.at("/counts/failed").asLong());
                JsonNode summary = all.path("summary");
                c.set("durationMs", summary.path("end_to_end_duration"));
                c.set("checkpointedSizeBytes", summary.path("checkpointed_size"));
                c.set("stateSizeBytes", summary.path("state_size"));
                return c;
            } catch (IOException | InterruptedException e) {
                ObjectNode c = JSON.createObjectNode();
                c.put("error", e.toString());
                return c;
            }
        }

        BenchmarkMeter meter() throws InterruptedException {
            return new BenchmarkMeter(providers, broker);
        }
    }

    /**
     * Counts work done and notes when it passed 10% and 90% of the total: the steady-state rate
     * between them leaves out start-up and warm-up (class loading, JIT, connections) and the tail.
     */
    static final class Progress {
        private final long total;
        private final AtomicLong done = new AtomicLong();
        private volatile long at10;
        private volatile long at90;

        Progress(long total) {
            this.total = total;
        }

        void add(long n) {
            long before = done.getAndAdd(n);
            long after = before + n;
            if (before < total / 10 && after >= total / 10) {
                at10 = System.nanoTime();
            }
            if (before < total * 9 / 10 && after >= total * 9 / 10) {
                at90 = System.nanoTime();
            }
        }

        long get() {
            return done.get();
        }

        /** Puts {@code steadyPerSecond} when there is a steady-state rate. */
        void steadyInto(ObjectNode r) {
            double steady = steadyPerSecond();
            if (steady > 0) {
                r.put("steadyPerSecond", round(steady));
            }
        }

        /** Notifications per second between 10% and 90% of the total, or 0 when not reached. */
        double steadyPerSecond() {
            long span = at90 - at10;
            // Under a second the crossings fall into the same few polls or batches: no rate.
            return at10 == 0 || at90 == 0 || span < 1_000_000_000L
                    ? 0
                    : (total * 0.8) / (span / 1e9);
        }
    }

    /** Counts parsed events and the notifications they imply (devices of each recipient). */
    static final class CountNotifications
            extends RichMapFunction<dev.notiflow.model.NotificationEvent, Integer> {
        private static final long serialVersionUID = 1L;
        private final BenchmarkWorkload workload;
        private transient LongCounter notifications;
        private transient LongCounter events;
        private transient LongMinimum first;
        private transient LongMaximum last;

        CountNotifications(BenchmarkWorkload workload) {
            this.workload = workload;
        }

        @Override
        public void open(OpenContext openContext) {
            notifications = new LongCounter();
            events = new LongCounter();
            first = new LongMinimum();
            last = new LongMaximum();
            getRuntimeContext().addAccumulator("notifications", notifications);
            getRuntimeContext().addAccumulator("events", events);
            getRuntimeContext().addAccumulator("first", first);
            getRuntimeContext().addAccumulator("last", last);
        }

        @Override
        public Integer map(dev.notiflow.model.NotificationEvent event) {
            long now = System.currentTimeMillis();
            first.add(now);
            last.add(now);
            int n = 0;
            for (String user : event.userIds()) {
                n += workload.devices(user);
            }
            notifications.add(n);
            events.add(1);
            return n;
        }
    }

    /** APNs and FCM through a sender that accepts every request at once: no provider I/O. */
    static Gateways acceptAtOnce() {
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

    static Map<String, String> readProperties(Path file) throws IOException {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            props.load(in);
        }
        Map<String, String> map = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k)));
        return map;
    }

    static long parseAscii(byte[] digits) {
        long n = 0;
        for (byte b : digits) {
            n = n * 10 + (b - '0');
        }
        return n;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static void say(String format, Object... args) {
        System.out.printf(
                "[bench %s] " + format + "%n",
                prepend(LocalDateTime.now(ZoneOffset.UTC).toLocalTime().withNano(0), args));
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
