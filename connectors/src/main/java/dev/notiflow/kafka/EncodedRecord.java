package dev.notiflow.kafka;

/**
 * A Kafka record's key and value, already encoded. A stream of these crosses to its sink as two
 * byte arrays, whatever the record it was made from: the encoding happens where the record is made
 * (chained to that operator), and the sink task only writes bytes.
 *
 * @param key the key's UTF-8 bytes, or {@code null} for no key
 * @param value the value's bytes
 */
public record EncodedRecord(byte[] key, byte[] value) {}
