package dev.notiflow.sandbox.deploy;

import org.apache.flink.configuration.ConfigOption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.JobOptions;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment path end to end: the shaded job jar on a real standalone Flink session cluster
 * (scripts/cluster.sh: JobManager and TaskManager JVMs from Maven artifacts), submitted, stopped
 * with a savepoint and resubmitted from it with another parallelism through the REST API
 * (scripts/submit.sh), reading a real Kafka broker and sending to the local mock providers.
 *
 * <p>It proves that what the job keeps in state survives an upgrade: the dedupe set (a repeated
 * event is dropped as DUPLICATE_EVENT), the user's profile (a new event is sent by e-mail without
 * the preferences being sent again) and the device tokens (the new event reaches the same FCM
 * token), and that nothing is sent twice.
 */
class ClusterDeploymentITCase {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterDeploymentITCase.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PROMETHEUS_PORT =
            Pattern.compile("Started PrometheusReporter HTTP server on port (\\d+)");

    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration OUTCOME_TIMEOUT = Duration.ofMinutes(3);

    private static final String EVENTS = "notification-events";
    private static final String PREFERENCES = "user-preferences";
    private static final String DEVICES = "device-tokens";
    private static final String DELIVERIES = "notification-deliveries";
    private static final String DLQ = "notification-dlq";

    private static final String USER = "deploy-user-1";
    private static final String EMAIL = "deploy-user-1@example.com";

    /** Shaped like a real FCM registration token, so the cluster's log masking recognises it. */
    private static final String FCM_TOKEN =
            "dpl0yUs3r1xYz:APA91b"
                    + "Hun4MxP5egoKMwt2KZFBaFUH-1RYqx3ZPaXj3uO2Hh0w8Mq1Wq_".repeat(3);

    private static final String FIRST_EVENT = "deploy-order-1-shipped";
    private static final String SECOND_EVENT = "deploy-order-2-shipped";

    @TempDir static Path temp;

    private static Path root;
    private static Path flinkHome;
    private static Scripts scripts;
    private static LocalKafka kafka;
    private static LocalProviders providers;
    private static Path jobConfig;
    private static int restPort;
    private static final List<String> jobs = new ArrayList<>();

    @BeforeAll
    static void startKafkaProvidersAndCluster() throws Exception {
        root = Scripts.repositoryRoot();
        kafka = LocalKafka.start();
        // Every topic the job reads or writes, as JobOptions names them (the job creates none).
        for (ConfigOption<?> option : JobOptions.all()) {
            if (option.key().startsWith("topics.")) {
                String topic = (String) option.defaultValue();
                kafka.createTopic(topic, 2, topic.equals(PREFERENCES) || topic.equals(DEVICES));
            }
        }
        providers = LocalProviders.start(ProviderScript.acceptAll());

        restPort = Scripts.freePort();
        flinkHome = root.resolve("sandbox/target/flink-deploy-it/" + System.currentTimeMillis());
        Map<String, String> env = Scripts.clusterEnv(root, flinkHome, restPort);
        // Room for the sending job (up to parallelism 2) and the delivery tables job beside it.
        env.put("FLINK_TM_SLOTS", "4");
        scripts = new Scripts(root, env);

        jobConfig = writeJobConfig();
        scripts.succeed(SCRIPT_TIMEOUT, "cluster.sh", "start");
    }

    @AfterAll
    static void stopEverything() throws Exception {
        try {
            if (scripts != null) {
                scripts.cancelAndStop(SCRIPT_TIMEOUT, jobs);
            }
        } finally {
            if (providers != null) {
                providers.close();
            }
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    void shouldKeepDedupeProfilesAndDevicesAcrossStopWithSavepointAndRescale() throws Exception {
        // One artifact for both deployments, copied so that a rebuild of job/target cannot
        // change it between them.
        Path jar = Scripts.copyShadedJobJar(root, temp.resolve("notiflow-job.jar"));
        kafka.produce(PREFERENCES, USER, preferences());
        kafka.produce(DEVICES, USER + ":" + FCM_TOKEN, device());

        String first = submit(jar, "2", null);
        awaitProfileAndDeviceLoaded();
        kafka.produce(EVENTS, FIRST_EVENT, event(FIRST_EVENT, "push", "email"));
        awaitDeliveries(d -> sentOn(d, FIRST_EVENT, "email") && sentOn(d, FIRST_EVENT, "push"));

        String savepoint = scripts.succeed(SCRIPT_TIMEOUT, "submit.sh", "stop", first);
        jobs.remove(first);
        assertThat(savepoint).contains("savepoint-");

        String second = submit(jar, "1", savepoint);
        assertThat(vertexParallelisms(second)).containsOnly(1);
        JsonNode restored =
                restGet("/jobs/" + second + "/checkpoints").path("latest").path("restored");
        assertThat(restored.path("is_savepoint").asBoolean()).isTrue();
        assertThat(restored.path("external_path").asText()).isEqualTo(savepoint);

        // No preference or token is sent again: both must come from the restored state.
        kafka.produce(EVENTS, FIRST_EVENT, event(FIRST_EVENT, "push", "email"));
        kafka.produce(EVENTS, SECOND_EVENT, event(SECOND_EVENT, "push", "email"));
        List<JsonNode> all =
                awaitDeliveries(
                        d ->
                                duplicateOf(d, FIRST_EVENT)
                                        && sentOn(d, SECOND_EVENT, "email")
                                        && sentOn(d, SECOND_EVENT, "push"));

        assertThat(ofEvent(all, FIRST_EVENT))
                .as("the repeated event adds one DUPLICATE_EVENT record and sends nothing")
                .extracting(
                        d -> text(d, "channel") + ":" + text(d, "status") + ":" + text(d, "reason"))
                .containsExactlyInAnyOrder(
                        "push:SENT:null", "email:SENT:null", "null:SKIPPED:DUPLICATE_EVENT");
        assertThat(ofEvent(all, SECOND_EVENT))
                .extracting(d -> text(d, "channel") + ":" + text(d, "status"))
                .containsExactlyInAnyOrder("email:SENT", "push:SENT");
        assertThat(kafka.readAllCommitted(DLQ, Duration.ofSeconds(2))).isEmpty();

        // Every provider call is accounted for by exactly one SENT record: nothing sent twice.
        assertThat(calls("fcm", FCM_TOKEN)).hasSize(sentCount(all, "push"));
        assertThat(calls("email", EMAIL)).hasSize(sentCount(all, "email"));

        // The job's own metrics reach Prometheus: the restored job counted one duplicate.
        assertThat(prometheusSamples("flink_taskmanager_job_task_operator_duplicateEvents"))
                .containsExactly("1.0");

        // The cluster's logs never show the user's contacts or device token.
        for (Path log : clusterLogs()) {
            assertThat(Files.readString(log))
                    .as("%s", log)
                    .doesNotContain(EMAIL)
                    .doesNotContain(FCM_TOKEN);
        }
    }

    /** Values of one metric of the running notiflow job, scraped from the TaskManager. */
    private static List<String> prometheusSamples(String metric) throws Exception {
        Path log = flinkHome.resolve("log/flink-taskmanager.log");
        Matcher port = PROMETHEUS_PORT.matcher(Files.readString(log));
        assertThat(port.find()).as("Prometheus reporter started in %s", log).isTrue();
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://localhost:"
                                                                + port.group(1)
                                                                + "/metrics"))
                                        .timeout(Duration.ofSeconds(30))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        return response.body()
                .lines()
                .filter(l -> l.startsWith(metric + "{") && l.contains("job_name=\"notiflow\""))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .collect(Collectors.toList());
    }

    private static List<Path> clusterLogs() throws IOException {
        try (var files = Files.list(flinkHome.resolve("log"))) {
            List<Path> logs =
                    files.filter(f -> f.getFileName().toString().startsWith("flink-"))
                            .collect(Collectors.toList());
            assertThat(logs).isNotEmpty();
            return logs;
        }
    }

    /**
     * The second job of a deployment, {@code DeliveryTablesJob}, from the same jar and
     * configuration (by entry class), writes the delivery table from what the sending job commits.
     * Disabling a provider keeps the sending job's topology, so its savepoint restores into the job
     * without SMS as it is. Restoring never drops state silently: a savepoint given to the wrong
     * job (the tables job's to the sending job) is refused.
     */
    @Test
    void shouldRunTheTablesJobBesideAndRestoreWithAProviderDisabled() throws Exception {
        Path jar = Scripts.copyShadedJobJar(root, temp.resolve("notiflow-job-upgrade.jar"));
        ObjectNode full = (ObjectNode) JSON.readTree(Files.readString(jobConfig));
        full.put("kafka.group-id", "notiflow-deploy-it-upgrade");
        full.put("kafka.transactional-id-prefix", "notiflow-upgrade-" + UUID.randomUUID());
        // Topics of its own, so that this job never sees the other test's events.
        for (ConfigOption<?> option : JobOptions.all()) {
            if (option.key().startsWith("topics.")) {
                String topic = "upgrade-" + option.defaultValue();
                kafka.createTopic(
                        topic,
                        2,
                        option.defaultValue().equals(PREFERENCES)
                                || option.defaultValue().equals(DEVICES));
                full.put(option.key(), topic);
            }
        }
        try (LocalPostgres postgres = LocalPostgres.start()) {
            full.put("jdbc.url", postgres.jdbcUrl());
            full.put("jdbc.user", postgres.user());
            if (postgres.password() != null) {
                Path passwordFile = temp.resolve("jdbc-password");
                Files.writeString(passwordFile, postgres.password());
                full.put("jdbc.password-file", passwordFile.toString());
            }
            assertThat(full.has("sms.account-sid")).isTrue();
            ObjectNode withoutSms = full.deepCopy();
            List<String> keys = new ArrayList<>();
            withoutSms.fieldNames().forEachRemaining(keys::add);
            keys.stream().filter(k -> k.startsWith("sms.")).forEach(withoutSms::remove);
            Path fullConfig = writeConfig("full.yaml", full);

            kafka.produce(
                    "upgrade-" + PREFERENCES,
                    "tables-user",
                    "{\"userId\":\"tables-user\",\"email\":\"tables-user@example.com\"}");
            String sending = submit(jar, "1", null, fullConfig);
            String tables = submitTablesJob(jar, null, fullConfig);
            kafka.produce(
                    "upgrade-" + EVENTS,
                    "tables-1",
                    "{\"eventId\":\"tables-1\",\"type\":\"order.shipped\","
                            + "\"userIds\":[\"tables-user\"],\"channels\":[\"email\"]}");
            assertThat(awaitRow(postgres, "tables-1")).isEqualTo("email SENT");

            String savepoint = stop(sending);
            sending = submit(jar, "1", savepoint, writeConfig("without-sms.yaml", withoutSms));
            assertThat(scripts.succeed(SCRIPT_TIMEOUT, "submit.sh", "status", sending))
                    .isEqualTo("RUNNING");

            String tablesSavepoint = stop(tables);
            Scripts.Result refused =
                    scripts.run(
                            SCRIPT_TIMEOUT,
                            "submit.sh",
                            "run",
                            "--jar",
                            jar.toString(),
                            "--savepoint",
                            tablesSavepoint,
                            "--",
                            "--config",
                            fullConfig.toString());
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.stderr())
                    .contains("Cannot map checkpoint/savepoint state for operator");
            String restored = submitTablesJob(jar, tablesSavepoint, fullConfig);
            // Before the database goes away, so that the job is not left waiting for it.
            scripts.succeed(SCRIPT_TIMEOUT, "submit.sh", "cancel", restored);
            jobs.remove(restored);
        }
    }

    private static String submitTablesJob(Path jar, String savepoint, Path config)
            throws Exception {
        return submit(jar, "1", savepoint, config, DeliveryTablesJob.class.getName());
    }

    /** "channel status" of an event's row in the delivery table, once there. */
    private static String awaitRow(LocalPostgres postgres, String eventId) throws Exception {
        long deadline = System.nanoTime() + OUTCOME_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = postgres.connect();
                    PreparedStatement s =
                            c.prepareStatement(
                                    "SELECT channel || ' ' || status FROM deliveries"
                                            + " WHERE event_id = ?")) {
                s.setString(1, eventId);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        return rs.getString(1);
                    }
                }
            } catch (SQLException notYet) {
                // the tables job creates the table when it starts
            }
            Thread.sleep(1000);
        }
        return "no row for " + eventId;
    }

    private static String stop(String job) throws Exception {
        String savepoint = scripts.succeed(SCRIPT_TIMEOUT, "submit.sh", "stop", job);
        jobs.remove(job);
        return savepoint;
    }

    private static Path writeConfig(String name, ObjectNode config) throws IOException {
        Path file = temp.resolve(name);
        Files.writeString(file, JSON.writeValueAsString(config));
        return file;
    }

    /**
     * Preferences and tokens arrive on their own topics, in no fixed order relative to events:
     * probe with push-only events until one reaches the user's device.
     */
    private static void awaitProfileAndDeviceLoaded() throws Exception {
        long deadline = System.nanoTime() + OUTCOME_TIMEOUT.toNanos();
        for (int probe = 1; System.nanoTime() < deadline; probe++) {
            String eventId = "deploy-probe-" + probe;
            kafka.produce(EVENTS, eventId, event(eventId, "push"));
            List<JsonNode> outcome = awaitDeliveries(d -> !ofEvent(d, eventId).isEmpty());
            if (sentOn(outcome, eventId, "push")) {
                return;
            }
            LOG.info("probe {} ended as {}", eventId, ofEvent(outcome, eventId));
            Thread.sleep(2_000);
        }
        throw new AssertionError("the user's device never reached the job's state");
    }

    private static String submit(Path jar, String parallelism, String savepoint) throws Exception {
        return submit(jar, parallelism, savepoint, jobConfig);
    }

    private static String submit(Path jar, String parallelism, String savepoint, Path config)
            throws Exception {
        return submit(jar, parallelism, savepoint, config, null);
    }

    /** Runs the jar through submit.sh; {@code entryClass} null for the jar's main class. */
    private static String submit(
            Path jar, String parallelism, String savepoint, Path config, String entryClass)
            throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of("run", "--jar", jar.toString(), "--parallelism", parallelism));
        if (entryClass != null) {
            args.add("--entry-class");
            args.add(entryClass);
        }
        if (savepoint != null) {
            args.add("--savepoint");
            args.add(savepoint);
        }
        args.add("--");
        args.add("--config");
        args.add(config.toString());
        String job = scripts.succeed(SCRIPT_TIMEOUT, "submit.sh", args.toArray(String[]::new));
        jobs.add(job);
        LOG.info("job {} running with parallelism {}", job, parallelism);
        return job;
    }

    private static Path writeJobConfig() throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        config.put("kafka.group-id", "notiflow-deploy-it");
        config.put("kafka.transactional-id-prefix", "notiflow-deploy-" + UUID.randomUUID());
        config.put("profile.wait", "20 s");
        config.put("execution.checkpointing.interval", "2 s");
        providers.senderConfig().forEach(config::put);
        Path file = temp.resolve("job.yaml");
        // JSON is YAML: the job reads it with its YAML loader.
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        return file;
    }

    private static List<JsonNode> awaitDeliveries(Predicate<List<JsonNode>> done) throws Exception {
        long deadline = System.nanoTime() + OUTCOME_TIMEOUT.toNanos();
        List<JsonNode> deliveries = List.of();
        while (System.nanoTime() < deadline) {
            deliveries = new ArrayList<>();
            for (ConsumerRecord<String, String> r :
                    kafka.readAllCommitted(DELIVERIES, Duration.ofSeconds(2))) {
                deliveries.add(JSON.readTree(r.value()));
            }
            if (done.test(deliveries)) {
                return deliveries;
            }
        }
        throw new AssertionError(
                "deliveries not complete after " + OUTCOME_TIMEOUT + ": " + deliveries);
    }

    private static boolean sentOn(List<JsonNode> deliveries, String eventId, String channel) {
        return deliveries.stream()
                .anyMatch(
                        d ->
                                eventId.equals(text(d, "eventId"))
                                        && channel.equals(text(d, "channel"))
                                        && "SENT".equals(text(d, "status")));
    }

    private static boolean duplicateOf(List<JsonNode> deliveries, String eventId) {
        return deliveries.stream()
                .anyMatch(
                        d ->
                                eventId.equals(text(d, "eventId"))
                                        && "DUPLICATE_EVENT".equals(text(d, "reason")));
    }

    private static List<JsonNode> ofEvent(List<JsonNode> deliveries, String eventId) {
        return deliveries.stream()
                .filter(d -> eventId.equals(text(d, "eventId")))
                .collect(Collectors.toList());
    }

    private static int sentCount(List<JsonNode> deliveries, String channel) {
        return (int)
                deliveries.stream()
                        .filter(d -> USER.equals(text(d, "userId")))
                        .filter(d -> channel.equals(text(d, "channel")))
                        .filter(d -> "SENT".equals(text(d, "status")))
                        .count();
    }

    private static List<ReceivedCall> calls(String provider, String recipient) {
        return providers.received().stream()
                .filter(c -> c.provider().equals(provider) && recipient.equals(c.recipient()))
                .collect(Collectors.toList());
    }

    private static List<Integer> vertexParallelisms(String job) throws Exception {
        List<Integer> out = new ArrayList<>();
        restGet("/jobs/" + job)
                .path("vertices")
                .forEach(v -> out.add(v.path("parallelism").asInt()));
        return out;
    }

    private static JsonNode restGet(String path) throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://localhost:" + restPort + path))
                                        .timeout(Duration.ofSeconds(30))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String preferences() {
        return "{\"userId\":\""
                + USER
                + "\",\"email\":\""
                + EMAIL
                + "\",\"locale\":\"en\","
                + "\"timeZone\":\"UTC\",\"channels\":{\"push\":true,\"email\":true,\"sms\":false},"
                + "\"updatedAt\":\"2026-11-21T22:00:00Z\"}";
    }

    private static String device() {
        return "{\"userId\":\""
                + USER
                + "\",\"token\":\""
                + FCM_TOKEN
                + "\",\"platform\":\"android\","
                + "\"appId\":\"com.example.app\",\"active\":true,\"updatedAt\":\"2026-11-21T22:00:00Z\"}";
    }

    private static String event(String eventId, String... channels) {
        String list =
                Arrays.stream(channels).map(c -> "\"" + c + "\"").collect(Collectors.joining(","));
        return "{\"eventId\":\""
                + eventId
                + "\",\"type\":\"order.shipped\",\"userIds\":[\""
                + USER
                + "\"],\"data\":{\"orderId\":\""
                + eventId
                + "\"},\"channels\":["
                + list
                + "],"
                + "\"priority\":\"high\",\"createdAt\":\""
                + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + "\"}";
    }
}
