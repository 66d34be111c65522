package dev.notiflow.testkit.kafka;

import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A real Apache Kafka broker in KRaft mode, running inside this JVM, for tests and the local run.
 *
 * <p>One node acts as broker and controller (combined mode), built with Kafka's own {@link
 * KafkaClusterTestKit}. Settings suit a single node: replication factor 1 for the offsets and
 * transaction state topics, min ISR 1, no initial rebalance delay, and a {@code
 * transaction.max.timeout.ms} of one hour so transactional producers (Flink's exactly-once
 * KafkaSink defaults to a one-hour transaction timeout) are accepted.
 *
 * <p>Clients reach the broker on a dedicated {@code LOCAL} listener bound to {@code localhost} on a
 * fixed port (chosen free at start unless given), so {@link #bootstrapServers()} stays the same
 * across {@link #restartBroker()} and other processes on this machine (e.g. a Flink standalone
 * cluster) can reach it.
 *
 * <pre>{@code
 * try (LocalKafka kafka = LocalKafka.start()) {
 *     kafka.createTopic("user-preferences", 2, true);
 *     kafka.produce("user-preferences", "u1", "{\"userId\":\"u1\"}");
 *     List<ConsumerRecord<String, String>> got =
 *             kafka.readCommitted("user-preferences", 1, Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Thread-safety: the helper methods may be called from several threads (the shared producer is
 * thread-safe, each read uses its own consumer); {@link #restartBroker()}, {@link #stopBroker()},
 * {@link #startBroker()} and {@link #close()} must not run concurrently with other calls.
 */
public final class LocalKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalKafka.class);

    /** Name of the listener clients use; it has a fixed port for the broker's whole life. */
    public static final String CLIENT_LISTENER = "LOCAL";

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final int INTERNAL_TOPIC_PARTITIONS = 4;

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;
    private final Path baseDir;
    private final boolean deleteBaseDir;
    private final Object producerLock = new Object();
    private KafkaProducer<String, byte[]> producer;
    private Admin admin;
    private boolean closed;
    private boolean brokerStopped;

    private LocalKafka(
            KafkaClusterTestKit cluster,
            String bootstrapServers,
            Path baseDir,
            boolean deleteBaseDir) {
        this.cluster = cluster;
        this.bootstrapServers = bootstrapServers;
        this.baseDir = baseDir;
        this.deleteBaseDir = deleteBaseDir;
    }

    /** Starts a broker on a free port in a fresh temporary directory, and waits until it serves. */
    public static LocalKafka start() {
        return builder().start();
    }

    /** A builder for a broker with a fixed port, a chosen data directory or extra settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Bootstrap servers for clients, {@code localhost:PORT}; stable across broker restarts. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The port of the client listener. */
    public int port() {
        String server = bootstrapServers;
        return Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
    }

    /** The directory holding the broker's metadata and log directories. */
    public Path dataDirectory() {
        return baseDir;
    }

    /** Minimal client properties: just {@code bootstrap.servers}. A new copy on every call. */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /**
     * Creates a topic if it does not exist yet, and waits until all its partitions have a leader.
     * An existing topic is left as it is (its partition count and cleanup policy are not checked).
     *
     * @param compacted {@code cleanup.policy=compact} when true, the broker default otherwise
     */
    public void createTopic(String name, int partitions, boolean compacted) {
        NewTopic topic = new NewTopic(name, partitions, (short) 1);
        if (compacted) {
            topic.configs(
                    Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        }
        try {
            admin().createTopics(List.of(topic))
                    .all()
                    .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created topic {} ({} partitions, compacted={})", name, partitions, compacted);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create topic " + name, e.getCause());
            }
            LOG.debug("Topic {} exists already", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + name, e);
        }
        awaitLeaders(name);
    }

    /** Sends one record and waits for the broker's acknowledgement; a null value is a tombstone. */
    public void produce(String topic, String key, String value) {
        produce(topic, key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one record and waits for the broker's acknowledgement; a null value is a tombstone. */
    public void produce(String topic, String key, byte[] value) {
        try {
            producer()
                    .send(new ProducerRecord<>(topic, key, value))
                    .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not produce to " + topic, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing to " + topic, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out producing to " + topic, e);
        }
    }

    /**
     * Reads committed records of a topic from the beginning, all partitions, until {@code
     * expectedCount} records were read or {@code timeout} passed. Aborted and open transactions are
     * invisible ({@code isolation.level=read_committed}). Never throws on timeout: it returns what
     * it read, so the caller asserts on it. A topic that does not exist yet is waited for. Records
     * of one partition keep their order; partitions follow each other in poll order.
     */
    public List<ConsumerRecord<String, String>> readCommitted(
            String topic, int expectedCount, Duration timeout) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, String> consumer = newReadCommittedConsumer()) {
            if (!assignAll(consumer, topic, deadline)) {
                return records;
            }
            while (records.size() < expectedCount) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                ConsumerRecords<String, String> batch =
                        consumer.poll(
                                Duration.ofNanos(Math.min(left, Duration.ofMillis(200).toNanos())));
                batch.forEach(records::add);
            }
        }
        return records;
    }

    /**
     * Reads committed records of a topic from the beginning until no new record arrived for {@code
     * quietPeriod}. Returns an empty list for a topic that does not exist.
     */
    public List<ConsumerRecord<String, String>> readAllCommitted(
            String topic, Duration quietPeriod) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = newReadCommittedConsumer()) {
            if (!assignAll(consumer, topic, System.nanoTime() + quietPeriod.toNanos())) {
                return records;
            }
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < quietPeriod.toNanos()) {
                ConsumerRecords<String, String> batch = consumer.poll(Duration.ofMillis(100));
                if (!batch.isEmpty()) {
                    batch.forEach(records::add);
                    quietSince = System.nanoTime();
                }
            }
        }
        return records;
    }

    /**
     * Stops the broker and starts it again, keeping its data and its client port. The KRaft
     * controller of the node keeps running, as it would when only the broker process of a
     * dedicated-controller cluster restarts. Clients see connection errors while it is down and
     * reconnect afterwards. Returns once the broker serves again (a few seconds: the controller
     * accepts the new registration once the old broker session expired).
     */
    public void restartBroker() {
        stopBroker();
        startBroker();
    }

    /**
     * Stops the broker (controlled shutdown), keeping its data; clients get connection errors until
     * {@link #startBroker()}. Use it to hold an outage for a while; does nothing if stopped.
     */
    public synchronized void stopBroker() {
        if (brokerStopped) {
            return;
        }
        LOG.info("Stopping Kafka broker at {}", bootstrapServers);
        closeClients();
        for (BrokerServer broker : cluster.brokers().values()) {
            broker.shutdown();
            broker.awaitShutdown();
        }
        brokerStopped = true;
    }

    /** Starts a broker stopped by {@link #stopBroker()} and waits until it serves again. */
    public synchronized void startBroker() {
        if (!brokerStopped) {
            return;
        }
        long startNanos = System.nanoTime();
        try {
            for (BrokerServer broker : cluster.brokers().values()) {
                broker.startup();
            }
            cluster.waitForReadyBrokers();
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka broker did not come back", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the Kafka broker", e);
        }
        brokerStopped = false;
        LOG.info(
                "Kafka broker at {} is back after {} ms",
                bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /** Stops the broker and controller, and deletes the data directory unless it was given. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closeClients();
        try {
            cluster.close();
        } catch (Exception e) {
            LOG.warn("Error while stopping the Kafka broker", e);
        }
        if (deleteBaseDir) {
            deleteRecursively(baseDir);
        }
        LOG.info("Kafka broker at {} stopped", bootstrapServers);
    }

    private KafkaConsumer<String, String> newReadCommittedConsumer() {
        Properties props = clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "local-kafka-reader-" + UUID.randomUUID());
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    /** Assigns all partitions of the topic, from the beginning; false if it never appeared. */
    private static boolean assignAll(
            KafkaConsumer<String, String> consumer, String topic, long deadlineNanos) {
        while (true) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo info : infos) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                return true;
            }
            if (System.nanoTime() >= deadlineNanos) {
                return false;
            }
            sleep(Duration.ofMillis(100));
        }
    }

    private void awaitLeaders(String topic) {
        long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos();
        while (true) {
            try {
                TopicDescription description =
                        admin().describeTopics(List.of(topic))
                                .allTopicNames()
                                .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                                .get(topic);
                if (description.partitions().stream().allMatch(p -> p.leader() != null)) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException(
                            "could not describe topic " + topic, e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while describing " + topic, e);
            } catch (TimeoutException e) {
                // retried below until the deadline
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "partitions of " + topic + " got no leader in time");
            }
            sleep(Duration.ofMillis(50));
        }
    }

    private Admin admin() {
        synchronized (producerLock) {
            if (admin == null) {
                admin = Admin.create(clientProperties());
            }
            return admin;
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        synchronized (producerLock) {
            if (producer == null) {
                Properties props = clientProperties();
                props.put(ProducerConfig.ACKS_CONFIG, "all");
                props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
                props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
                props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
                producer =
                        new KafkaProducer<>(
                                props, new StringSerializer(), new ByteArraySerializer());
            }
            return producer;
        }
    }

    private void closeClients() {
        synchronized (producerLock) {
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
                producer = null;
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
                admin = null;
            }
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}", dir, e);
        }
    }

    /** Empties a data directory a previous broker used; refuses any other non-empty one. */
    private static void clearOwnDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        boolean empty;
        try (Stream<Path> entries = Files.list(dir)) {
            empty = entries.findAny().isEmpty();
        }
        if (empty) {
            return;
        }
        if (!Files.exists(dir.resolve(Builder.MARKER_FILE))) {
            throw new IllegalStateException(
                    "refusing to empty "
                            + dir
                            + ": not empty and not a LocalKafka data directory (no "
                            + Builder.MARKER_FILE
                            + ")");
        }
        deleteRecursively(dir);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    /**
     * Options for {@link LocalKafka}: a fixed client port, a data directory, extra broker settings.
     * Not thread-safe; use it on one thread and call {@link #start()} once.
     *
     * <pre>{@code
     * LocalKafka kafka = LocalKafka.builder().port(9092).dataDirectory(Path.of(".local/kafka/data"))
     *         .brokerConfig("log.retention.hours", "1").start();
     * }</pre>
     */
    public static final class Builder {
        /** Marks a data directory as ours, so that a later start may empty it. */
        public static final String MARKER_FILE = ".notiflow-local-kafka";

        private int port;
        private Path dataDirectory;
        private final Map<String, String> brokerConfig = new LinkedHashMap<>();

        private Builder() {
            brokerConfig.put("offsets.topic.replication.factor", "1");
            brokerConfig.put(
                    "offsets.topic.num.partitions", String.valueOf(INTERNAL_TOPIC_PARTITIONS));
            brokerConfig.put("transaction.state.log.replication.factor", "1");
            brokerConfig.put("transaction.state.log.min.isr", "1");
            brokerConfig.put(
                    "transaction.state.log.num.partitions",
                    String.valueOf(INTERNAL_TOPIC_PARTITIONS));
            brokerConfig.put("share.coordinator.state.topic.replication.factor", "1");
            brokerConfig.put("share.coordinator.state.topic.min.isr", "1");
            brokerConfig.put("min.insync.replicas", "1");
            brokerConfig.put("default.replication.factor", "1");
            brokerConfig.put("group.initial.rebalance.delay.ms", "0");
            brokerConfig.put(
                    "transaction.max.timeout.ms", String.valueOf(Duration.ofHours(1).toMillis()));
            brokerConfig.put("auto.create.topics.enable", "true");
            // Behave like a released broker: no unstable protocol or feature versions.
            brokerConfig.put("unstable.api.versions.enable", "false");
            brokerConfig.put("unstable.feature.versions.enable", "false");
            // A restarted broker may register again only after its old session expired
            // (DUPLICATE_BROKER_REGISTRATION until then): a short session makes restarts quick.
            brokerConfig.put("broker.heartbeat.interval.ms", "500");
            brokerConfig.put("broker.session.timeout.ms", "4000");
        }

        /** Fixed port of the client listener on localhost; 0 (default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Directory for the broker's metadata and logs. It must be missing, empty, or a directory a
         * previous broker used (it holds a {@value #MARKER_FILE} file): its content is then deleted
         * at start, as each start formats a new cluster. It is kept after {@link
         * LocalKafka#close()}. Without it, a temporary directory is used and deleted on close.
         */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = dir;
            return this;
        }

        /** Any broker setting, e.g. {@code log.retention.ms}; overrides the defaults above. */
        public Builder brokerConfig(String key, String value) {
            brokerConfig.put(key, value);
            return this;
        }

        /** Formats and starts the node, and waits until the broker is ready for clients. */
        public LocalKafka start() {
            int clientPort = port == 0 ? freePort() : port;
            boolean temporary = dataDirectory == null;
            Path baseDir;
            try {
                if (temporary) {
                    baseDir = Files.createTempDirectory("notiflow-kafka-");
                } else {
                    clearOwnDirectory(dataDirectory);
                    baseDir = Files.createDirectories(dataDirectory).toAbsolutePath();
                    Files.writeString(baseDir.resolve(MARKER_FILE), "");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the Kafka data directory", e);
            }
            long startNanos = System.nanoTime();
            KafkaClusterTestKit cluster = null;
            try {
                TestKitNodes nodes =
                        new TestKitNodes.Builder()
                                .setCombined(true)
                                .setNumBrokerNodes(1)
                                .setNumControllerNodes(1)
                                .setBaseDirectory(baseDir)
                                .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                                .build();
                String brokerListener = nodes.brokerListenerName().value();
                String controllerListener = nodes.controllerListenerName().value();
                KafkaClusterTestKit.Builder builder =
                        new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(false);
                builder.setConfigProp(
                        "listeners",
                        String.format(
                                "%s://localhost:0,%s://localhost:0,%s://localhost:%d",
                                brokerListener, controllerListener, CLIENT_LISTENER, clientPort));
                builder.setConfigProp(
                        "listener.security.protocol.map",
                        String.format(
                                "%s:PLAINTEXT,%s:PLAINTEXT,%s:PLAINTEXT",
                                brokerListener, controllerListener, CLIENT_LISTENER));
                brokerConfig.forEach(builder::setConfigProp);
                cluster = builder.build();
                cluster.format();
                cluster.startup();
                cluster.waitForReadyBrokers();
            } catch (Exception e) {
                if (cluster != null) {
                    try {
                        cluster.close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                if (temporary) {
                    deleteRecursively(baseDir);
                }
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException(
                        "Kafka broker did not start on port " + clientPort + ": " + e, e);
            }
            String bootstrap = "localhost:" + clientPort;
            LOG.info(
                    "Kafka broker (KRaft, combined) ready at {} in {} ms, data in {}",
                    bootstrap,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                    baseDir);
            return new LocalKafka(cluster, bootstrap, baseDir, temporary);
        }
    }
}
