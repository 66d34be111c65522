package dev.notiflow.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The topic JSON Schemas and examples shipped in {@code contracts/src/main/resources}, loaded from
 * the classpath exactly as a consumer of the jar would, with {@code format} asserted (draft 2020-12
 * only annotates it by default). Thread-safe: schemas are cached after the first load.
 */
final class TopicSchemas {

    /** Topics written by upstream systems and read by the job. */
    static final List<String> INPUT_TOPICS =
            List.of(
                    "notification-events",
                    "user-preferences",
                    "device-tokens",
                    "notification-templates",
                    "notification-cancellations",
                    "notification-engagement");

    /** Topics written by the job. */
    static final List<String> OUTPUT_TOPICS =
            List.of("notification-deliveries", "notification-dlq", "device-token-invalidations");

    private static final JsonSchemaFactory FACTORY =
            JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private static final SchemaValidatorsConfig CONFIG =
            SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

    private static final Map<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

    private TopicSchemas() {}

    static String schemaPath(String topic) {
        return "schemas/" + topic + ".schema.json";
    }

    static String examplePath(String topic) {
        return "examples/" + topic + ".json";
    }

    static JsonSchema schema(String topic) {
        return CACHE.computeIfAbsent(
                topic,
                t -> FACTORY.getSchema(SchemaLocation.of("classpath:" + schemaPath(t)), CONFIG));
    }

    /** The schema violations of a value, as sorted human-readable messages; empty when valid. */
    private static final ObjectMapper GENERIC_READER = new ObjectMapper();

    static Set<String> violations(String topic, JsonNode value) {
        Set<String> out = new TreeSet<>();
        for (ValidationMessage m : schema(topic).validate(value)) {
            out.add(m.getMessage());
        }
        return out;
    }

    /**
     * The schema violations of raw JSON bytes; bytes that are not JSON count as one violation. The
     * bytes are read as a generic validator would, a repeated key keeping its last value (JSON
     * Schema cannot see repeated keys; the parsers reject them).
     */
    static Set<String> violations(String topic, byte[] json) {
        JsonNode node;
        try {
            node = GENERIC_READER.readTree(json);
        } catch (IOException e) {
            return Set.of("not JSON: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            return Set.of("not JSON: empty");
        }
        return violations(topic, node);
    }

    static byte[] resource(String path) {
        try (InputStream in = TopicSchemas.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] example(String topic) {
        return resource(examplePath(topic));
    }
}
