package dev.notiflow.sandbox;

import org.apache.flink.core.execution.JobClient;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the committed records on a deliveries topic (read_committed, nothing parsed, so it costs
 * the job's JVM next to nothing) on a thread of its own.
 */
final class BenchmarkWatcher implements AutoCloseable {

    private final AtomicLong count = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    BenchmarkWatcher(String bootstrap, String topic) {
        Properties props = consumerProperties(bootstrap);
        thread =
                new Thread(
                        () -> {
                            try (KafkaConsumer<byte[], byte[]> consumer =
                                    new KafkaConsumer<>(props)) {
                                consumer.subscribe(List.of(topic));
                                while (running) {
                                    count.addAndGet(consumer.poll(Duration.ofMillis(200)).count());
                                }
                            }
                        },
                        "bench-watch-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    static Properties consumerProperties(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-watch-" + System.nanoTime());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return props;
    }

    long count() {
        return count.get();
    }

    /** Waits until {@code expected} records are committed; false when the time ran out. */
    boolean await(long expected, Duration timeout, String what, JobClient job) throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long lastSay = start;
        long lastCount = count();
        while (count() < expected) {
            if (System.nanoTime() > deadline) {
                Benchmark.say("%s: gave up after %s at %d/%d", what, timeout, count(), expected);
                return false;
            }
            Thread.sleep(100);
            if (job.getJobStatus().get().isTerminalState()) {
                throw new IllegalStateException(
                        what + ": the job ended (" + job.getJobStatus().get() + ")");
            }
            if (System.nanoTime() - lastSay > 5_000_000_000L) {
                long now = count();
                Benchmark.say(
                        "%s: %d/%d committed (%.0f/s over the last 5 s)",
                        what,
                        now,
                        expected,
                        (now - lastCount) / ((System.nanoTime() - lastSay) / 1e9));
                lastCount = now;
                lastSay = System.nanoTime();
            }
        }
        return true;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
