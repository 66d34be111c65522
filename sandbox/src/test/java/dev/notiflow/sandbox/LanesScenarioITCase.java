package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.testkit.providers.ProviderScript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.notiflow.sandbox.ScenarioOutput.is;
import static dev.notiflow.sandbox.ScenarioOutput.read;
import static dev.notiflow.sandbox.ScenarioOutput.select;
import static dev.notiflow.sandbox.ScenarioOutput.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local run with {@code --lanes} on {@code scenarios/lanes}: the lane router and the three lane
 * jobs, each on its own MiniCluster. A high-priority login code, a normal order update and a
 * low-priority newsletter each reach their lane and are sent; {@code both-1}, sent once as high and
 * then again as low, is routed to the high lane only and sent once (the second is a {@code
 * DUPLICATE_EVENT}); {@code bad-1}'s unknown priority goes to the DLQ.
 */
class LanesScenarioITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path out;

    @Test
    void shouldRouteEachEventToItsLaneAndSendAnEventIdOnTwoLanesOnce() throws Exception {
        Path input =
                Path.of(getClass().getResource("/scenarios/lanes/events.jsonl").toURI())
                        .getParent();

        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.acceptAll(),
                        Map.of(LocalRun.LANES, "true", "restart-strategy.type", "none"));

        assertThat(exit).as("exit code").isZero();
        JsonNode summary = JSON.readTree(Files.readString(out.resolve("summary.json")));
        // login-1 and both-1 on the high lane, order-1 on normal, news-1 on low; bad-1 on none.
        assertThat(summary.path("lanes").toString())
                .isEqualTo("{\"high\":2,\"normal\":1,\"low\":1}");

        List<JsonNode> deliveries = read(out.resolve("deliveries.jsonl"));
        assertThat(deliveries)
                .extracting(d -> text(d, "eventId") + " " + channel(d) + " " + status(d))
                .containsExactlyInAnyOrder(
                        "login-1 push SENT",
                        "order-1 push SENT",
                        "order-1 email SENT",
                        "news-1 email SENT",
                        "both-1 email SENT",
                        "both-1 - SKIPPED/DUPLICATE_EVENT");
        assertThat(select(deliveries, d -> is(d, "eventId", "login-1")))
                .extracting(d -> text(d, "priority"))
                .containsExactly("high");
        assertThat(select(deliveries, d -> is(d, "eventId", "news-1")))
                .extracting(d -> text(d, "priority"))
                .containsExactly("low");

        List<JsonNode> dlq = read(out.resolve("dlq.jsonl"));
        assertThat(dlq)
                .extracting(d -> text(d, "kind") + "/" + text(d, "reason") + " " + text(d, "key"))
                .containsExactly("INPUT/UNKNOWN_PRIORITY bad-1");
        assertThat(text(dlq.get(0), "detail")).contains("priority");
    }

    private static String channel(JsonNode d) {
        return text(d, "channel").isEmpty() ? "-" : text(d, "channel");
    }

    private static String status(JsonNode d) {
        String reason = text(d, "reason");
        return text(d, "status") + (reason.isEmpty() ? "" : "/" + reason);
    }
}
