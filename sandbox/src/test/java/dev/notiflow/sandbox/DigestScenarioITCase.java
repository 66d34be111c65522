package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.testkit.providers.ProviderScript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.notiflow.sandbox.ScenarioOutput.is;
import static dev.notiflow.sandbox.ScenarioOutput.read;
import static dev.notiflow.sandbox.ScenarioOutput.select;
import static dev.notiflow.sandbox.ScenarioOutput.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local run on {@code scenarios/digest} with social digested in windows of 20 s and 3 items per
 * digest (longer than the run's quiet period: the run waits because the job's held-back gauge
 * counts the open windows, and stops once they closed): five likes to mia on push (one device) and
 * email become one digest per channel, rendered with {@code digest.social} (the count, three names
 * and how many more), and the five notifications of each channel end DIGESTED naming the digest; a
 * high-priority like is sent at once on both channels.
 */
class DigestScenarioITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path out;

    @Test
    void shouldFoldFiveLikesIntoOneDigestPerChannel() throws Exception {
        Path input =
                Path.of(getClass().getResource("/scenarios/digest/events.jsonl").toURI())
                        .getParent();

        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.acceptAll(),
                        Map.of(
                                "restart-strategy.type", "none",
                                "digest.windows", "social:20 s",
                                "digest.max-items", "3"));

        assertThat(exit).as("exit code").isZero();
        List<JsonNode> deliveries = read(out.resolve("deliveries.jsonl"));
        assertThat(deliveries).hasSize(14);

        List<JsonNode> sent = select(deliveries, d -> is(d, "status", "SENT"));
        List<JsonNode> digests = select(sent, d -> text(d, "eventId").endsWith(".digest"));
        assertThat(digests).extracting(d -> text(d, "channel")).containsOnly("push", "email");
        assertThat(digests).hasSize(2);
        assertThat(select(sent, d -> is(d, "eventId", "like-urgent"))).hasSize(2);

        List<JsonNode> digested = select(deliveries, d -> is(d, "reason", "DIGESTED"));
        assertThat(digested).hasSize(10);
        for (JsonNode digest : digests) {
            String channel = text(digest, "channel");
            List<JsonNode> folded = select(digested, d -> is(d, "channel", channel));
            assertThat(folded)
                    .extracting(d -> text(d, "eventId"))
                    .containsExactlyInAnyOrder("like-1", "like-2", "like-3", "like-4", "like-5");
            assertThat(folded)
                    .allSatisfy(
                            d -> {
                                assertThat(text(d, "status")).isEqualTo("SKIPPED");
                                assertThat(text(d, "detail"))
                                        .isEqualTo("in digest " + text(digest, "notificationId"));
                            });
        }

        List<JsonNode> messages = read(out.resolve("sent.jsonl"));
        assertThat(messages).hasSize(4);
        JsonNode push = only(messages, digests, "push");
        assertThat(text(push, "title")).isEqualTo("5 new likes");
        assertThat(text(push, "body")).matches("\\w+, \\w+, \\w+ and 2 more liked Holiday photos");
        JsonNode email = only(messages, digests, "email");
        assertThat(text(email, "subject")).isEqualTo("5 new likes");
        assertThat(text(email, "text")).matches("\\w+, \\w+, \\w+ and 2 more liked your posts");

        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.at("/byStatus/SENT").asInt()).isEqualTo(4);
        assertThat(summary.at("/byReason/DIGESTED").asInt()).isEqualTo(10);
        assertThat(summary.path("deadLetters").asInt()).isZero();
        assertThat(summary.path("held").asLong()).as("held back at the stop").isZero();
    }

    /** The provider call of the digest sent on a channel. */
    private static JsonNode only(List<JsonNode> messages, List<JsonNode> digests, String channel) {
        String id = text(select(digests, d -> is(d, "channel", channel)).get(0), "notificationId");
        List<JsonNode> calls = select(messages, m -> is(m, "notificationId", id));
        assertThat(calls).as("provider calls of the %s digest", channel).hasSize(1);
        return calls.get(0);
    }
}
