package dev.notiflow.testkit;

import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Topic set-up and consumer-group progress for tests and the local run: creates the job's topics
 * (compacted where the contract says so) and waits until a consumer group has committed every
 * record of some topics, so state topics are loaded before events are sent.
 */
public final class KafkaGroups {

    /** The job's default topics and whether each is compacted. */
    public static final Map<String, Boolean> JOB_TOPICS =
            Map.of(
                    "notification-events", false,
                    "user-preferences", true,
                    "device-tokens", true,
                    "notification-templates", true,
                    "notification-cancellations", false,
                    "notification-engagement", false,
                    "notification-deliveries", false,
                    "notification-retry", false,
                    "notification-dlq", false,
                    "device-token-invalidations", false);

    private KafkaGroups() {}

    public static void createJobTopics(LocalKafka kafka, int partitions) {
        JOB_TOPICS.forEach((name, compacted) -> kafka.createTopic(name, partitions, compacted));
    }

    /**
     * The offset after the last committed record of each partition. On a transactional topic the
     * end offset also counts commit markers, which a consumer never reports as consumed.
     */
    private static Map<TopicPartition, Long> nextRecordOffsets(
            LocalKafka kafka, Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends) {
        Map<TopicPartition, Long> next = new HashMap<>();
        Properties props = kafka.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        props.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            for (var e : ends.entrySet()) {
                long end = e.getValue().offset();
                long last = -1;
                if (end > 0) {
                    consumer.assign(List.of(e.getKey()));
                    consumer.seek(e.getKey(), Math.max(0, end - 100));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (consumer.position(e.getKey()) < end && System.nanoTime() < deadline) {
                        for (var r : consumer.poll(Duration.ofMillis(200))) {
                            last = Math.max(last, r.offset());
                        }
                    }
                }
                next.put(e.getKey(), last + 1);
            }
        }
        return next;
    }

    /**
     * Waits until {@code group} has committed offsets at the end of every partition of {@code
     * topics} (offsets are committed on checkpoints).
     *
     * @throws IllegalStateException when that does not happen within {@code timeout}
     */
    public static void awaitCaughtUp(
            LocalKafka kafka, String group, Duration timeout, String... topics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(List.of(topics))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .forEach(
                            (name, desc) ->
                                    desc.partitions()
                                            .forEach(
                                                    p ->
                                                            latest.put(
                                                                    new TopicPartition(
                                                                            name, p.partition()),
                                                                    OffsetSpec.latest())));
            Map<TopicPartition, Long> ends =
                    nextRecordOffsets(
                            kafka, admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS));
            do {
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group)
                                .partitionsToOffsetAndMetadata()
                                .get(30, TimeUnit.SECONDS);
                boolean caughtUp = true;
                for (var e : ends.entrySet()) {
                    long end = e.getValue();
                    OffsetAndMetadata c = committed.get(e.getKey());
                    if (end > 0 && (c == null || c.offset() < end)) {
                        caughtUp = false;
                        break;
                    }
                }
                if (caughtUp) {
                    return;
                }
                Thread.sleep(
                        Math.min(200, Math.max(0, (deadline - System.nanoTime()) / 1_000_000)));
            } while (System.nanoTime() < deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not read offsets of group " + group, e);
        }
        throw new IllegalStateException(
                "group "
                        + group
                        + " did not catch up on "
                        + List.of(topics)
                        + " within "
                        + timeout);
    }
}
