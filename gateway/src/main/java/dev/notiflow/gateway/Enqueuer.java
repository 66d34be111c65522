package dev.notiflow.gateway;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes the records of one request all-or-nothing: one Kafka transaction per request, on a small
 * pool of transactional producers ({@code <prefix>-<instance>-<n>}; idempotent, {@code acks=all}).
 * {@link #send} returns only after the commit, i.e. after every record was acknowledged by all
 * in-sync replicas; the job reads {@code read_committed}, so an aborted or never committed
 * transaction is invisible to it. When Kafka cannot commit within {@code gateway.kafka-timeout},
 * the transaction is aborted; a producer whose abort cannot finish either is closed and replaced by
 * a new one with the same transactional id, whose {@code initTransactions} fences the old one and
 * makes the coordinator abort the open transaction.
 *
 * <p>The one uncertain case is a commit request that reached the coordinator while the answer did
 * not reach us in time: the request is answered 503 and may still commit. A retry then produces the
 * same eventIds again, which the job's dedupe drops.
 */
public final class Enqueuer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Enqueuer.class);

    /** Kafka did not take the records within the timeout; nothing of them is visible. */
    public static final class UnavailableException extends Exception {
        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Properties base;
    private final Duration timeout;
    private final BlockingQueue<Slot> idle;

    private final class Slot {
        final String transactionalId;
        KafkaProducer<byte[], byte[]> producer;

        Slot(String transactionalId) {
            this.transactionalId = transactionalId;
        }

        KafkaProducer<byte[], byte[]> producer() {
            if (producer == null) {
                Properties props = new Properties();
                props.putAll(base);
                props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
                KafkaProducer<byte[], byte[]> p =
                        new KafkaProducer<>(
                                props, new ByteArraySerializer(), new ByteArraySerializer());
                try {
                    p.initTransactions();
                } catch (RuntimeException e) {
                    p.close(Duration.ZERO);
                    throw e;
                }
                producer = p;
            }
            return producer;
        }

        void discard() {
            if (producer != null) {
                try {
                    producer.close(Duration.ZERO);
                } catch (RuntimeException e) {
                    LOG.debug("closing producer {}", transactionalId, e);
                }
                producer = null;
            }
        }
    }

    public Enqueuer(
            String bootstrapServers,
            String transactionalIdPrefix,
            String instanceId,
            int producers,
            Duration timeout) {
        this.timeout = timeout;
        base = new Properties();
        base.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        base.put(ProducerConfig.ACKS_CONFIG, "all");
        base.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        base.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        base.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        base.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        base.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        base.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis() + 1);
        // an open transaction of a crashed gateway blocks read_committed readers until then
        base.put(
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                (int) Math.max(timeout.multipliedBy(3).toMillis(), 10_000));
        base.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        // a transaction right after the previous one's commit finds its partitions still being
        // completed (CONCURRENT_TRANSACTIONS) and retries: after 100 ms by default, 10 ms here
        base.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        idle = new ArrayBlockingQueue<>(producers);
        for (int i = 0; i < producers; i++) {
            idle.add(new Slot(transactionalIdPrefix + "-" + instanceId + "-" + i));
        }
    }

    /**
     * Initializes every idle producer ({@code initTransactions}: finding the coordinator, fencing
     * an earlier incarnation), so that the first requests do not pay for it. Best effort: a
     * producer that cannot start now starts on its first use.
     */
    public void warmUp() {
        int n = idle.remainingCapacity() + idle.size();
        for (int i = 0; i < n; i++) {
            Slot slot = idle.poll();
            if (slot == null) {
                return;
            }
            try {
                slot.producer();
            } catch (RuntimeException e) {
                LOG.info("Producer {} not ready yet: {}", slot.transactionalId, e.toString());
            } finally {
                idle.add(slot);
            }
        }
    }

    /**
     * Sends the records in one transaction and commits it; on any failure aborts it.
     *
     * @return the records' metadata, in order
     * @throws UnavailableException when Kafka did not commit within the timeout (nothing enqueued)
     */
    public List<RecordMetadata> send(List<ProducerRecord<byte[], byte[]>> records)
            throws UnavailableException, InterruptedException {
        if (records.isEmpty()) {
            return List.of();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Slot slot = idle.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (slot == null) {
            throw new UnavailableException("no producer free within " + timeout, null);
        }
        try {
            KafkaProducer<byte[], byte[]> producer;
            try {
                producer = slot.producer();
            } catch (RuntimeException e) {
                throw new UnavailableException("Kafka is unavailable: " + e.getMessage(), e);
            }
            boolean open = false;
            try {
                producer.beginTransaction();
                open = true;
                List<Future<RecordMetadata>> futures = new ArrayList<>(records.size());
                for (ProducerRecord<byte[], byte[]> r : records) {
                    futures.add(producer.send(r));
                }
                producer.commitTransaction();
                open = false;
                List<RecordMetadata> out = new ArrayList<>(futures.size());
                for (Future<RecordMetadata> f : futures) {
                    // done: commitTransaction flushed and succeeded
                    out.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                }
                return out;
            } catch (InterruptedException e) {
                abort(slot, open);
                throw e;
            } catch (Exception e) {
                abort(slot, open);
                throw new UnavailableException("Kafka did not commit: " + e, e);
            }
        } finally {
            idle.add(slot);
        }
    }

    private void abort(Slot slot, boolean open) {
        if (!open || slot.producer == null) {
            slot.discard();
            return;
        }
        try {
            slot.producer.abortTransaction();
        } catch (RuntimeException e) {
            // the next use creates a new producer with the same id, which fences this one and
            // makes the coordinator abort what it left open
            LOG.warn("Could not abort transaction of {}: {}", slot.transactionalId, e.toString());
            slot.discard();
        }
    }

    @Override
    public void close() {
        List<Slot> slots = new ArrayList<>();
        idle.drainTo(slots);
        for (Slot s : slots) {
            if (s.producer != null) {
                try {
                    s.producer.close(Duration.ofSeconds(2));
                } catch (RuntimeException e) {
                    LOG.debug("closing producer {}", s.transactionalId, e);
                }
            }
        }
    }
}
