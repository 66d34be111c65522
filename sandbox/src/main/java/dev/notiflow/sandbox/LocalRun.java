package dev.notiflow.sandbox;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.job.LaneRouterJob;
import dev.notiflow.job.Lanes;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.job.policy.HeldGauge;
import dev.notiflow.model.Priority;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.ProviderScript;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the whole job on this machine: a real KRaft Kafka broker, the local providers (APNs, FCM,
 * Twilio, SMTP mocks) reached by the real clients, and Flink's MiniCluster with RocksDB and
 * exactly-once checkpoints. Loads profiles and tokens, waits until the job has read them, sends the
 * events, prints live progress, and stops when every input has reached a final outcome (all events
 * read and no new output for a quiet period). Then writes the topics' records, a summary and {@code
 * sent.jsonl}: what the local providers received, rendered content included (see {@link
 * SentMessages}). Templates come from {@code templates.jsonl} in the input directory when present
 * (one {@code notification-templates} value per line, keyed {@code templateId:locale}), and
 * cancellations from {@code cancellations.jsonl} (keyed {@code eventId}), sent after the events.
 *
 * <p>Scheduled events: a {@code sendAt} in {@code events.jsonl} may be relative, {@code "+20s"}
 * (any Flink duration after the {@code +}), and is rewritten to that much after the events are
 * sent. With {@code --wait-scheduled DURATION} (default 2 min) the run does not stop before every
 * event whose {@code sendAt} is due within that time (from when the events were sent) is due and
 * its outputs went quiet; events without a record by then are listed as {@code pending} in {@code
 * summary.json} (eventId, userIds, sendAt). Within the same time it also waits while the job's
 * policies hold notifications back (the sum of the {@link HeldGauge} gauges, read over the REST
 * API), and writes what is still held at the stop as {@code held}.
 *
 * <p>With {@code --lanes}, the priority lanes run instead of the single job: the lane router and
 * the three lane jobs ({@code high}, {@code normal}, {@code low}), each on a MiniCluster of its
 * own, as they are deployed; the outputs are the same topics, and {@code summary.json} adds {@code
 * lanes}: the number of distinct events the router wrote to each lane.
 *
 * <p>{@link #run} returns 0 only when the run ended well: the outputs went quiet before the time
 * limit, no job failed or restarted, and (with PostgreSQL) the delivery table holds one row per
 * notification on the deliveries topic. Otherwise it prints each problem and returns 1; {@code
 * main} exits with that code.
 *
 * <pre>{@code
 * LocalRun --input DIR --out DIR [--provider-script FILE] [--wait-scheduled DURATION] [--lanes]
 *          [--key value ...]
 * }</pre>
 */
public final class LocalRun {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration QUIET = Duration.ofSeconds(4);
    private static final Duration PROFILE_WAIT = Duration.ofSeconds(5);
    private static final Duration WATCH_LIMIT = Duration.ofMinutes(10);

    /** Names of the operators with a held-back gauge: the vertices whose gauges are read. */
    private static final List<String> HELD_BY =
            List.of(
                    "Hold scheduled events",
                    "Wait for quiet hours to end",
                    "Digest per user and channel",
                    "Throttle per user and channel");

    /** The option (not a job key) of how long the run waits for scheduled events. */
    static final String WAIT_SCHEDULED = "wait-scheduled";

    static final Duration DEFAULT_WAIT_SCHEDULED = Duration.ofMinutes(2);

    /** The option (a flag, not a job key) that runs the priority lanes instead of one job. */
    static final String LANES = "lanes";

    /** A relative {@code sendAt} in a scenario: {@code +} and a duration, e.g. {@code +20s}. */
    private static final Pattern RELATIVE_SEND_AT = Pattern.compile("^\\+(\\S+)$");

    private LocalRun() {}

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--serve")) {
            serve(args);
            return;
        }
        Map<String, String> options = new LinkedHashMap<>();
        Path input = null;
        Path out = Path.of("out");
        Path scriptFile = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + LANES)) {
                options.put(LANES, "true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("argument " + args[i] + " has no value");
            }
            String value = args[++i];
            switch (args[i - 1]) {
                case "--input":
                    input = Path.of(value);
                    break;
                case "--out":
                    out = Path.of(value);
                    break;
                case "--provider-script":
                    scriptFile = Path.of(value);
                    break;
                default:
                    options.put(args[i - 1].replaceFirst("^--", ""), value);
            }
        }
        if (input == null) {
            input = Files.createTempDirectory("notiflow-demo");
            Path demoScript = DemoData.write(input);
            if (scriptFile == null) {
                scriptFile = demoScript;
            }
            say(
                    "No --input: running the built-in demo (%d users, %d events) from %s",
                    DemoData.USERS, DemoData.EVENTS, input);
        }
        if (!Files.isRegularFile(input.resolve("events.jsonl"))) {
            throw new IllegalArgumentException(input + " has no events.jsonl");
        }
        ProviderScript script =
                scriptFile == null ? ProviderScript.acceptAll() : ProviderScript.load(scriptFile);
        System.exit(run(input, out, script, options));
    }

    /** {@code --serve [--port N] [--live-port N] [--key value ...]}: see {@link ServeRun}. */
    private static void serve(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        int port = 8080;
        int livePort = 8090;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--serve")) {
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("argument " + args[i] + " has no value");
            }
            if (args[i].equals("--port")) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--live-port")) {
                livePort = Integer.parseInt(args[++i]);
            } else {
                options.put(args[i].replaceFirst("^--", ""), args[++i]);
            }
        }
        ServeRun.serve(port, livePort, options);
    }

    static int run(Path input, Path out, ProviderScript script, Map<String, String> options)
            throws Exception {
        long started = System.nanoTime();
        Map<String, String> overrides = new LinkedHashMap<>(options);
        String waitOption = overrides.remove(WAIT_SCHEDULED);
        boolean lanes = Boolean.parseBoolean(overrides.remove(LANES));
        Duration waitScheduled =
                waitOption == null ? DEFAULT_WAIT_SCHEDULED : TimeUtils.parseDuration(waitOption);
        if (waitScheduled.compareTo(WATCH_LIMIT) > 0) {
            throw new IllegalArgumentException(
                    "--" + WAIT_SCHEDULED + " must be at most " + WATCH_LIMIT.toMinutes() + " min");
        }
        Files.createDirectories(out);
        Path work = Files.createTempDirectory("notiflow-local");
        say("Starting a local Kafka broker (KRaft) ...");
        LocalPostgres postgres = startPostgres();
        try (LocalKafka kafka = LocalKafka.start();
                LocalProviders providers = LocalProviders.start(script)) {
            KafkaGroups.createJobTopics(kafka, 2);
            say(
                    "Kafka at %s; local providers up (APNs, FCM, Twilio, SMTP)",
                    kafka.bootstrapServers());

            Configuration config = jobConfig(kafka, providers, work, overrides);
            if (postgres != null) {
                postgres.jdbcOptions().forEach(config::setString);
            }
            int profiles =
                    produce(
                            kafka,
                            input.resolve("preferences.jsonl"),
                            "user-preferences",
                            "userId",
                            null);
            int devices =
                    produce(
                            kafka,
                            input.resolve("tokens.jsonl"),
                            "device-tokens",
                            "userId",
                            "token");
            int templates =
                    produce(
                            kafka,
                            input.resolve("templates.jsonl"),
                            "notification-templates",
                            "templateId",
                            "locale");
            say("Loaded %d profiles, %d device tokens, %d templates", profiles, devices, templates);

            // Each job gets a MiniCluster of its own; a known REST port lets the run read its
            // restart count at the end.
            List<RunningJob> jobs = lanes ? startLanes(kafka, config) : List.of(startJob(config));
            JobClient tables = null;
            Configuration tablesConfig = null;
            if (postgres != null) {
                tablesConfig = withRestPort(config);
                StreamExecutionEnvironment tablesEnv =
                        StreamExecutionEnvironment.getExecutionEnvironment(tablesConfig);
                DeliveryTablesJob.build(tablesEnv, tablesConfig);
                tables = tablesEnv.executeAsync(DeliveryTablesJob.NAME);
            }
            say(
                    "%s running on a MiniCluster each%s; waiting until %s read profiles, tokens and"
                            + " templates ...",
                    jobs,
                    tables == null ? "" : " (delivery tables: job " + tables.getJobID() + ")",
                    lanes ? "the lane jobs have" : "it has");
            for (RunningJob j : jobs) {
                if (j.sends()) {
                    KafkaGroups.awaitCaughtUp(
                            kafka,
                            j.config().get(JobOptions.KAFKA_GROUP_ID),
                            Duration.ofMinutes(2),
                            "user-preferences",
                            "device-tokens",
                            "notification-templates");
                }
            }

            Instant sentAt = Instant.now();
            List<Scheduled> scheduled = new ArrayList<>();
            int events = produceEvents(kafka, input.resolve("events.jsonl"), sentAt, scheduled);
            int cancellations =
                    produce(
                            kafka,
                            input.resolve("cancellations.jsonl"),
                            config.get(JobOptions.TOPIC_CANCELLATIONS),
                            "eventId",
                            null);
            Instant waitUntil = null;
            Instant waitLimit = sentAt.plus(waitScheduled);
            for (Scheduled e : scheduled) {
                if (!e.sendAt().isAfter(waitLimit)
                        && (waitUntil == null || e.sendAt().isAfter(waitUntil))) {
                    waitUntil = e.sendAt();
                }
            }
            say(
                    "Sent %d events (%d scheduled%s), %d cancellations",
                    events,
                    scheduled.size(),
                    waitUntil == null ? "" : "; waiting for those due until " + waitUntil,
                    cancellations);

            Outputs outputs =
                    watch(
                            kafka,
                            config,
                            () -> eventsRead(kafka, jobs),
                            waitUntil,
                            waitLimit,
                            () -> held(jobs));
            List<String> problems = new ArrayList<>();
            if (outputs.timedOut) {
                problems.add(
                        "the outputs did not go quiet within "
                                + WATCH_LIMIT.toMinutes()
                                + " minutes");
            }
            for (RunningJob j : jobs) {
                checkJob(j.client(), j.config(), j.description(), problems);
            }
            for (RunningJob j : jobs) {
                j.client().cancel().get();
            }
            int rows = -1;
            if (tables != null) {
                int notifications = distinctNotifications(outputs.deliveries);
                rows = AnalystSummary.print(postgres, notifications);
                checkJob(tables, tablesConfig, "the delivery tables job", problems);
                tables.cancel().get();
                // Rows the database refused reach the DLQ once the tables job commits them.
                List<String> dlq =
                        values(
                                kafka.readAllCommitted(
                                        config.get(JobOptions.TOPIC_DLQ), Duration.ofSeconds(2)));
                if (dlq.size() > outputs.dlq.size()) {
                    outputs.dlq.clear();
                    outputs.dlq.addAll(dlq);
                }
                if (rows != notifications) {
                    problems.add(
                            String.format(
                                    "the delivery table holds %d rows, the deliveries topic %d"
                                            + " notifications (%d rows refused by the database,"
                                            + " on the DLQ as kind TABLE)",
                                    rows, notifications, count(outputs.dlq, "TABLE")));
                }
            }

            write(out.resolve("deliveries.jsonl"), outputs.deliveries);
            write(out.resolve("dlq.jsonl"), outputs.dlq);
            write(out.resolve("token-invalidations.jsonl"), outputs.invalidations);
            write(out.resolve("sent.jsonl"), SentMessages.lines(providers, outputs.deliveries));
            ObjectNode summary = Summary.of(outputs.deliveries, outputs.dlq, outputs.invalidations);
            summary.set("scheduled", scheduledList(scheduled));
            summary.set("pending", pending(scheduled, outputs.deliveries));
            summary.put("held", outputs.held);
            if (lanes) {
                summary.set("lanes", laneCounts(kafka, config));
            }
            if (rows >= 0) {
                summary.put("deliveryTableRows", rows);
            }
            Files.writeString(
                    out.resolve("summary.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
            System.out.println();
            System.out.println(Summary.table(summary));
            say(
                    "Wrote %s (deliveries.jsonl, dlq.jsonl, token-invalidations.jsonl, sent.jsonl,"
                            + " summary.json) in %.1f s",
                    out.toAbsolutePath(), (System.nanoTime() - started) / 1e9);
            if (!problems.isEmpty()) {
                for (String problem : problems) {
                    say("NOT OK: %s", problem);
                }
                return 1;
            }
            return 0;
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    /**
     * A job of the run: the single sending job, the lane router or a lane job, with the
     * configuration it runs with (its group, its REST port).
     *
     * @param sends whether it sends (and so reads profiles and devices), not the router
     * @param events the events topic it reads
     */
    record RunningJob(
            String description,
            JobClient client,
            Configuration config,
            boolean sends,
            String events) {

        @Override
        public String toString() {
            return description + " " + client.getJobID();
        }
    }

    private static RunningJob startJob(Configuration config) throws Exception {
        Configuration jobConfig = withRestPort(config);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(jobConfig);
        NotificationJob.build(env, jobConfig);
        JobClient client = env.executeAsync("notiflow-local");
        // The configuration the job derived for itself (a lane's group and topics).
        Configuration effective = Lanes.laneConfig(jobConfig, env.getParallelism());
        String description =
                Lanes.lane(jobConfig)
                        .map(l -> "the " + l.wireName() + " lane job")
                        .orElse("the sending job");
        return new RunningJob(
                description, client, effective, true, effective.get(JobOptions.TOPIC_EVENTS));
    }

    /**
     * The lane router and the three lane jobs, with the topics they add: one events topic per lane,
     * and the high and low lanes' retry topics.
     */
    private static List<RunningJob> startLanes(LocalKafka kafka, Configuration config)
            throws Exception {
        for (Priority lane : Priority.values()) {
            kafka.createTopic(Lanes.eventsTopic(config, lane), 2, false);
            if (lane != Priority.NORMAL) {
                kafka.createTopic(
                        config.get(JobOptions.TOPIC_RETRY) + "." + lane.wireName(), 2, false);
            }
        }
        kafka.createTopic(config.get(LaneOptions.PRIORITY_INPUT_TOPIC), 2, false);
        List<RunningJob> jobs = new ArrayList<>();
        Configuration routerConfig = withRestPort(config);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(routerConfig);
        LaneRouterJob.build(env, routerConfig);
        Configuration routerGroup = new Configuration(routerConfig);
        routerGroup.set(
                JobOptions.KAFKA_GROUP_ID, config.get(JobOptions.KAFKA_GROUP_ID) + "-router");
        jobs.add(
                new RunningJob(
                        "the lane router",
                        env.executeAsync(LaneRouterJob.NAME),
                        routerGroup,
                        false,
                        config.get(JobOptions.TOPIC_EVENTS)));
        for (Priority lane : List.of(Priority.HIGH, Priority.NORMAL, Priority.LOW)) {
            Configuration laneConfig = new Configuration(config);
            laneConfig.set(LaneOptions.LANE, lane.wireName());
            jobs.add(startJob(laneConfig));
        }
        return jobs;
    }

    /**
     * The distinct events the router wrote to each lane's topic (the router writes at least once: a
     * replayed copy has the same key).
     */
    private static ObjectNode laneCounts(LocalKafka kafka, Configuration config) {
        ObjectNode counts = JSON.createObjectNode();
        for (Priority lane : Priority.values()) {
            Set<String> eventIds = new HashSet<>();
            for (ConsumerRecord<String, String> r :
                    kafka.readAllCommitted(
                            Lanes.eventsTopic(config, lane), Duration.ofSeconds(1))) {
                eventIds.add(r.key());
            }
            counts.put(lane.wireName(), eventIds.size());
        }
        return counts;
    }

    /** Whether every job has read every event of its events topic (its group caught up). */
    private static boolean eventsRead(LocalKafka kafka, List<RunningJob> jobs) {
        for (RunningJob j : jobs) {
            try {
                KafkaGroups.awaitCaughtUp(
                        kafka,
                        j.config().get(JobOptions.KAFKA_GROUP_ID),
                        Duration.ofMillis(1),
                        j.events());
            } catch (IllegalStateException notYet) {
                return false;
            }
        }
        return true;
    }

    /** The sum of the sending jobs' held-back gauges; -1 while one of them is not known. */
    private static long held(List<RunningJob> jobs) {
        long total = 0;
        for (RunningJob j : jobs) {
            if (!j.sends()) {
                continue;
            }
            long held = held(j.client(), j.config());
            if (held < 0) {
                return -1;
            }
            total += held;
        }
        return total;
    }

    /**
     * A private PostgreSQL for the delivery table, or {@code null} when none can be started here.
     */
    private static LocalPostgres startPostgres() {
        try {
            LocalPostgres postgres = LocalPostgres.start();
            say(
                    "PostgreSQL at %s (delivery table and per-minute metrics; password in %s)",
                    postgres.jdbcUrl(), postgres.passwordFile());
            return postgres;
        } catch (RuntimeException e) {
            say("No PostgreSQL (%s): running without the delivery table", e.getMessage());
            return null;
        }
    }

    /** A copy of {@code config} whose MiniCluster serves its REST API on a free local port. */
    static Configuration withRestPort(Configuration config) throws IOException {
        Configuration copy = new Configuration(config);
        try (ServerSocket socket = new ServerSocket(0)) {
            copy.set(RestOptions.BIND_PORT, String.valueOf(socket.getLocalPort()));
        }
        copy.set(RestOptions.ADDRESS, "localhost");
        // The held-back gauges are read while the run waits: fresh within a second.
        copy.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        return copy;
    }

    /**
     * The sum of the job's {@value HeldGauge#NAME} gauges over every operator and subtask: the
     * notifications its policies hold back; -1 while that is not known (the REST API does not
     * answer, or has not fetched every policy operator's gauge yet: its first answers can be
     * empty).
     */
    static long held(JobClient job, Configuration config) {
        String base =
                "http://localhost:" + config.get(RestOptions.BIND_PORT) + "/jobs/" + job.getJobID();
        HttpClient http = HttpClient.newHttpClient();
        try {
            long total = 0;
            int vertices = 0;
            for (JsonNode vertex : JSON.readTree(get(http, base)).path("vertices")) {
                if (HELD_BY.stream().noneMatch(vertex.path("name").asText()::contains)) {
                    continue;
                }
                // Subtask by subtask: the REST API's metric store fills per TaskManager, so an
                // aggregate over the subtasks it knows could leave out the one holding the most.
                int parallelism = vertex.path("parallelism").asInt(0);
                for (int subtask = 0; subtask < parallelism; subtask++) {
                    String metrics =
                            base
                                    + "/vertices/"
                                    + vertex.path("id").asText()
                                    + "/subtasks/"
                                    + subtask
                                    + "/metrics";
                    List<String> names = new ArrayList<>();
                    for (JsonNode m : JSON.readTree(get(http, metrics))) {
                        if (m.path("id").asText().endsWith("." + HeldGauge.NAME)) {
                            names.add(m.path("id").asText());
                        }
                    }
                    if (names.isEmpty()) {
                        return -1;
                    }
                    String query =
                            URLEncoder.encode(String.join(",", names), StandardCharsets.UTF_8);
                    for (JsonNode m : JSON.readTree(get(http, metrics + "?get=" + query))) {
                        total += Long.parseLong(m.path("value").asText("0"));
                    }
                }
                vertices++;
            }
            return vertices == 0 ? -1 : total;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String get(HttpClient http, String url)
            throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(url + ": " + response.statusCode());
        }
        return response.body();
    }

    /** Adds a problem when the job is not running or has restarted (Flink's numRestarts). */
    private static void checkJob(
            JobClient job, Configuration config, String name, List<String> problems)
            throws Exception {
        JobStatus status = job.getJobStatus().get();
        if (status != JobStatus.RUNNING) {
            problems.add(name + " is " + status + ", not RUNNING");
            return;
        }
        String url =
                "http://localhost:"
                        + config.get(RestOptions.BIND_PORT)
                        + "/jobs/"
                        + job.getJobID()
                        + "/metrics?get=numRestarts";
        HttpClient http = HttpClient.newHttpClient();
        // The REST endpoint fetches metrics in the background: the first answers can be empty.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String answer = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response =
                        http.send(
                                HttpRequest.newBuilder(URI.create(url))
                                        .timeout(Duration.ofSeconds(10))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                answer = response.statusCode() + " " + response.body();
                JsonNode metric = JSON.readTree(response.body()).path(0);
                if ("numRestarts".equals(metric.path("id").asText())) {
                    if (metric.path("value").asLong(-1) != 0) {
                        problems.add(
                                name + " restarted " + metric.path("value").asText() + " time(s)");
                    }
                    return;
                }
            } catch (IOException e) {
                answer = e.toString();
            }
            Thread.sleep(500);
        }
        problems.add(name + ": could not read numRestarts (" + answer + ")");
    }

    private static int distinctNotifications(List<String> deliveries) throws IOException {
        Set<String> ids = new HashSet<>();
        for (String d : deliveries) {
            ids.add(JSON.readTree(d).path("notificationId").asText());
        }
        return ids.size();
    }

    private static int count(List<String> deadLetters, String kind) throws IOException {
        int n = 0;
        for (String d : deadLetters) {
            if (kind.equals(JSON.readTree(d).path("kind").asText())) {
                n++;
            }
        }
        return n;
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        List<String> values = new ArrayList<>(records.size());
        records.forEach(r -> values.add(r.value()));
        return values;
    }

    static Configuration jobConfig(
            LocalKafka kafka, LocalProviders providers, Path work, Map<String, String> overrides) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("state.backend.type", "rocksdb");
        c.put("execution.checkpointing.incremental", "true");
        c.put("state.backend.rocksdb.localdir", work.resolve("rocksdb").toString());
        c.put("execution.checkpointing.interval", "1 s");
        c.put("execution.checkpointing.mode", "EXACTLY_ONCE");
        c.put("execution.checkpointing.storage", "filesystem");
        c.put("execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
        c.put("pipeline.generic-types", "false");
        c.put("pipeline.auto-generate-uids", "false");
        c.put("parallelism.default", "2");
        c.put("restart-strategy.type", "fixed-delay");
        c.put("restart-strategy.fixed-delay.attempts", "3");
        c.put("restart-strategy.fixed-delay.delay", "1 s");
        c.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
        c.put(JobOptions.KAFKA_GROUP_ID.key(), "notiflow-local");
        c.put(
                JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX.key(),
                "notiflow-local-" + System.currentTimeMillis());
        c.put(JobOptions.PROFILE_WAIT.key(), PROFILE_WAIT.toSeconds() + " s");
        c.putAll(providers.senderConfig());
        c.putAll(overrides);
        return Configuration.fromMap(c);
    }

    /**
     * Produces each line of a JSONL file as its exact bytes: split at {@code \n}, a trailing {@code
     * \r} dropped, blank lines skipped. Nothing is decoded or checked, so invalid UTF-8 and any
     * other bad line reaches the topic as it is, for the job's parser to reject. The key is the
     * line's key field(s) when it is a JSON object that has them, else {@code line-<n>} (its line
     * number in the file), so a compacted topic accepts every line.
     */
    static int produce(LocalKafka kafka, Path file, String topic, String keyField, String keyField2)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        int n = 0;
        List<byte[]> lines = lines(Files.readAllBytes(file));
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i);
            if (isBlank(line)) {
                continue;
            }
            String key = keyOf(line, keyField, keyField2);
            kafka.produce(topic, key != null ? key : "line-" + (i + 1), line);
            n++;
        }
        return n;
    }

    /** The lines of a file's bytes, without their {@code \n} or {@code \r\n}. */
    static List<byte[]> lines(byte[] content) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        while (start < content.length) {
            int end = start;
            while (end < content.length && content[end] != '\n') {
                end++;
            }
            int stop = end > start && content[end - 1] == '\r' ? end - 1 : end;
            lines.add(Arrays.copyOfRange(content, start, stop));
            start = end + 1;
        }
        return lines;
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /** The record key from the line's key field(s), or {@code null} when it has none. */
    private static String keyOf(byte[] line, String keyField, String keyField2) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException notJson) {
            return null;
        }
        if (node == null || !node.hasNonNull(keyField) || !node.get(keyField).isValueNode()) {
            return null;
        }
        String key = node.get(keyField).asText();
        if (keyField2 != null && node.hasNonNull(keyField2) && node.get(keyField2).isValueNode()) {
            key = key + ":" + node.get(keyField2).asText();
        }
        return key;
    }

    /** An event with a future {@code sendAt}, as sent. */
    record Scheduled(String eventId, List<String> userIds, Instant sendAt) {}

    /**
     * Produces {@code events.jsonl} like {@link #produce}, except that a relative {@code sendAt}
     * ({@code "+20s"}) is rewritten to that much after {@code now}; collects the events whose
     * {@code sendAt} is after {@code now} in {@code scheduled}.
     */
    static int produceEvents(LocalKafka kafka, Path file, Instant now, List<Scheduled> scheduled)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        int n = 0;
        List<byte[]> lines = lines(Files.readAllBytes(file));
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i);
            if (isBlank(line)) {
                continue;
            }
            line = withAbsoluteSendAt(line, now, scheduled);
            String key = keyOf(line, "eventId", null);
            kafka.produce("notification-events", key != null ? key : "line-" + (i + 1), line);
            n++;
        }
        return n;
    }

    /**
     * The line with a relative {@code sendAt} made absolute (other lines unchanged, byte for byte);
     * records the event when its {@code sendAt} is after {@code now}.
     */
    static byte[] withAbsoluteSendAt(byte[] line, Instant now, List<Scheduled> scheduled) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException notJson) {
            return line;
        }
        if (node == null || !node.isObject() || !node.path("sendAt").isTextual()) {
            return line;
        }
        byte[] result = line;
        String sendAtText = node.get("sendAt").asText();
        Instant sendAt;
        Matcher relative = RELATIVE_SEND_AT.matcher(sendAtText);
        if (relative.matches()) {
            sendAt = now.plus(TimeUtils.parseDuration(relative.group(1)));
            ((ObjectNode) node).put("sendAt", sendAt.toString());
            try {
                result = JSON.writeValueAsBytes(node);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            try {
                sendAt = OffsetDateTime.parse(sendAtText).toInstant();
            } catch (DateTimeParseException e) {
                return line; // the job rejects it
            }
        }
        if (sendAt.isAfter(now)) {
            List<String> userIds = new ArrayList<>();
            node.path("userIds").forEach(u -> userIds.add(u.asText()));
            scheduled.add(new Scheduled(node.path("eventId").asText(null), userIds, sendAt));
        }
        return result;
    }

    /** Every event sent with a future {@code sendAt}: eventId and absolute sendAt. */
    static ArrayNode scheduledList(List<Scheduled> scheduled) {
        ArrayNode list = JSON.createArrayNode();
        for (Scheduled e : scheduled) {
            list.addObject().put("eventId", e.eventId()).put("sendAt", e.sendAt().toString());
        }
        return list;
    }

    /** The scheduled events no delivery record names: still waiting when the run stopped. */
    static ArrayNode pending(List<Scheduled> scheduled, List<String> deliveries)
            throws IOException {
        Set<String> done = new HashSet<>();
        for (String d : deliveries) {
            done.add(JSON.readTree(d).path("eventId").asText());
        }
        ArrayNode pending = JSON.createArrayNode();
        for (Scheduled e : scheduled) {
            if (e.eventId() != null && !done.contains(e.eventId())) {
                ObjectNode p = pending.addObject();
                p.put("eventId", e.eventId());
                p.set("userIds", JSON.valueToTree(e.userIds()));
                p.put("sendAt", e.sendAt().toString());
            }
        }
        return pending;
    }

    private static final class Outputs {
        final List<String> deliveries = new ArrayList<>();
        final List<String> dlq = new ArrayList<>();
        final List<String> invalidations = new ArrayList<>();
        boolean timedOut;
        long held;
    }

    /**
     * Reads the output topics, printing progress, until events are read and the outputs go quiet.
     */
    private static Outputs watch(
            LocalKafka kafka,
            Configuration config,
            BooleanSupplier allEventsRead,
            Instant waitUntil,
            Instant waitLimit,
            LongSupplier held)
            throws Exception {
        long waitLimitNanos =
                System.nanoTime()
                        + Math.max(0, Duration.between(Instant.now(), waitLimit).toNanos());
        long waitUntilNanos =
                System.nanoTime()
                        + (waitUntil == null
                                ? 0
                                : Math.max(
                                        0, Duration.between(Instant.now(), waitUntil).toNanos()));
        Outputs outputs = new Outputs();
        Properties props = kafka.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "notiflow-local-watch-" + System.nanoTime());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        String deliveriesTopic = config.get(JobOptions.TOPIC_DELIVERIES);
        String dlqTopic = config.get(JobOptions.TOPIC_DLQ);
        String invalidationsTopic = config.get(JobOptions.TOPIC_INVALIDATIONS);
        String retryTopic = config.get(JobOptions.TOPIC_RETRY);
        long lastOutput = System.nanoTime();
        long lastPrint = System.nanoTime();
        Map<String, Integer> window = new TreeMap<>();
        boolean eventsRead = false;
        long lastHeldNote = 0;
        long heldReadAt = System.nanoTime() - Long.MAX_VALUE / 2;
        long deadline = System.nanoTime() + WATCH_LIMIT.toNanos();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(deliveriesTopic, dlqTopic, invalidationsTopic, retryTopic));
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    lastOutput = System.nanoTime();
                    if (r.topic().equals(deliveriesTopic)) {
                        outputs.deliveries.add(r.value());
                        JsonNode d = JSON.readTree(r.value());
                        String channel =
                                d.path("channel").isNull() ? "-" : d.path("channel").asText("-");
                        window.merge(channel + " " + d.path("status").asText(), 1, Integer::sum);
                    } else if (r.topic().equals(retryTopic)) {
                        JsonNode retry = JSON.readTree(r.value());
                        window.merge(
                                retry.at("/request/channel").asText("-") + " RETRYING",
                                1,
                                Integer::sum);
                    } else if (r.topic().equals(dlqTopic)) {
                        outputs.dlq.add(r.value());
                    } else {
                        outputs.invalidations.add(r.value());
                    }
                }
                if (System.nanoTime() - lastPrint > 1_000_000_000L) {
                    say(
                            "progress: %d deliveries, %d dlq, %d invalidations | last second: %s",
                            outputs.deliveries.size(),
                            outputs.dlq.size(),
                            outputs.invalidations.size(),
                            window.isEmpty() ? "-" : window.toString());
                    window.clear();
                    lastPrint = System.nanoTime();
                    if (!eventsRead) {
                        eventsRead = allEventsRead.getAsBoolean();
                    }
                }
                // Scheduled events due within --wait-scheduled: quiet counts from their time on.
                long quietSince =
                        waitUntil == null || lastOutput - waitUntilNanos > 0
                                ? lastOutput
                                : waitUntilNanos;
                if (eventsRead
                        && System.nanoTime() - quietSince > QUIET.plus(PROFILE_WAIT).toNanos()) {
                    // Notifications the job's policies hold back (quiet hours, throttle
                    // deferrals, digest windows, sendAt) keep the run going until
                    // --wait-scheduled is up; what is still held then is counted in the summary.
                    // The gauges are read after the last output and at most once a second, and
                    // the topics are polled once more after each reading, so what arrived while
                    // it took is read before the run stops.
                    if (heldReadAt - lastOutput < 0
                            || System.nanoTime() - heldReadAt > 1_000_000_000L) {
                        outputs.held = held.getAsLong();
                        heldReadAt = System.nanoTime();
                        continue;
                    }
                    if (outputs.held == 0 || System.nanoTime() - waitLimitNanos > 0) {
                        return outputs;
                    }
                    if (System.nanoTime() - lastHeldNote > 10_000_000_000L) {
                        if (outputs.held < 0) {
                            say("the job's held-back gauges are not readable yet; waiting");
                        } else {
                            say(
                                    "%d notifications held back by the job's policies; waiting",
                                    outputs.held);
                        }
                        lastHeldNote = System.nanoTime();
                    }
                }
            }
        }
        say("Stopped waiting after %d minutes; writing what arrived", WATCH_LIMIT.toMinutes());
        outputs.timedOut = true;
        return outputs;
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    static void say(String format, Object... args) {
        System.out.printf("[notiflow] " + format + "%n", args);
    }
}
