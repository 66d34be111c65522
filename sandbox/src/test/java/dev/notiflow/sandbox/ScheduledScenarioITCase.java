package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.testkit.providers.ProviderScript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.notiflow.sandbox.ScenarioOutput.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The local run on {@code scenarios/scheduled}: one event now, one with {@code "sendAt": "+20s"} to
 * two users, one due in 15 s and cancelled (cancellations.jsonl), one an hour ahead. The run waits
 * for the 20 s one (sent at or after its sendAt), the cancelled one ends CANCELLED, and the
 * hour-ahead one is listed as pending in summary.json.
 */
class ScheduledScenarioITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path out;

    @Test
    void shouldWaitForAnEventDueIn20SecondsAndListOneAnHourAheadAsPending() throws Exception {
        Path input =
                Path.of(getClass().getResource("/scenarios/scheduled/events.jsonl").toURI())
                        .getParent();
        Instant started = Instant.now();

        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.acceptAll(),
                        Map.of("restart-strategy.type", "none", "wait-scheduled", "1 min"));

        assertThat(exit).as("exit code").isZero();
        JsonNode summary = JSON.readTree(Files.readString(out.resolve("summary.json")));
        Map<String, Instant> sendAt = new HashMap<>();
        summary.path("scheduled")
                .forEach(
                        s ->
                                sendAt.put(
                                        s.path("eventId").asText(),
                                        Instant.parse(s.path("sendAt").asText())));
        assertThat(sendAt).containsOnlyKeys("soon-1", "cancel-1", "later-1");
        assertThat(sendAt.get("soon-1")).isAfterOrEqualTo(started.plusSeconds(20));

        List<JsonNode> deliveries = read(out.resolve("deliveries.jsonl"));
        assertThat(deliveries)
                .extracting(
                        d -> text(d, "eventId"),
                        d -> text(d, "userId"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"))
                .containsExactlyInAnyOrder(
                        tuple("now-1", "ava", "SENT", null),
                        tuple("soon-1", "ava", "SENT", null),
                        tuple("soon-1", "ben", "SENT", null),
                        tuple("cancel-1", "ben", "SKIPPED", "CANCELLED"));
        assertThat(deliveries)
                .filteredOn(d -> text(d, "eventId").equals("soon-1"))
                .allSatisfy(
                        d ->
                                assertThat(Instant.parse(text(d, "firstAttemptAt")))
                                        .isAfterOrEqualTo(sendAt.get("soon-1")));

        JsonNode pending = summary.path("pending");
        assertThat(pending).hasSize(1);
        assertThat(pending.get(0).path("eventId").asText()).isEqualTo("later-1");
        assertThat(pending.get(0).path("userIds").get(0).asText()).isEqualTo("ava");
        assertThat(Instant.parse(pending.get(0).path("sendAt").asText()))
                .isEqualTo(sendAt.get("later-1"));
        assertThat(Duration.between(started, sendAt.get("later-1")))
                .isGreaterThan(Duration.ofMinutes(59));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
