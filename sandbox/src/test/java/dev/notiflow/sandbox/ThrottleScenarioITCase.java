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
 * The local run on {@code scenarios/throttle} with the shipped throttle rules ({@code
 * marketing:*<=3/1h,marketing:*<=10/1d}): a burst of six marketing events to mia (five on push, to
 * her two devices, and email; one more on email, also to noah) and five order events to her on both
 * channels. Per channel, three of mia's marketing notifications are sent and the rest end
 * THROTTLED, one record per channel; the order burst and noah's one are all sent.
 */
class ThrottleScenarioITCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path out;

    @Test
    void shouldSendPartOfAMarketingBurstAndAllOfATransactionalOne() throws Exception {
        Path input =
                Path.of(getClass().getResource("/scenarios/throttle/events.jsonl").toURI())
                        .getParent();

        int exit =
                LocalRun.run(
                        input,
                        out,
                        ProviderScript.acceptAll(),
                        Map.of("restart-strategy.type", "none"));

        assertThat(exit).as("exit code").isZero();
        List<JsonNode> deliveries = read(out.resolve("deliveries.jsonl"));
        assertThat(deliveries).hasSize(30);

        List<JsonNode> sales = select(deliveries, d -> text(d, "category").equals("marketing"));
        List<JsonNode> miaPush =
                select(sales, d -> text(d, "userId").equals("mia") && is(d, "channel", "push"));
        List<JsonNode> miaEmail =
                select(sales, d -> text(d, "userId").equals("mia") && is(d, "channel", "email"));
        // Push: three events sent to both devices; two throttled, one record each.
        assertThat(select(miaPush, d -> is(d, "status", "SENT"))).hasSize(6);
        List<JsonNode> pushThrottled = select(miaPush, d -> is(d, "reason", "THROTTLED"));
        assertThat(pushThrottled).hasSize(2);
        assertThat(pushThrottled)
                .allSatisfy(
                        d -> {
                            assertThat(text(d, "status")).isEqualTo("SKIPPED");
                            assertThat(d.get("device").isNull()).isTrue();
                            assertThat(text(d, "detail")).isEqualTo("marketing:*<=3/1h");
                        });
        assertThat(
                        select(miaPush, d -> is(d, "status", "SENT")).stream()
                                .map(d -> text(d, "eventId"))
                                .distinct())
                .hasSize(3)
                .doesNotContainAnyElementsOf(
                        pushThrottled.stream().map(d -> text(d, "eventId")).toList());
        // Email: six events, three sent, three throttled.
        assertThat(select(miaEmail, d -> is(d, "status", "SENT"))).hasSize(3);
        assertThat(select(miaEmail, d -> is(d, "reason", "THROTTLED"))).hasSize(3);
        // noah had one marketing email: sent.
        assertThat(select(sales, d -> text(d, "userId").equals("noah")))
                .extracting(d -> text(d, "status"))
                .containsExactly("SENT");

        List<JsonNode> orders = select(deliveries, d -> text(d, "category").equals("order"));
        assertThat(orders).hasSize(15);
        assertThat(orders).extracting(d -> text(d, "status")).containsOnly("SENT");

        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.at("/byStatus/SENT").asInt()).isEqualTo(25);
        assertThat(summary.at("/byReason/THROTTLED").asInt()).isEqualTo(5);
        assertThat(summary.path("deadLetters").asInt()).isZero();
        assertThat(summary.path("deliveryTableRows").asInt(-1))
                .as("rows in the delivery table")
                .isEqualTo(30);
    }
}
