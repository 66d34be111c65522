package dev.notiflow.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.notiflow.gateway.GatewayHarness.ALL_KEY;
import static dev.notiflow.gateway.GatewayHarness.MANAGE_KEY;
import static dev.notiflow.gateway.GatewayHarness.READ_KEY;
import static dev.notiflow.gateway.GatewayHarness.SEND_KEY;
import static dev.notiflow.gateway.GatewayHarness.TOPIC_EVENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code POST /v1/events} over real HTTP against a real broker and PostgreSQL: per-item answers,
 * only valid events on the topic (read {@code read_committed}), idempotent repeats, 422, auth,
 * scopes, 413, 429, and a stopped broker (503, nothing enqueued).
 */
class EventsApiITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA =
            new KafkaExtension(
                    LocalKafka.builder().brokerConfig("auto.create.topics.enable", "false"));

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        GatewayHarness.createTopics(KAFKA);
        gw =
                new GatewayHarness(
                        GatewayHarness.config(
                                KAFKA,
                                PG,
                                Map.of(
                                        "gateway.max-request-bytes",
                                        "262144",
                                        // the 503 test waits this long for the stopped broker
                                        "gateway.kafka-timeout",
                                        "5 s")));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static String event(String id) {
        return "{\"eventId\":\"" + id + "\",\"type\":\"order.shipped\",\"userIds\":[\"u1\"]}";
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    /** The committed records of the events topic whose key starts with {@code prefix}. */
    static List<ConsumerRecord<String, String>> committed(String prefix) {
        return KAFKA.kafka().readAllCommitted(TOPIC_EVENTS, Duration.ofSeconds(1)).stream()
                .filter(r -> r.key() != null && r.key().startsWith(prefix))
                .toList();
    }

    @Test
    void batchAnswersPerItemAndEnqueuesOnlyTheValidOnes() throws Exception {
        String body =
                "{\"events\":["
                        + event("batch-1")
                        + ",{\"eventId\":\"batch-2\",\"userIds\":[\"u1\"]},"
                        + event("batch-3")
                        + ",{\"eventId\":\"batch-4\",\"type\":\"t\",\"userIds\":[\"u1\"],\"channels\":[\"fax\"]}"
                        + ",[1]]}";
        HttpResponse<String> r = gw.send("POST", "/v1/events", SEND_KEY, body);

        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode answer = json(r);
        assertThat(answer.get("accepted").toString())
                .isEqualTo(
                        "[{\"index\":0,\"eventId\":\"batch-1\"},{\"index\":2,\"eventId\":\"batch-3\"}]");
        assertThat(answer.get("rejected")).hasSize(3);
        assertThat(answer.get("rejected").get(0).get("index").asInt()).isEqualTo(1);
        assertThat(answer.get("rejected").get(0).get("reason").asText()).isEqualTo("MISSING_FIELD");
        assertThat(answer.get("rejected").get(0).get("detail").asText()).startsWith("type");
        assertThat(answer.get("rejected").get(1).get("reason").asText())
                .isEqualTo("UNKNOWN_CHANNEL");
        assertThat(answer.get("rejected").get(2).get("index").asInt()).isEqualTo(4);
        assertThat(answer.get("rejected").get(2).get("reason").asText())
                .isEqualTo("MALFORMED_JSON");

        List<ConsumerRecord<String, String>> records = committed("batch-");
        assertThat(records)
                .extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("batch-1", "batch-3");
        assertThat(Json.MAPPER.readTree(records.get(0).value()).get("type").asText())
                .isEqualTo("order.shipped");
    }

    @Test
    void singleEventTooLargeForTheJobIsRejectedLikeTheJob() throws Exception {
        String big = "x".repeat(70 * 1024);
        String body =
                "{\"eventId\":\"large-1\",\"type\":\"t\",\"userIds\":[\"u1\"],\"data\":{\"a\":\""
                        + big
                        + "\"}}";
        HttpResponse<String> r = gw.send("POST", "/v1/events", SEND_KEY, body);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(json(r).get("rejected").get(0).get("reason").asText())
                .isEqualTo("RECORD_TOO_LARGE");
        assertThat(committed("large-")).isEmpty();
    }

    @Test
    void repeatedKeyAnswersTheSameWithoutEnqueueingAgainAndAnotherBodyIs422() throws Exception {
        String body = "{\"events\":[" + event("idem-1") + "," + event("idem-2") + "]}";
        HttpResponse<String> first =
                gw.send("POST", "/v1/events", SEND_KEY, body, "Idempotency-Key", "order-7");
        HttpResponse<String> second =
                gw.send("POST", "/v1/events", SEND_KEY, body, "Idempotency-Key", "order-7");
        HttpResponse<String> other =
                gw.send(
                        "POST",
                        "/v1/events",
                        SEND_KEY,
                        "{\"events\":[" + event("idem-3") + "]}",
                        "Idempotency-Key",
                        "order-7");
        // a single event is keyed by its eventId without a header
        HttpResponse<String> single1 = gw.send("POST", "/v1/events", SEND_KEY, event("idem-4"));
        HttpResponse<String> single2 = gw.send("POST", "/v1/events", SEND_KEY, event("idem-4"));
        HttpResponse<String> single3 =
                gw.send(
                        "POST",
                        "/v1/events",
                        SEND_KEY,
                        event("idem-4").replace("order.shipped", "order.lost"));

        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(second.statusCode()).isEqualTo(202);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(single1.statusCode()).isEqualTo(202);
        assertThat(single2.statusCode()).isEqualTo(202);
        assertThat(single2.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(single3.statusCode()).isEqualTo(422);
        assertThat(committed("idem-"))
                .extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("idem-1", "idem-2", "idem-4");
    }

    @Test
    void aClaimInProgressIs409AndAStaleOneIsTakenOver() throws Exception {
        Store store = gw.gateway.store();
        // a request that claimed the key and is still producing
        assertThat(
                        store.claim(
                                "sender",
                                "busy-1",
                                java.util.HexFormat.of()
                                        .formatHex(ApiKeys.sha256(bytes(event("busy-1")))),
                                Duration.ofHours(1),
                                Duration.ofMinutes(1)))
                .isInstanceOf(Store.Claimed.class);
        HttpResponse<String> r =
                gw.send(
                        "POST",
                        "/v1/events",
                        SEND_KEY,
                        event("busy-1"),
                        "Idempotency-Key",
                        "busy-1");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        // a gateway that died between claim and answer: after the stale time a repeat produces
        try (var c = PG.postgres().connect();
                var s = c.createStatement()) {
            s.executeUpdate(
                    "UPDATE gateway_requests SET claimed_at = now() - interval '1 hour'"
                            + " WHERE idem_key = 'busy-1'");
        }
        HttpResponse<String> again =
                gw.send(
                        "POST",
                        "/v1/events",
                        SEND_KEY,
                        event("busy-1"),
                        "Idempotency-Key",
                        "busy-1");
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(committed("busy-")).hasSize(1);
    }

    @Test
    void keysAndScopes() throws Exception {
        HttpResponse<String> none = gw.send("POST", "/v1/events", null, event("auth-1"));
        HttpResponse<String> unknown =
                gw.send("POST", "/v1/events", "no-such-key", event("auth-1"));
        HttpResponse<String> wrongScope = gw.send("POST", "/v1/events", READ_KEY, event("auth-1"));
        HttpResponse<String> manage = gw.send("GET", "/v1/events/auth-1", MANAGE_KEY, null);
        HttpResponse<String> ok = gw.send("POST", "/v1/events", ALL_KEY, event("auth-2"));

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(wrongScope.statusCode()).isEqualTo(403);
        assertThat(json(wrongScope).get("message").asText()).contains("send");
        assertThat(manage.statusCode()).isEqualTo(403);
        assertThat(ok.statusCode()).isEqualTo(202);
        assertThat(committed("auth-")).extracting(ConsumerRecord::key).containsExactly("auth-2");
    }

    @Test
    void tooLargeBodyIs413AndTooLargeBatchIs400() throws Exception {
        String huge =
                "{\"events\":["
                        + event("big-1")
                                .replace("}", ",\"data\":{\"a\":\"" + "y".repeat(300_000) + "\"}}")
                        + "]}";
        HttpResponse<String> r = gw.send("POST", "/v1/events", SEND_KEY, huge);
        assertThat(r.statusCode()).isEqualTo(413);

        StringBuilder many = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append("{}");
        }
        HttpResponse<String> batch = gw.send("POST", "/v1/events", SEND_KEY, many + "]}");
        assertThat(batch.statusCode()).isEqualTo(400);
        assertThat(committed("big-")).isEmpty();
    }

    @Test
    void highPriorityEventsGoToThePriorityInputWhenItIsSet() throws Exception {
        KAFKA.kafka().createTopic("notification-events-priority", 1, false);
        try (GatewayHarness lanes =
                new GatewayHarness(
                        GatewayHarness.config(
                                KAFKA,
                                PG,
                                Map.of(
                                        "topics.priority-events",
                                        "notification-events-priority")))) {
            String high =
                    "{\"eventId\":\"prio-1\",\"type\":\"auth.code\",\"priority\":\"high\","
                            + "\"userIds\":[\"u1\"]}";
            HttpResponse<String> r =
                    lanes.send(
                            "POST",
                            "/v1/events",
                            SEND_KEY,
                            "{\"events\":[" + high + "," + event("prio-2") + "]}");
            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(json(r).get("accepted")).hasSize(2);
        }
        assertThat(
                        KAFKA
                                .kafka()
                                .readAllCommitted(
                                        "notification-events-priority", Duration.ofSeconds(1))
                                .stream()
                                .map(ConsumerRecord::key))
                .containsExactly("prio-1");
        assertThat(committed("prio-")).extracting(ConsumerRecord::key).containsExactly("prio-2");
    }

    @Test
    void rateLimitIs429WithRetryAfter() throws Exception {
        try (GatewayHarness limited =
                new GatewayHarness(
                        GatewayHarness.config(KAFKA, PG, Map.of("gateway.rate-limit", "3/min")))) {
            for (int i = 0; i < 3; i++) {
                assertThat(limited.send("GET", "/v1/events/none", READ_KEY, null).statusCode())
                        .isEqualTo(404);
            }
            HttpResponse<String> r = limited.send("GET", "/v1/events/none", READ_KEY, null);
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
                    .isBetween(1L, 60L);
            // another key has its own bucket
            assertThat(limited.send("GET", "/v1/events/none", ALL_KEY, null).statusCode())
                    .isEqualTo(404);
        }
    }

    @Test
    void aTransactionThatCannotCompleteLeavesNothingVisible() throws Exception {
        // the second record's topic does not exist (auto-creation off): the send fails after the
        // first record went to the broker, and the transaction is aborted
        try (Enqueuer enqueuer =
                new Enqueuer(KAFKA.bootstrapServers(), "it-abort", "x", 1, Duration.ofSeconds(2))) {
            List<ProducerRecord<byte[], byte[]>> records =
                    List.of(
                            new ProducerRecord<>(
                                    TOPIC_EVENTS, bytes("half-1"), bytes(event("half-1"))),
                            new ProducerRecord<>(
                                    "no-such-topic", bytes("half-2"), bytes(event("half-2"))));
            assertThatThrownBy(() -> enqueuer.send(records))
                    .isInstanceOf(Enqueuer.UnavailableException.class);
            // the producer is usable again afterwards
            enqueuer.send(
                    List.of(
                            new ProducerRecord<>(
                                    TOPIC_EVENTS, bytes("half-3"), bytes(event("half-3")))));
        }
        assertThat(committed("half-")).extracting(ConsumerRecord::key).containsExactly("half-3");
    }

    @Test
    void brokerStoppedIs503AndNothingIsEnqueued() throws Exception {
        String body = "{\"events\":[" + event("down-1") + "," + event("down-2") + "]}";
        KAFKA.kafka().stopBroker();
        HttpResponse<String> r;
        HttpResponse<String> ready;
        try {
            r = gw.send("POST", "/v1/events", SEND_KEY, body, "Idempotency-Key", "down");
            ready = gw.send("GET", "/readyz", null, null);
        } finally {
            KAFKA.kafka().startBroker();
        }
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(committed("down-")).isEmpty();

        // the claim was released: the same request goes through once the broker is back
        HttpResponse<String> retry =
                gw.send("POST", "/v1/events", SEND_KEY, body, "Idempotency-Key", "down");
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(202);
        assertThat(committed("down-"))
                .extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("down-1", "down-2");
        assertThat(gw.send("GET", "/readyz", null, null).statusCode()).isEqualTo(200);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, Long> countByKey(List<ConsumerRecord<String, String>> records) {
        return records.stream()
                .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
    }
}
