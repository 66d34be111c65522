package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.testkit.providers.ProviderScript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The local run on hand-made bad input ({@code scenarios/bad-input}): keyless and non-object lines
 * on every input topic, invalid UTF-8, raw and escaped NUL and other control characters in ids,
 * repeated keys, wrong types, empty ids, deep nesting and oversize records, between a few good
 * lines. The run ends well (exit 0: no restart, the delivery table holds every delivery), and every
 * line is accounted for: a good line by its deliveries, a bad one by exactly one dead letter with
 * the reason expected for it.
 */
class BadInputITCase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OK = "OK";

    /** The outcome of each non-blank line of preferences.jsonl, in file order. */
    private static final List<String> PREFERENCES =
            List.of(
                    OK, // alice
                    OK, // bob
                    "MISSING_FIELD", // no userId: keyed line-3 by the run
                    "MALFORMED_JSON", // an array
                    "MALFORMED_JSON", // a number
                    "MALFORMED_JSON", // a string
                    "MALFORMED_JSON", // null
                    "MALFORMED_JSON", // not JSON
                    "INVALID_ENCODING", // Latin-1 byte
                    "INVALID_FIELD", // escaped NUL in userId
                    "INVALID_FIELD", // U+0007 in userId
                    "MALFORMED_JSON", // userId twice
                    "INVALID_FIELD", // userId a number
                    "INVALID_FIELD", // empty userId
                    "MALFORMED_JSON", // nested 100 deep
                    "RECORD_TOO_LARGE",
                    "MALFORMED_JSON", // raw NUL byte inside a string
                    "INVALID_FIELD", // U+0085 in userId
                    "INVALID_FIELD"); // channel flag not a boolean

    private static final List<String> TOKENS =
            List.of(
                    OK, // alice's iPhone
                    "MISSING_FIELD", // no userId
                    "MALFORMED_JSON", // an array
                    "MALFORMED_JSON", // true
                    "INVALID_ENCODING", // UTF-16 byte order mark
                    "INVALID_FIELD", // escaped NUL in token
                    "INVALID_FIELD", // escaped newline in token
                    "MALFORMED_JSON", // platform twice
                    "INVALID_FIELD", // active "false"
                    "INVALID_FIELD", // empty token
                    "UNKNOWN_PLATFORM",
                    "MALFORMED_JSON", // nested 100 deep
                    "RECORD_TOO_LARGE");

    private static final List<String> EVENTS =
            List.of(
                    OK, // good-1: alice email and push
                    OK, // good-2: bob sms
                    OK, // good-3: nobody, NO_PROFILE
                    "MISSING_FIELD", // no eventId
                    "MALFORMED_JSON", // an array
                    "MALFORMED_JSON", // a number
                    "INVALID_ENCODING", // a truncated two-byte sequence
                    "INVALID_FIELD", // NUL in a user id: was NO_PROFILE and a row the table refused
                    "INVALID_FIELD", // ESC in eventId
                    "INVALID_FIELD", // DEL in type
                    "MALFORMED_JSON", // userIds twice
                    "INVALID_FIELD", // eventId a number
                    "INVALID_FIELD", // userIds a string
                    "INVALID_FIELD", // empty eventId
                    "INVALID_FIELD", // empty user id
                    "INVALID_FIELD", // no user ids
                    "MALFORMED_JSON", // nested 100 deep
                    "RECORD_TOO_LARGE",
                    "MALFORMED_JSON", // raw NUL byte inside a string
                    "INVALID_FIELD", // unpaired surrogate in a user id
                    "UNKNOWN_CHANNEL",
                    "MALFORMED_JSON", // text after the object
                    OK, // good-crlf: bob email, line ends with CR LF
                    OK); // good-utf8: bob email, Hangul and emoji in data

    @TempDir Path out;

    @Test
    void shouldAccountForEveryLineAndEndWell() throws Exception {
        Path input =
                Path.of(getClass().getResource("/scenarios/bad-input/events.jsonl").toURI())
                        .getParent();

        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.load(input.resolve("provider-script.json")),
                        Map.of("restart-strategy.type", "none"));

        assertThat(exit).as("exit code").isZero();
        List<JsonNode> dlq = read("dlq.jsonl");
        assertThat(dlq).extracting(d -> d.get("kind").asText()).containsOnly("INPUT");
        assertThat(dlq).allSatisfy(d -> assertThat(d.get("detail").asText()).isNotBlank());
        Map<String, List<JsonNode>> byTopic = new HashMap<>();
        for (JsonNode d : dlq) {
            byTopic.computeIfAbsent(d.get("sourceTopic").asText(), t -> new ArrayList<>()).add(d);
        }
        checkLines(
                input.resolve("preferences.jsonl"), PREFERENCES, byTopic.get("user-preferences"));
        checkLines(input.resolve("tokens.jsonl"), TOKENS, byTopic.get("device-tokens"));
        checkLines(input.resolve("events.jsonl"), EVENTS, byTopic.get("notification-events"));
        assertThat(byTopic)
                .containsOnlyKeys("user-preferences", "device-tokens", "notification-events");

        assertThat(read("deliveries.jsonl"))
                .extracting(
                        d -> text(d, "eventId"),
                        d -> text(d, "userId"),
                        d -> text(d, "channel"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("good-1", "alice", "email", "SENT", null),
                        tuple("good-1", "alice", "push", "SENT", null),
                        tuple("good-2", "bob", "sms", "SENT", null),
                        tuple("good-3", "nobody", null, "SKIPPED", "NO_PROFILE"),
                        tuple("good-crlf", "bob", "email", "SENT", null),
                        tuple("good-utf8", "bob", "email", "SENT", null));
        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("deliveries").asInt()).isEqualTo(6);
        assertThat(summary.path("deliveryTableRows").asInt(-1))
                .as("rows in the delivery table")
                .isEqualTo(6);
    }

    /**
     * Each bad line has exactly one dead letter from its topic, matched by its exact bytes, with
     * the expected reason; a good line has none; and there are no other dead letters.
     */
    private static void checkLines(Path file, List<String> expected, List<JsonNode> deadLetters)
            throws IOException {
        List<byte[]> lines = new ArrayList<>();
        for (byte[] line : LocalRun.lines(Files.readAllBytes(file))) {
            if (!new String(line, StandardCharsets.ISO_8859_1).isBlank()) {
                lines.add(line);
            }
        }
        assertThat(lines).as("lines of %s", file.getFileName()).hasSameSizeAs(expected);
        Map<String, List<String>> reasonsByPayload = new HashMap<>();
        for (JsonNode d : deadLetters) {
            reasonsByPayload
                    .computeIfAbsent(d.get("payloadBase64").asText(), p -> new ArrayList<>())
                    .add(d.get("reason").asText());
        }
        List<String> actual = new ArrayList<>();
        for (byte[] line : lines) {
            List<String> reasons =
                    reasonsByPayload.getOrDefault(
                            Base64.getEncoder().encodeToString(line), List.of());
            actual.add(reasons.isEmpty() ? OK : String.join("+", reasons));
        }
        assertThat(actual).as("outcome of each line of %s", file.getFileName()).isEqualTo(expected);
        assertThat(deadLetters)
                .as("dead letters from %s", file.getFileName())
                .hasSize((int) expected.stream().filter(r -> !r.equals(OK)).count());
    }

    private List<JsonNode> read(String file) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve(file))) {
            if (!line.isBlank()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
