package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Reading a local run's JSON-lines outputs in the scenario tests. */
final class ScenarioOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ScenarioOutput() {}

    /** Every non-blank line of {@code file}, parsed. */
    static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }

    static List<JsonNode> select(List<JsonNode> nodes, Predicate<JsonNode> p) {
        return nodes.stream().filter(p).toList();
    }

    /** Whether the record's field is {@code value} as text. */
    static boolean is(JsonNode d, String field, String value) {
        return value.equals(text(d, field));
    }

    /** The field as text, {@code ""} when absent or null. */
    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }
}
