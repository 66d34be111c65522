package dev.notiflow.kafka;

import org.apache.flink.api.common.functions.MapFunction;
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
        return sink(
                bootstrapServers,
                (element, context, timestamp) ->
                        new ProducerRecord<>(
                                topic,
                                null,
                                timestamp,
                                keyBytes(key, element),
                                Json.toBytes(element)),
                guarantee,
                transactionalIdPrefix,
                transactionTimeoutMs);
    }

    /**
     * Encodes each record as {@link #jsonSink} would write it (the key's UTF-8 bytes, the value as
     * JSON), for {@link #encodedSink}: chained to the operator that makes the records, it does the
     * encoding there, so what crosses to the sink is two byte arrays instead of the record.
     */
    public static <T> MapFunction<T, EncodedRecord> encoder(KeyFunction<T> key) {
        return new Encoder<>(key);
    }

    private static final class Encoder<T> implements MapFunction<T, EncodedRecord> {
        private static final long serialVersionUID = 1L;
        private final KeyFunction<T> key;

        Encoder(KeyFunction<T> key) {
            this.key = key;
        }

        @Override
        public EncodedRecord map(T element) {
            return new EncodedRecord(keyBytes(key, element), Json.toBytes(element));
        }
    }

    /**
     * A sink writing records encoded by {@link #encoder} to {@code topic}, each with its stream
     * record's timestamp; the same parameters as {@link #jsonSink}.
     */
    public static KafkaSink<EncodedRecord> encodedSink(
            String bootstrapServers,
            String topic,
            DeliveryGuarantee guarantee,
            String transactionalIdPrefix,
            long transactionTimeoutMs) {
        return sink(
                bootstrapServers,
                (element, context, timestamp) ->
                        new ProducerRecord<>(
                                topic, null, timestamp, element.key(), element.value()),
                guarantee,
                transactionalIdPrefix,
                transactionTimeoutMs);
    }

    private static <T> byte[] keyBytes(KeyFunction<T> key, T element) {
        String k = key.apply(element);
        return k == null ? null : k.getBytes(StandardCharsets.UTF_8);
    }

    private static <T> KafkaSink<T> sink(
            String bootstrapServers,
            KafkaRecordSerializationSchema<T> schema,
            DeliveryGuarantee guarantee,
            String transactionalIdPrefix,
            long transactionTimeoutMs) {
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
