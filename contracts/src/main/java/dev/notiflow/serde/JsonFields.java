package dev.notiflow.serde;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict reading of one JSON input record: bytes must be UTF-8 and one JSON object without a
 * repeated key at any level and nested at most {@value #MAX_NESTING_DEPTH} deep, and each accessor
 * checks a field's type, throwing {@link InvalidRecordException} with the field's name. Ids (see
 * {@link #requiredId}) must not contain control characters. Stateless and thread-safe.
 */
final class JsonFields {

    /** Deepest nesting of objects and arrays an input record may have. */
    static final int MAX_NESTING_DEPTH = 64;

    // Input only: the job's own records are read with Json.MAPPER.
    private static final ObjectReader READER =
            new ObjectMapper(
                            JsonFactory.builder()
                                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                                    .streamReadConstraints(
                                            StreamReadConstraints.builder()
                                                    .maxNestingDepth(MAX_NESTING_DEPTH)
                                                    .build())
                                    .build())
                    .reader()
                    .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonFields() {}

    /** Decodes strict UTF-8 and parses one JSON object, after the size check. */
    static JsonNode readObject(byte[] value, int maxBytes) throws InvalidRecordException {
        if (value.length > maxBytes) {
            throw new InvalidRecordException(
                    Rejection.RECORD_TOO_LARGE,
                    "record has " + value.length + " bytes, the limit is " + maxBytes);
        }
        String text;
        try {
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(value))
                            .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRecordException(
                    Rejection.INVALID_ENCODING, "value is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON, e.getOriginalMessage().replaceAll("\\s+", " "));
        }
        if (node == null || node.isMissingNode()) {
            throw new InvalidRecordException(Rejection.MALFORMED_JSON, "empty value");
        }
        if (!node.isObject()) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON,
                    "value must be a JSON object, was " + node.getNodeType());
        }
        return node;
    }

    static boolean present(JsonNode obj, String field) {
        JsonNode n = obj.get(field);
        return n != null && !n.isNull();
    }

    static String requiredText(JsonNode obj, String field) throws InvalidRecordException {
        if (!present(obj, field)) {
            throw new InvalidRecordException(Rejection.MISSING_FIELD, field + ": is required");
        }
        String value = optionalText(obj, field);
        if (value.isBlank()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD, field + ": must not be blank");
        }
        return value;
    }

    /** A required id: a non-blank string without control characters. */
    static String requiredId(JsonNode obj, String field) throws InvalidRecordException {
        return Ids.check(field, requiredText(obj, field));
    }

    /** An optional id: absent, or a non-blank string without control characters. */
    static String optionalId(JsonNode obj, String field) throws InvalidRecordException {
        String value = optionalText(obj, field);
        if (value != null && value.isBlank()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD, field + ": must not be blank");
        }
        return Ids.check(field, value);
    }

    /** An optional string that is not an id but must not contain control characters either. */
    static String optionalCleanText(JsonNode obj, String field) throws InvalidRecordException {
        return Ids.check(field, optionalText(obj, field));
    }

    static String optionalText(JsonNode obj, String field) throws InvalidRecordException {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD, field + ": must be a string, was " + n.getNodeType());
        }
        return n.textValue();
    }

    static Boolean optionalBoolean(JsonNode obj, String field) throws InvalidRecordException {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    field + ": must be true or false, was " + n.getNodeType());
        }
        return n.booleanValue();
    }

    static Instant optionalInstant(JsonNode obj, String field) throws InvalidRecordException {
        String text = optionalText(obj, field);
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidRecordException(
                    Rejection.INVALID_TIMESTAMP,
                    field + ": '" + text + "' is not an ISO-8601 timestamp with offset");
        }
    }

    /** An array of ids (non-blank, no control characters), or {@code null} when absent. */
    static List<String> optionalTextList(JsonNode obj, String field) throws InvalidRecordException {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    field + ": must be an array of strings, was " + n.getNodeType());
        }
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            if (!item.isTextual() || item.textValue().isBlank()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD, field + "[" + i + "]: must be a non-blank string");
            }
            out.add(Ids.check(field + "[" + i + "]", item.textValue()));
        }
        return out;
    }

    /** An object of booleans whose keys are ids, or {@code null} when absent. */
    static Map<String, Boolean> optionalFlags(JsonNode obj, String field)
            throws InvalidRecordException {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD, field + ": must be an object of booleans");
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        var it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            Ids.check(field + " key", e.getKey());
            if (!e.getValue().isBoolean()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        field + "." + e.getKey() + ": must be true or false");
            }
            out.put(e.getKey(), e.getValue().booleanValue());
        }
        return out;
    }

    /** An object whose values become text: strings as they are, other JSON as JSON text. */
    static Map<String, String> optionalTextMap(JsonNode obj, String field)
            throws InvalidRecordException {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD, field + ": must be an object, was " + n.getNodeType());
        }
        Map<String, String> out = new LinkedHashMap<>();
        var it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            JsonNode v = e.getValue();
            out.put(e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
        }
        return out;
    }
}
