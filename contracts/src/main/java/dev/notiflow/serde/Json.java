package dev.notiflow.serde;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The one Jackson configuration for every topic: ISO-8601 timestamps (instants written by {@link
 * InstantWriter}), unknown fields ignored (the contracts only grow additively), a key repeated in
 * one object refused, records written with all fields so the output schema is stable. {@link
 * ObjectMapper} is thread-safe once configured.
 */
public final class Json {

    public static final ObjectMapper MAPPER =
            new ObjectMapper(
                            JsonFactory.builder()
                                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                                    .build())
                    .registerModule(new JavaTimeModule())
                    // After JavaTimeModule, so that it replaces its Instant serializer.
                    .registerModule(
                            new SimpleModule("notiflow-instants")
                                    .addSerializer(Instant.class, new InstantWriter()))
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE);

    private Json() {}

    /** Serializes a value to UTF-8 JSON bytes. */
    public static byte[] toBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static String toText(Object value) {
        return new String(toBytes(value), StandardCharsets.UTF_8);
    }

    /** Reads a value written by {@link #toBytes}; for our own output topics, not for input. */
    public static <T> T fromBytes(byte[] bytes, Class<T> type) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException("cannot read " + type.getSimpleName(), e);
        }
    }
}
