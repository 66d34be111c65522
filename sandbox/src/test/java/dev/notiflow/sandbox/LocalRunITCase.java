package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The local run end to end, as {@code scripts/run-local.sh --input DIR --out DIR --provider-script
 * FILE} runs it: real broker, MiniCluster, and the real provider clients against the local
 * providers.
 */
class LocalRunITCase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SLOW_USERS =
            List.of("slow-a", "slow-b", "slow-c", "stuck-a", "stuck-b");

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

    /**
     * Timeouts never send twice: a slow SMTP server that answers within the client's own timeout
     * delivers each email once and the notification is SENT, even though it answers later than a
     * short async timeout would allow (the job refuses such a timeout); a server slower than the
     * client's timeout makes the client give up, and each attempt the job counts reached the server
     * once. Counted by the SMTP server itself, per Message-ID.
     */
    @Test
    void shouldTurnTimeoutsIntoRetriesAndKeepCheckpointing() throws Exception {
        Path input = Files.createDirectories(out.resolve("slow-input"));
        List<String> prefs = new ArrayList<>();
        List<String> events = new ArrayList<>();
        ObjectNode script = JSON.createObjectNode();
        for (String user : SLOW_USERS) {
            prefs.add("{\"userId\":\"" + user + "\",\"email\":\"" + user + "@example.com\"}");
            events.add(
                    "{\"eventId\":\""
                            + user
                            + "-1\",\"type\":\"order.shipped\",\"userIds\":[\""
                            + user
                            + "\"],\"channels\":[\"email\"]}");
            // Within the client's 2 s read timeout, or beyond it.
            script.with("email")
                    .putObject(user + "@example.com")
                    .put("latencyMs", user.startsWith("slow") ? 1000 : 3000);
        }
        Files.write(input.resolve("preferences.jsonl"), prefs);
        Files.write(input.resolve("events.jsonl"), events);

        Map<String, String> overrides = new LinkedHashMap<>();
        // The client gives up on a reply after 2 s; the async timeout must be above
        // 500 ms + 1 s + 2 s.
        overrides.put("email.max-queue-wait", "500 ms");
        overrides.put("email.smtp.connect-timeout", "1 s");
        overrides.put("email.smtp.read-timeout", "2 s");
        overrides.put("email.connections", "8");
        overrides.put("retry.smtp.max-attempts", "3");
        overrides.put("retry.smtp.initial-backoff", "100 ms");
        overrides.put("restart-strategy.type", "none");

        // The short async timeout this test used to run with is refused at start.
        Map<String, String> tooShort = new LinkedHashMap<>(overrides);
        tooShort.put("send.smtp.timeout", "300 ms");
        assertThatThrownBy(() -> LocalRun.run(input, out, ProviderScript.acceptAll(), tooShort))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("send.smtp.timeout (300 ms)")
                .hasMessageContaining(
                        "email.max-queue-wait (500 ms) + email.smtp.connect-timeout (1 s)"
                                + " + email.smtp.read-timeout (2 s) = 3500 ms");

        try (ScriptedSmtpServer smtp =
                ScriptedSmtpServer.start(ProviderScript.parse(script.toString()))) {
            overrides.putAll(smtp.senderConfig());
            overrides.put("send.smtp.timeout", "4 s");

            int exit = LocalRun.run(input, out, ProviderScript.acceptAll(), overrides);

            assertThat(exit).isZero();
            // Records reach read_committed consumers only when checkpoints complete.
            List<JsonNode> deliveries = read("deliveries.jsonl");
            assertThat(deliveries)
                    .extracting(
                            d -> text(d, "userId"),
                            d -> text(d, "status"),
                            d -> text(d, "reason"),
                            d -> d.get("attempts").asInt())
                    .containsExactlyInAnyOrder(
                            tuple("slow-a", "SENT", null, 1),
                            tuple("slow-b", "SENT", null, 1),
                            tuple("slow-c", "SENT", null, 1),
                            tuple("stuck-a", "EXHAUSTED", "TIMEOUT", 3),
                            tuple("stuck-b", "EXHAUSTED", "TIMEOUT", 3));
            List<ReceivedCall> messages =
                    smtp.received().stream().filter(c -> c.notificationRef() != null).toList();
            Map<String, Long> expected = new LinkedHashMap<>();
            for (String user : SLOW_USERS) {
                // Once when the server answers in time; once per attempt when it does not.
                expected.put(user + "@example.com", user.startsWith("slow") ? 1L : 3L);
            }
            assertThat(
                            messages.stream()
                                    .collect(
                                            Collectors.groupingBy(
                                                    ReceivedCall::recipient,
                                                    Collectors.counting())))
                    .as("emails the SMTP server received per notification")
                    .isEqualTo(expected);
            assertThat(messages.stream().map(ReceivedCall::notificationRef).distinct())
                    .as("one Message-ID per notification, the same on every attempt")
                    .hasSize(SLOW_USERS.size());
        }
    }

    @Test
    void shouldRenderTheScenariosTemplatesAndShowWhatWasSentInSentJsonl() throws Exception {
        Path input = scenario("templates");
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
                        d -> text(d, "channel"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"),
                        d -> text(d, "locale"))
                .containsExactlyInAnyOrder(
                        tuple("ev-t1", "sms", "SENT", null, "ko"),
                        tuple("ev-t1", "email", "SENT", null, "ko"),
                        tuple("ev-t2", "push", "SENT", null, "en"),
                        tuple("ev-t2", "email", "SENT", null, "en"),
                        tuple("ev-t3", "email", "FAILED", "TEMPLATE_ERROR", null),
                        tuple("ev-t4", "sms", "FAILED", "TEMPLATE_ERROR", "ko"));
        Map<String, String> details =
                deliveries.stream()
                        .filter(d -> "TEMPLATE_ERROR".equals(text(d, "reason")))
                        .collect(Collectors.toMap(d -> text(d, "eventId"), d -> text(d, "detail")));
        assertThat(details)
                .containsEntry(
                        "ev-t3", "template 'no_such_template' not found for locale en-GB > en")
                .containsEntry(
                        "ev-t4",
                        "template 'order_shipped' (ko): sms: variable 'order.items' is not in the"
                                + " event's data");
        Map<String, String> ids =
                deliveries.stream()
                        .filter(d -> "SENT".equals(text(d, "status")))
                        .collect(
                                Collectors.toMap(
                                        d -> text(d, "eventId") + "/" + text(d, "channel"),
                                        d -> text(d, "notificationId")));

        List<JsonNode> sent = read("sent.jsonl");
        assertThat(sent)
                .extracting(
                        s -> text(s, "notificationId"),
                        s -> text(s, "provider"),
                        s -> text(s, "recipient"),
                        s -> text(s, "title"),
                        s -> text(s, "body"),
                        s -> text(s, "subject"),
                        s -> text(s, "text"),
                        s -> text(s, "html"))
                .containsExactlyInAnyOrder(
                        tuple(
                                ids.get("ev-t1/sms"),
                                "twilio",
                                "+821012345678",
                                null,
                                null,
                                null,
                                "주문 A-1 발송: Tea×2, Cake×1",
                                null),
                        tuple(
                                ids.get("ev-t1/email"),
                                "smtp",
                                "minji@example.com",
                                null,
                                null,
                                "Kim & <Lee>님, 주문 A-1이(가) 발송되었습니다",
                                "Kim & <Lee>님, 주문 A-1: Tea ×2 Cake ×1 ",
                                "<p>Kim &amp; &lt;Lee&gt;님,</p><ul><li>Tea ×2</li><li>Cake"
                                        + " ×1</li></ul>"),
                        tuple(
                                ids.get("ev-t2/push"),
                                "apns",
                                "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
                                "Order B-2 shipped",
                                "2 items: Mug, Pen",
                                null,
                                null,
                                null),
                        tuple(
                                ids.get("ev-t2/email"),
                                "smtp",
                                "sam@example.com",
                                null,
                                null,
                                "Sam, your order B-2 has shipped",
                                "Hello Sam, order B-2: Mug x1 Pen x3 ",
                                "<p>Hello Sam,</p><ul><li>Mug x1</li><li>Pen x3</li></ul>"));
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
