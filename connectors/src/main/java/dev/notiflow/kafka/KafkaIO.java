package dev.notiflow.kafka;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.Json;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Function;

/**
 * Factories for the job's Kafka sources and sinks. Sources read committed records as {@link
 * RawRecord}s, from the group's committed offsets or else the earliest. Sinks write JSON values
 * with a string key.
 *
 * <pre>{@code
 * KafkaSource<RawRecord> events = KafkaIO.rawSource("localhost:9092", "notiflow", "notification-events");
 * KafkaSink<Delivery> sink = KafkaIO.jsonSink("localhost:9092", "notification-deliveries",
 *         Delivery::notificationId, DeliveryGuarantee.EXACTLY_ONCE, "notiflow-deliveries", 600_000);
 * }</pre>
 */
public final class KafkaIO {

    private KafkaIO() {}

    /** A function that gives a record's key; serializable because it travels with the job. */
    @FunctionalInterface
    public interface KeyFunction<T> extends Function<T, String>, Serializable {}

    public static KafkaSource<RawRecord> rawSource(
            String bootstrapServers, String groupId, Properties extra, String... topics) {
        return KafkaSource.<RawRecord>builder()
                .setBootstrapServers(bootstrapServers)
                .setGroupId(groupId)
                .setTopics(topics)
                .setStartingOffsets(
                        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer())
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setProperties(extra)
                .build();
    }

    /**
     * A sink writing {@code value} as JSON to {@code topic}.
     *
     * @param transactionalIdPrefix unique per job and topic; used with EXACTLY_ONCE
     * @param transactionTimeoutMs must exceed the longest checkpoint plus restart and stay within
     *     the broker's {@code transaction.max.timeout.ms}
     */
    public static <T> KafkaSink<T> jsonSink(
            String bootstrapServers,
            String topic,
            KeyFunction<T> key,
            DeliveryGuarantee guarantee,
            String transactionalIdPrefix,
            long transactionTimeoutMs) {
        KafkaRecordSerializationSchema<T> schema =
                (element, context, timestamp) ->
                        new ProducerRecord<>(
                                topic,
                                null,
                                timestamp,
                                key.apply(element) == null
                                        ? null
                                        : key.apply(element).getBytes(StandardCharsets.UTF_8),
                                Json.toBytes(element));
        Properties props = new Properties();
        props.setProperty(
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(transactionTimeoutMs));
        props.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        return KafkaSink.<T>builder()
                .setBootstrapServers(bootstrapServers)
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .setKafkaProducerConfig(props)
                .build();
    }
}
