package dev.notiflow.sandbox.deploy;

import org.apache.flink.configuration.ConfigOption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TaskManager process killed with SIGKILL in the middle of a stream of emails, on the real
 * standalone cluster (scripts/cluster.sh with the shipped flink-conf/config.yaml), running the
 * shaded jar with a job config made from the shipped flink-conf/job.yaml (send ledger on) with only
 * Kafka, SMTP and the database pointed at local servers. A new TaskManager is started with {@code
 * cluster.sh taskmanager start} and the job recovers by its shipped restart strategy.
 *
 * <p>Nothing is lost or recorded twice: the deliveries topic holds exactly one record per
 * notification. The SMTP server, counting Message-IDs, received every email, and repeated ones are
 * bounded by the sends in flight at the kill: only a send still in the async operator can have been
 * accepted by the server without its ledger row (the ledger writes the row before the result leaves
 * the operator, and a replayed send whose row exists is not sent again). The operator holds at most
 * {@code send.smtp.capacity} sends per subtask, so at most capacity × parallelism repeats. Without
 * the ledger every email sent since the last checkpoint (here: all sent before the kill) would go
 * out again.
 */
class TaskManagerCrashITCase {

    private static final Logger LOG = LoggerFactory.getLogger(TaskManagerCrashITCase.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration OUTCOME_TIMEOUT = Duration.ofMinutes(4);

    private static final String PREFERENCES = "user-preferences";
    private static final String DEVICES = "device-tokens";

    private static final int NOTIFICATIONS = 3000;

    /** Kill once this many emails reached the server: about a third of the stream. */
    private static final int KILL_AFTER = 1000;

    private static final int PARALLELISM = 2;

    @TempDir static Path temp;

    private static Path root;
    private static Path flinkHome;
    private static Scripts scripts;
    private static LocalKafka kafka;
    private static LocalPostgres postgres;
    private static ScriptedSmtpServer smtp;
    private static final List<String> jobs = new ArrayList<>();

    @BeforeAll
    static void startKafkaSmtpDatabaseAndCluster() throws Exception {
        root = Scripts.repositoryRoot();
        kafka = LocalKafka.start();
        for (ConfigOption<?> option : JobOptions.all()) {
            if (option.key().startsWith("topics.")) {
                String topic = (String) option.defaultValue();
                kafka.createTopic(topic, 2, topic.equals(PREFERENCES) || topic.equals(DEVICES));
            }
        }
        // A little latency per message keeps sends in flight, as a real relay does.
        smtp = ScriptedSmtpServer.start(ProviderScript.parse("{\"latencyMs\": 10}"));
        postgres = LocalPostgres.start();

        flinkHome = root.resolve("sandbox/target/flink-crash-it/" + System.currentTimeMillis());
        Map<String, String> env = Scripts.clusterEnv(root, flinkHome, Scripts.freePort());
        scripts = new Scripts(root, env);
        scripts.succeed(SCRIPT_TIMEOUT, "cluster.sh", "start");
    }

    @AfterAll
    static void stopEverything() throws Exception {
        try {
            if (scripts != null) {
                scripts.cancelAndStop(SCRIPT_TIMEOUT, jobs);
            }
        } finally {
            if (smtp != null) {
                smtp.close();
            }
            if (postgres != null) {
                postgres.close();
            }
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    void shouldLoseNothingAndRepeatAtMostTheSendsInFlightWhenATaskManagerIsKilled()
            throws Exception {
        Map<String, String> config = shippedJobConfig();
        assertThat(config.get(LedgerOptions.ENABLED.key()))
                .as("the shipped job.yaml turns the send ledger on")
                .isEqualTo("true");
        int capacity = Integer.parseInt(config.get(JobOptions.sendCapacity(Provider.SMTP).key()));
        Path jar = Scripts.copyShadedJobJar(root, temp.resolve("notiflow-job.jar"));

        produce(PREFERENCES, i -> "crash-user-" + i, TaskManagerCrashITCase::preferences);
        String job =
                scripts.succeed(
                        SCRIPT_TIMEOUT,
                        "submit.sh",
                        "run",
                        "--jar",
                        jar.toString(),
                        "--parallelism",
                        Integer.toString(PARALLELISM),
                        "--",
                        "--config",
                        writeConfig(config).toString());
        jobs.add(job);
        // An event waits profile.wait (30 s) for its user's profile, read at the same time.
        produce("notification-events", i -> "crash-event-" + i, TaskManagerCrashITCase::event);

        awaitEmails(KILL_AFTER);
        long pid =
                Long.parseLong(Files.readString(flinkHome.resolve("pid/taskmanager.pid")).strip());
        ProcessHandle taskManager = ProcessHandle.of(pid).orElseThrow();
        int receivedAtKill = messageIds().size();
        // SIGKILL: no shutdown hook, no chance to finish a send or a transaction.
        assertThat(taskManager.destroyForcibly()).isTrue();
        taskManager.onExit().get(30, TimeUnit.SECONDS);
        LOG.info("TaskManager {} killed after {} emails", pid, receivedAtKill);
        assertThat(receivedAtKill).as("killed mid-stream").isLessThan(NOTIFICATIONS);

        scripts.succeed(SCRIPT_TIMEOUT, "cluster.sh", "taskmanager", "start");

        List<JsonNode> deliveries = awaitDeliveries();
        assertThat(deliveries)
                .extracting(d -> d.get("notificationId").asText())
                .as("one final record per notification: nothing lost, nothing twice")
                .hasSize(NOTIFICATIONS)
                .doesNotHaveDuplicates();
        assertThat(deliveries).extracting(d -> d.get("status").asText()).containsOnly("SENT");

        Map<String, Long> received =
                messageIds().stream()
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        Set<String> expected = new HashSet<>();
        for (JsonNode d : deliveries) {
            expected.add("<" + d.get("notificationId").asText() + "@example.com>");
        }
        assertThat(received.keySet())
                .as("every notification's email reached the SMTP server")
                .containsExactlyInAnyOrderElementsOf(expected);
        long repeats = received.values().stream().mapToLong(n -> n - 1).sum();
        LOG.info(
                "{} emails received for {} notifications: {} repeated (bound {} = capacity {} x"
                        + " parallelism {})",
                received.values().stream().mapToLong(Long::longValue).sum(),
                NOTIFICATIONS,
                repeats,
                capacity * PARALLELISM,
                capacity,
                PARALLELISM);
        ledgerLog().forEach(line -> LOG.info("TaskManager log: {}", line));
        assertThat(repeats)
                .as("repeated emails, at most the sends in flight at the kill")
                .isLessThanOrEqualTo((long) capacity * PARALLELISM);
    }

    /** What the send ledgers logged in the TaskManagers' logs: their failures and totals. */
    private static List<String> ledgerLog() throws IOException {
        Path logs = flinkHome.resolve("log");
        if (!Files.isDirectory(logs)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(logs)) {
            List<String> lines = new ArrayList<>();
            for (Path f :
                    files.filter(f -> f.getFileName().toString().startsWith("flink-taskmanager"))
                            .filter(f -> f.getFileName().toString().contains(".log"))
                            .sorted()
                            .toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (line.contains("Send ledger")) {
                        lines.add(f.getFileName() + ": " + line);
                    }
                }
            }
            return lines;
        }
    }

    /**
     * flink-conf/job.yaml as shipped, with only what a user changes to run it here: Kafka, the SMTP
     * relay and the database. The push and SMS providers are left out (no credentials here).
     */
    private static Map<String, String> shippedJobConfig() throws IOException {
        Map<String, String> config =
                new LinkedHashMap<>(JobConfig.readYaml(root.resolve("flink-conf/job.yaml")));
        config.keySet()
                .removeIf(
                        k -> k.startsWith("apns.") || k.startsWith("fcm.") || k.startsWith("sms."));
        config.put(JobOptions.KAFKA_BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
        config.put(JobOptions.KAFKA_GROUP_ID.key(), "notiflow-crash-it");
        config.put(
                JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX.key(),
                "notiflow-crash-" + UUID.randomUUID());
        config.put(EmailOptions.SMTP_HOST.key(), smtp.host());
        config.put(EmailOptions.SMTP_PORT.key(), Integer.toString(smtp.port()));
        config.put(EmailOptions.SMTP_SECURITY.key(), "none");
        config.remove(EmailOptions.SMTP_USERNAME.key());
        // The password from the testkit server's password file, as a mounted Secret would give it.
        config.remove("jdbc.password-env");
        config.putAll(postgres.jdbcOptions());
        return config;
    }

    private static Path writeConfig(Map<String, String> config) throws IOException {
        Path file = temp.resolve("job.yaml");
        // JSON is YAML: the job reads it with its YAML loader.
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        return file;
    }

    private static void produce(
            String topic, Function<Integer, String> key, Function<Integer, String> value) {
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < NOTIFICATIONS; i++) {
                producer.send(new ProducerRecord<>(topic, key.apply(i), value.apply(i)));
            }
            producer.flush();
        }
    }

    /** The Message-ID of every message the SMTP server received (RCPT failures have none). */
    private static List<String> messageIds() {
        return smtp.received().stream()
                .map(ReceivedCall::notificationRef)
                .filter(id -> id != null)
                .collect(Collectors.toList());
    }

    private static void awaitEmails(int count) throws InterruptedException {
        long deadline = System.nanoTime() + OUTCOME_TIMEOUT.toNanos();
        while (messageIds().size() < count) {
            assertThat(System.nanoTime()).as("%d emails sent in time", count).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /**
     * Every committed delivery, read once the topic holds a record per notification (or the timeout
     * passed) and then until it stays quiet, so a record committed twice shows too.
     */
    private static List<JsonNode> awaitDeliveries() throws IOException {
        String topic = JobOptions.TOPIC_DELIVERIES.defaultValue();
        kafka.readCommitted(topic, NOTIFICATIONS, OUTCOME_TIMEOUT);
        List<JsonNode> deliveries = new ArrayList<>();
        for (ConsumerRecord<String, String> r :
                kafka.readAllCommitted(topic, Duration.ofSeconds(5))) {
            deliveries.add(JSON.readTree(r.value()));
        }
        return deliveries;
    }

    private static String preferences(int i) {
        return "{\"userId\":\"crash-user-"
                + i
                + "\",\"email\":\"crash-user-"
                + i
                + "@example.com\",\"locale\":\"en\"}";
    }

    private static String event(int i) {
        return "{\"eventId\":\"crash-event-"
                + i
                + "\",\"type\":\"order.shipped\",\"userIds\":[\"crash-user-"
                + i
                + "\"],\"channels\":[\"email\"]}";
    }
}
