package dev.notiflow.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.serde.Json;

import java.time.Instant;
import java.util.Collection;

/** Small helpers over Jackson's tree model for the request builders. Not thread-safe. */
final class JsonBuilder {

    private JsonBuilder() {}

    static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    static void text(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    static void instant(ObjectNode o, String field, Instant value) {
        if (value != null) {
            o.put(field, value.toString());
        }
    }

    static void texts(ObjectNode o, String field, Collection<String> values) {
        if (values != null) {
            ArrayNode a = o.putArray(field);
            values.forEach(a::add);
        }
    }

    static byte[] bytes(ObjectNode o) {
        return Json.toBytes(o);
    }
}
