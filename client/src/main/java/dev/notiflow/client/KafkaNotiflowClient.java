package dev.notiflow.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Engagement;
import dev.notiflow.serde.UserUpdateParser;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A {@link NotiflowClient} that writes straight to the topics, with the record keys of {@code
 * docs/contracts.md}. One transactional, idempotent producer ({@code acks=all}) per client: every
 * call is one Kafka transaction, so a batch is all-or-nothing (a consumer reading committed, as the
 * job does, sees all of its events or none), and a future completes only after the brokers
 * acknowledged and the transaction committed. A failed call aborts its transaction and its future
 * fails with {@link NotiflowException}; sending the same {@link Event} again is safe, since the job
 * drops a repeated {@code eventId} (dedupe).
 *
 * <p>Thread-safe: calls are queued to one thread that owns the producer, in call order. Long-lived;
 * {@link #close()} waits for queued calls and closes the producer.
 *
 * <pre>{@code
 * try (KafkaNotiflowClient client =
 *         NotiflowClient.kafka("broker:9092").transactionalIdPrefix("orders-service").build()) {
 *     client.sendBatch(List.of(e1, e2)).join();
 * }
 * }</pre>
 */
public final class KafkaNotiflowClient implements NotiflowClient {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaNotiflowClient.class);

    private final Producer<byte[], byte[]> producer;
    private final Map<String, String> topics;
    private final ExecutorService thread;

    private KafkaNotiflowClient(Builder b) {
        Properties props = new Properties();
        props.putAll(b.properties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                b.transactionalIdPrefix + "-" + UUID.randomUUID());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.putIfAbsent(
                ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(b.maxBlock.toMillis()));
        this.topics = Map.copyOf(b.topics);
        this.producer = new KafkaProducer<>(props);
        this.thread =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "notiflow-client-kafka");
                            t.setDaemon(true);
                            return t;
                        });
        try {
            producer.initTransactions();
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            thread.shutdown();
            throw new NotiflowException(0, null, "Kafka producer could not start", e);
        }
        LOG.info("Kafka client started on {}", b.bootstrapServers);
    }

    @Override
    public CompletableFuture<SendResult> send(Event event) {
        return sendBatch(List.of(event));
    }

    @Override
    public CompletableFuture<SendResult> sendBatch(List<Event> events) {
        List<ContractRecord> records = new ArrayList<>(events.size());
        List<SendResult.Item> items = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            records.add(e.record());
            items.add(new SendResult.Item(i, e.eventId(), true, null, null));
        }
        return write(records).thenApply(v -> new SendResult(items));
    }

    @Override
    public CompletableFuture<Void> putPreferences(Preferences preferences) {
        return write(List.of(preferences.record()));
    }

    @Override
    public CompletableFuture<Void> putDevice(Device device) {
        return write(List.of(device.record()));
    }

    @Override
    public CompletableFuture<Void> deleteDevice(String userId, String token) {
        return attempt(() -> List.of(Device.tombstone(userId, token)));
    }

    @Override
    public CompletableFuture<Void> deleteUser(String userId) {
        return deleteUser(userId, List.of());
    }

    /**
     * Erases a user in one transaction: the profile's tombstone and one tombstone per given device
     * token, so the compacted {@code device-tokens} topic forgets them too.
     */
    public CompletableFuture<Void> deleteUser(String userId, List<String> tokens) {
        return attempt(
                () -> {
                    List<ContractRecord> records = new ArrayList<>();
                    records.add(
                            ContractRecord.validated(
                                    Preferences.TOPIC,
                                    userId,
                                    null,
                                    UserUpdateParser::preferences));
                    for (String token : tokens) {
                        records.add(Device.tombstone(userId, token));
                    }
                    return records;
                });
    }

    @Override
    public CompletableFuture<Void> putTemplate(Template template) {
        return write(List.of(template.record()));
    }

    @Override
    public CompletableFuture<Void> deleteTemplate(String templateId, String locale) {
        return attempt(() -> List.of(Template.tombstone(templateId, locale)));
    }

    @Override
    public CompletableFuture<Void> reportEngagement(
            String notificationId, Engagement.Event event, Instant at) {
        Instant now = Instant.now();
        return attempt(
                () ->
                        List.of(
                                Engagements.record(
                                        notificationId, event, at == null ? now : at, now)));
    }

    @Override
    public CompletableFuture<JsonNode> eventStatus(String eventId) {
        return CompletableFuture.failedFuture(
                new UnsupportedOperationException(
                        "the delivery status is read through the gateway (NotiflowClient.http)"));
    }

    /** Validation errors fail the future rather than throwing from an asynchronous method. */
    private CompletableFuture<Void> attempt(java.util.function.Supplier<List<ContractRecord>> s) {
        List<ContractRecord> records;
        try {
            records = s.get();
        } catch (ValidationException e) {
            return CompletableFuture.failedFuture(e);
        }
        return write(records);
    }

    private CompletableFuture<Void> write(List<ContractRecord> records) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            thread.execute(() -> transaction(records, done));
        } catch (RuntimeException e) {
            done.completeExceptionally(new NotiflowException(0, null, "client is closed", e));
        }
        return done;
    }

    private void transaction(List<ContractRecord> records, CompletableFuture<Void> done) {
        try {
            producer.beginTransaction();
            for (ContractRecord r : records) {
                producer.send(
                        new ProducerRecord<>(
                                topics.getOrDefault(r.topic, r.topic), r.keyBytes(), r.value));
            }
            // Flushes, and throws when any send of the transaction failed.
            producer.commitTransaction();
            done.complete(null);
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
            // Fatal for this producer: the transaction cannot be aborted, only the client closed.
            LOG.error("Kafka producer failed for good; close this client", e);
            done.completeExceptionally(
                    new NotiflowException(0, null, "Kafka producer failed: " + e, e));
        } catch (KafkaException e) {
            try {
                producer.abortTransaction();
            } catch (KafkaException abort) {
                e.addSuppressed(abort);
            }
            done.completeExceptionally(
                    new NotiflowException(
                            0, null, "Kafka transaction aborted, nothing was written: " + e, e));
        }
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }

    /**
     * Builds a {@link KafkaNotiflowClient}; not thread-safe.
     *
     * <pre>{@code
     * KafkaNotiflowClient client = NotiflowClient.kafka("broker:9092")
     *         .transactionalIdPrefix("orders-service")
     *         .topic("notification-events", "staging.notification-events")
     *         .property("security.protocol", "SSL")
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private final String bootstrapServers;
        private String transactionalIdPrefix = "notiflow-client";
        private final Map<String, String> topics = new HashMap<>();
        private final Map<String, Object> properties = new HashMap<>();
        private Duration maxBlock = Duration.ofSeconds(30);

        Builder(String bootstrapServers) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        }

        /** Prefix of the producer's transactional id; a random suffix makes each client unique. */
        public Builder transactionalIdPrefix(String prefix) {
            this.transactionalIdPrefix = prefix;
            return this;
        }

        /** Writes a contract's topic (e.g. {@code notification-events}) under another name. */
        public Builder topic(String contractTopic, String actualTopic) {
            topics.put(contractTopic, actualTopic);
            return this;
        }

        /** Any other producer setting (security, timeouts); acks and idempotence stay fixed. */
        public Builder property(String key, Object value) {
            properties.put(key, value);
            return this;
        }

        /** How long a call may wait for the cluster's metadata or buffer space. Default 30 s. */
        public Builder maxBlock(Duration maxBlock) {
            this.maxBlock = maxBlock;
            return this;
        }

        /**
         * Starts the producer and registers its transactional id with the cluster (blocks up to
         * {@link #maxBlock}).
         */
        public KafkaNotiflowClient build() {
            return new KafkaNotiflowClient(this);
        }
    }
}
