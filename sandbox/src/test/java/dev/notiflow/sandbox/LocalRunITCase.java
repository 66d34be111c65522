package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.testkit.providers.ProviderScript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The local run end to end, as {@code scripts/run-local.sh --input DIR --out DIR --provider-script
 * FILE} runs it: real broker, MiniCluster, and the real provider clients against the local
 * providers.
 */
class LocalRunITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path out;

    @Test
    void shouldWriteTheExpectedOutcomesForAHandMadeScenario() throws Exception {
        Path input = scenario("basic");
        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.load(input.resolve("provider-script.json")),
                        Map.of());

        assertThat(exit).isZero();
        List<JsonNode> deliveries = read("deliveries.jsonl");
        assertThat(deliveries)
                .extracting(
                        d -> text(d, "eventId"),
                        d -> text(d, "userId"),
                        d -> text(d, "channel"),
                        d -> text(d, "provider"),
                        d -> text(d, "platform"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("ev-1", "alice", "push", "apns", "ios", "SENT", null),
                        tuple("ev-1", "alice", "push", "fcm", "android", "SENT", null),
                        tuple("ev-1", "alice", "push", "fcm", "web", "SENT", null),
                        tuple("ev-1", "alice", "sms", "twilio", null, "SENT", null),
                        tuple("ev-1", "alice", "email", "smtp", null, "SENT", null),
                        tuple("ev-2", "bob", "push", "apns", "ios", "FAILED", "TOKEN_UNREGISTERED"),
                        tuple("ev-2", "bob", "email", "smtp", null, "SENT", null),
                        tuple(
                                "ev-3",
                                "carol",
                                "email",
                                "smtp",
                                null,
                                "SKIPPED",
                                "CATEGORY_OPTED_OUT"),
                        tuple("ev-4", "dave", "sms", "twilio", null, "FAILED", "INVALID_CONTACT"),
                        tuple("ev-4", "dave", "email", "smtp", null, "FAILED", "INVALID_CONTACT"),
                        tuple("ev-1", null, null, null, null, "SKIPPED", "DUPLICATE_EVENT"),
                        tuple("ev-5", "nobody", null, null, null, "SKIPPED", "NO_PROFILE"),
                        tuple("ev-6", "bob", "sms", "twilio", null, "SKIPPED", "OPTED_OUT"));
        assertThat(read("dlq.jsonl"))
                .extracting(d -> text(d, "kind"), d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("INPUT", "MALFORMED_JSON"),
                        tuple("SEND", "TOKEN_UNREGISTERED"),
                        tuple("SEND", "INVALID_CONTACT"),
                        tuple("SEND", "INVALID_CONTACT"));
        assertThat(read("token-invalidations.jsonl"))
                .extracting(
                        d -> text(d, "userId"), d -> text(d, "provider"), d -> text(d, "reason"))
                .containsExactly(tuple("bob", "apns", "TOKEN_UNREGISTERED"));
        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("deliveries").asInt()).isEqualTo(13);
        assertThat(summary.at("/byStatus/SENT").asInt()).isEqualTo(6);
        assertThat(summary.at("/byReason/TOKEN_UNREGISTERED").asInt()).isEqualTo(1);
    }

    @Test
    void shouldRetryTransientFailuresUntilSentOrExhaustedWithoutRestarting() throws Exception {
        Path input = Files.createDirectories(out.resolve("storm-input"));
        List<String> prefs = new ArrayList<>();
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            prefs.add("{\"userId\":\"u" + i + "\",\"email\":\"u" + i + "@example.com\"}");
            events.add(
                    "{\"eventId\":\"storm-"
                            + i
                            + "\",\"type\":\"order.shipped\",\"userIds\":[\"u"
                            + i
                            + "\"],\"channels\":[\"email\"]}");
        }
        prefs.add("{\"userId\":\"limited\",\"phone\":\"+14155552671\"}");
        events.add(
                "{\"eventId\":\"limited-1\",\"type\":\"order.shipped\",\"userIds\":[\"limited\"],\"channels\":[\"sms\"]}");
        Files.write(input.resolve("preferences.jsonl"), prefs);
        Files.write(input.resolve("events.jsonl"), events);
        ProviderScript script =
                ProviderScript.parse(
                        "{\"sms\": {\"+14155552671\": {\"status\": 429, \"code\": 20429, \"retryAfter\": 2}},"
                                + " \"transientFailureRate\": 0.3}");

        int exit =
                LocalRun.run(
                        input,
                        out,
                        script,
                        Map.of(
                                "retry.smtp.max-attempts", "8",
                                "retry.smtp.initial-backoff", "100 ms",
                                "retry.smtp.max-backoff", "1 s",
                                "retry.twilio.max-attempts", "3",
                                "retry.twilio.initial-backoff", "100 ms",
                                "restart-strategy.type", "none"));

        assertThat(exit).isZero();
        List<JsonNode> deliveries = read("deliveries.jsonl");
        List<JsonNode> storm =
                deliveries.stream().filter(d -> text(d, "eventId").startsWith("storm-")).toList();
        assertThat(storm).hasSize(40);
        assertThat(storm)
                .extracting(d -> text(d, "status"))
                .allMatch(s -> s.equals("SENT") || s.equals("EXHAUSTED"));
        assertThat(storm)
                .extracting(d -> d.get("attempts").asInt())
                .anyMatch(a -> a > 1)
                .allMatch(a -> a >= 1 && a <= 8);
        assertThat(storm).extracting(d -> text(d, "notificationId")).doesNotHaveDuplicates();

        JsonNode limited =
                deliveries.stream()
                        .filter(d -> "limited-1".equals(text(d, "eventId")))
                        .findFirst()
                        .orElseThrow();
        assertThat(text(limited, "status")).isEqualTo("EXHAUSTED");
        assertThat(text(limited, "reason")).isEqualTo("RATE_LIMITED");
        assertThat(limited.get("attempts").asInt()).isEqualTo(3);
        Duration spread =
                Duration.between(
                        Instant.parse(text(limited, "firstAttemptAt")),
                        Instant.parse(text(limited, "finalAt")));
        assertThat(spread)
                .as("two waits of at least the 2 s Retry-After")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void shouldTurnTimeoutsIntoRetriesAndKeepCheckpointing() throws Exception {
        Path input = Files.createDirectories(out.resolve("slow-input"));
        Files.write(
                input.resolve("preferences.jsonl"),
                List.of("{\"userId\":\"slow\",\"email\":\"slow@example.com\"}"));
        Files.write(
                input.resolve("events.jsonl"),
                List.of(
                        "{\"eventId\":\"slow-1\",\"type\":\"order.shipped\",\"userIds\":[\"slow\"],\"channels\":[\"email\"]}"));

        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.parse("{\"latencyMs\": 1500}"),
                        Map.of(
                                "send.smtp.timeout", "300 ms",
                                "retry.smtp.max-attempts", "3",
                                "retry.smtp.initial-backoff", "100 ms",
                                "restart-strategy.type", "none"));

        assertThat(exit).isZero();
        // Records reach read_committed consumers only when checkpoints complete.
        assertThat(read("deliveries.jsonl"))
                .extracting(
                        d -> text(d, "status"),
                        d -> text(d, "reason"),
                        d -> d.get("attempts").asInt())
                .containsExactly(tuple("EXHAUSTED", "TIMEOUT", 3));
    }

    private Path scenario(String name) throws URISyntaxException {
        return Path.of(getClass().getResource("/scenarios/" + name + "/events.jsonl").toURI())
                .getParent();
    }

    private List<JsonNode> read(String file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(this.out.resolve(file))) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
