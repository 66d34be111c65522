package dev.notiflow.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.postgres.PostgresExtension;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.notiflow.gateway.GatewayHarness.MANAGE_KEY;
import static dev.notiflow.gateway.GatewayHarness.READ_KEY;
import static dev.notiflow.gateway.GatewayHarness.SEND_KEY;
import static dev.notiflow.gateway.GatewayHarness.TOPIC_DEVICES;
import static dev.notiflow.gateway.GatewayHarness.TOPIC_ENGAGEMENT;
import static dev.notiflow.gateway.GatewayHarness.TOPIC_PREFERENCES;
import static dev.notiflow.gateway.GatewayHarness.TOPIC_TEMPLATES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Users, devices, templates (keys and tombstones on the compacted topics), the delivery status read
 * from {@code deliveries}, engagement events, and the operational routes.
 */
class ManageApiITCase {

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        GatewayHarness.createTopics(KAFKA);
        gw = new GatewayHarness(GatewayHarness.config(KAFKA, PG, Map.of()));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static List<ConsumerRecord<String, String>> records(String topic, String keyPrefix) {
        return KAFKA.kafka().readAllCommitted(topic, Duration.ofSeconds(1)).stream()
                .filter(r -> r.key().startsWith(keyPrefix))
                .toList();
    }

    @Test
    void preferencesAndDevicesAreKeyedAndDeletingAUserTombstonesEverything() throws Exception {
        String token = "fcm:APA91-token/1";
        String path = "/v1/users/alice/devices/" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        HttpResponse<String> prefs =
                gw.send(
                        "PUT",
                        "/v1/users/alice/preferences",
                        MANAGE_KEY,
                        "{\"email\":\"a@example.com\",\"locale\":\"en\",\"channels\":{\"sms\":false}}");
        HttpResponse<String> device =
                gw.send("PUT", path, MANAGE_KEY, "{\"platform\":\"android\",\"appId\":\"app\"}");
        HttpResponse<String> second =
                gw.send("PUT", "/v1/users/alice/devices/t2", MANAGE_KEY, "{\"platform\":\"ios\"}");
        HttpResponse<String> badChannel =
                gw.send(
                        "PUT",
                        "/v1/users/alice/preferences",
                        MANAGE_KEY,
                        "{\"channels\":{\"fax\":true}}");
        HttpResponse<String> otherUser =
                gw.send("PUT", "/v1/users/alice/preferences", MANAGE_KEY, "{\"userId\":\"bob\"}");
        HttpResponse<String> sendScope =
                gw.send("PUT", "/v1/users/alice/preferences", SEND_KEY, "{}");
        assertThat(prefs.statusCode()).as(prefs.body()).isEqualTo(202);
        assertThat(device.statusCode()).as(device.body()).isEqualTo(202);
        assertThat(second.statusCode()).isEqualTo(202);
        assertThat(badChannel.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(badChannel.body()).get("reason").asText())
                .isEqualTo("UNKNOWN_CHANNEL");
        assertThat(otherUser.statusCode()).isEqualTo(400);
        assertThat(sendScope.statusCode()).isEqualTo(403);

        HttpResponse<String> erase = gw.send("DELETE", "/v1/users/alice", MANAGE_KEY, null);
        assertThat(erase.statusCode()).isEqualTo(202);
        assertThat(Json.MAPPER.readTree(erase.body()).get("devicesRemoved").asInt()).isEqualTo(2);

        List<ConsumerRecord<String, String>> p = records(TOPIC_PREFERENCES, "alice");
        assertThat(p).extracting(ConsumerRecord::key).containsExactly("alice", "alice");
        JsonNode value = Json.MAPPER.readTree(p.get(0).value());
        assertThat(value.get("userId").asText()).isEqualTo("alice");
        assertThat(value.get("email").asText()).isEqualTo("a@example.com");
        assertThat(p.get(1).value()).isNull();

        List<ConsumerRecord<String, String>> d = records(TOPIC_DEVICES, "alice:");
        assertThat(d)
                .extracting(ConsumerRecord::key)
                .containsExactly("alice:" + token, "alice:t2", "alice:" + token, "alice:t2");
        assertThat(Json.MAPPER.readTree(d.get(0).value()).get("token").asText()).isEqualTo(token);
        assertThat(d.get(2).value()).isNull();
        assertThat(d.get(3).value()).isNull();
        // forgotten: a second erase has no device left to tombstone
        HttpResponse<String> again = gw.send("DELETE", "/v1/users/alice", MANAGE_KEY, null);
        assertThat(Json.MAPPER.readTree(again.body()).get("devicesRemoved").asInt()).isZero();
    }

    @Test
    void aDeviceCanBeUnregisteredAlone() throws Exception {
        assertThat(
                        gw.send(
                                        "PUT",
                                        "/v1/users/carol/devices/c1",
                                        MANAGE_KEY,
                                        "{\"platform\":\"web\"}")
                                .statusCode())
                .isEqualTo(202);
        assertThat(gw.send("DELETE", "/v1/users/carol/devices/c1", MANAGE_KEY, null).statusCode())
                .isEqualTo(202);
        assertThat(
                        gw.send(
                                        "PUT",
                                        "/v1/users/carol/devices/c2",
                                        MANAGE_KEY,
                                        "{\"platform\":\"fax\"}")
                                .statusCode())
                .isEqualTo(400);
        List<ConsumerRecord<String, String>> d = records(TOPIC_DEVICES, "carol:");
        assertThat(d).extracting(ConsumerRecord::key).containsExactly("carol:c1", "carol:c1");
        assertThat(d.get(1).value()).isNull();
        assertThat(gw.gateway.store().devices("carol")).isEmpty();
    }

    @Test
    void templatesAreKeyedTemplateIdColonLocale() throws Exception {
        HttpResponse<String> put =
                gw.send(
                        "PUT",
                        "/v1/templates/welcome/de-AT",
                        MANAGE_KEY,
                        "{\"title\":\"Versandt\",\"body\":\"Bestellung {{orderId}}\"}");
        HttpResponse<String> wrongLocale =
                gw.send(
                        "PUT",
                        "/v1/templates/welcome/de-AT",
                        MANAGE_KEY,
                        "{\"locale\":\"en\",\"title\":\"x\",\"body\":\"y\"}");
        HttpResponse<String> delete =
                gw.send("DELETE", "/v1/templates/welcome/de-AT", MANAGE_KEY, null);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(202);
        assertThat(wrongLocale.statusCode()).isEqualTo(400);
        assertThat(delete.statusCode()).isEqualTo(202);
        List<ConsumerRecord<String, String>> t = records(TOPIC_TEMPLATES, "welcome:");
        assertThat(t)
                .extracting(ConsumerRecord::key)
                .containsExactly("welcome:de-AT", "welcome:de-AT");
        assertThat(Json.MAPPER.readTree(t.get(0).value()).get("locale").asText())
                .isEqualTo("de-AT");
        assertThat(t.get(1).value()).isNull();
    }

    @Test
    void statusComesFromTheDeliveryTable() throws Exception {
        try (Connection c = PG.postgres().connect();
                Statement s = c.createStatement()) {
            // the row as DeliveryTableSink writes it
            s.executeUpdate(
                    "INSERT INTO deliveries (notification_id, event_id, user_id, type, category,"
                            + " channel, provider, platform, device, status, reason, detail,"
                            + " attempts, priority, created_at, received_at, first_attempt_at,"
                            + " final_at) VALUES"
                            + " ('n-push', 'st-1', 'u1', 'order.shipped', 'order', 'push', 'apns',"
                            + " 'ios', 'abc123', 'SENT', NULL, NULL, 1, 'high',"
                            + " '2026-11-22T09:00:00Z', '2026-11-22T09:00:01Z',"
                            + " '2026-11-22T09:00:02Z', '2026-11-22T09:00:03Z'),"
                            + " ('n-sms', 'st-1', 'u1', 'order.shipped', 'order', 'sms', NULL,"
                            + " NULL, NULL, 'SKIPPED', 'NO_CONTACT', 'no phone', 0, 'high',"
                            + " NULL, '2026-11-22T09:00:01Z', NULL, '2026-11-22T09:00:01Z')");
        }
        HttpResponse<String> r = gw.send("GET", "/v1/events/st-1", READ_KEY, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode n = Json.MAPPER.readTree(r.body()).get("notifications");
        assertThat(n).hasSize(2);
        assertThat(n.get(0).get("notificationId").asText()).isEqualTo("n-push");
        assertThat(n.get(0).get("status").asText()).isEqualTo("SENT");
        assertThat(n.get(0).get("provider").asText()).isEqualTo("apns");
        assertThat(n.get(0).get("attempts").asInt()).isEqualTo(1);
        assertThat(n.get(0).get("finalAt").asText()).isEqualTo("2026-11-22T09:00:03Z");
        assertThat(n.get(1).get("reason").asText()).isEqualTo("NO_CONTACT");
        assertThat(n.get(1).get("firstAttemptAt").isNull()).isTrue();

        // unknown: 404; accepted by the gateway but no delivery yet: 200 with no notifications
        assertThat(gw.send("GET", "/v1/events/st-unknown", READ_KEY, null).statusCode())
                .isEqualTo(404);
        assertThat(
                        gw.send(
                                        "POST",
                                        "/v1/events",
                                        SEND_KEY,
                                        "{\"eventId\":\"st-2\",\"type\":\"t\",\"userIds\":[\"u\"]}")
                                .statusCode())
                .isEqualTo(202);
        HttpResponse<String> pending = gw.send("GET", "/v1/events/st-2", READ_KEY, null);
        assertThat(pending.statusCode()).isEqualTo(200);
        JsonNode p = Json.MAPPER.readTree(pending.body());
        assertThat(p.get("notifications")).isEmpty();
        assertThat(p.has("acceptedAt")).isTrue();
    }

    @Test
    void engagementEventsGoToTheirTopicKeyedByNotificationId() throws Exception {
        HttpResponse<String> opened =
                gw.send(
                        "POST",
                        "/v1/notifications/eng-1/events",
                        SEND_KEY,
                        "{\"event\":\"opened\",\"at\":\"2026-11-22T09:00:00+09:00\"}");
        HttpResponse<String> clicked =
                gw.send(
                        "POST",
                        "/v1/notifications/eng-1/events",
                        SEND_KEY,
                        "{\"event\":\"clicked\"}");
        HttpResponse<String> unknown =
                gw.send(
                        "POST",
                        "/v1/notifications/eng-1/events",
                        SEND_KEY,
                        "{\"event\":\"liked\"}");
        HttpResponse<String> badTime =
                gw.send(
                        "POST",
                        "/v1/notifications/eng-1/events",
                        SEND_KEY,
                        "{\"event\":\"opened\",\"at\":\"yesterday\"}");
        assertThat(opened.statusCode()).isEqualTo(202);
        assertThat(clicked.statusCode()).isEqualTo(202);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(badTime.statusCode()).isEqualTo(400);
        List<ConsumerRecord<String, String>> e = records(TOPIC_ENGAGEMENT, "eng-");
        assertThat(e).extracting(ConsumerRecord::key).containsExactly("eng-1", "eng-1");
        JsonNode first = Json.MAPPER.readTree(e.get(0).value());
        assertThat(first.get("notificationId").asText()).isEqualTo("eng-1");
        assertThat(first.get("event").asText()).isEqualTo("opened");
        assertThat(first.get("at").asText()).isEqualTo("2026-11-22T00:00:00Z");
        assertThat(first.get("source").asText()).isEqualTo("gateway");
        assertThat(first.hasNonNull("receivedAt")).isTrue();
        assertThat(Json.MAPPER.readTree(e.get(1).value()).get("event").asText())
                .isEqualTo("clicked");
    }

    @Test
    void liveTokensAreMintedForTheManageScopeWithTheLiveSecret() throws Exception {
        String secret = "a-live-secret-of-at-least-32-bytes-for-hs256";
        java.nio.file.Path file = java.nio.file.Files.createTempFile("live-secret", "");
        java.nio.file.Files.writeString(file, secret + "\n");
        try (GatewayHarness live =
                new GatewayHarness(
                        GatewayHarness.config(
                                KAFKA,
                                PG,
                                Map.of(
                                        "live.secret-file",
                                        file.toString(),
                                        "live.token-ttl",
                                        "5 min")))) {
            HttpResponse<String> r = live.send("POST", "/v1/users/u7/live-token", MANAGE_KEY, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode answer = Json.MAPPER.readTree(r.body());
            assertThat(answer.get("userId").asText()).isEqualTo("u7");
            SignedJWT jwt = SignedJWT.parse(answer.get("token").asText());
            assertThat(jwt.verify(new MACVerifier(secret.getBytes(StandardCharsets.UTF_8))))
                    .as("signed with the live secret")
                    .isTrue();
            assertThat(jwt.verify(new MACVerifier("x".repeat(32).getBytes(StandardCharsets.UTF_8))))
                    .isFalse();
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            assertThat(claims.getSubject()).isEqualTo("u7");
            assertThat(claims.getExpirationTime().toInstant())
                    .isEqualTo(java.time.Instant.parse(answer.get("expiresAt").asText()))
                    .isBetween(
                            java.time.Instant.now().plus(Duration.ofMinutes(4)),
                            java.time.Instant.now().plus(Duration.ofMinutes(5)));
            assertThat(live.send("POST", "/v1/users/u7/live-token", SEND_KEY, null).statusCode())
                    .isEqualTo(403);
            assertThat(live.send("POST", "/v1/users/u7/live-token", null, null).statusCode())
                    .isEqualTo(401);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        // The shared gateway has no live secret (and NOTIFLOW_LIVE_SECRET is not set here).
        HttpResponse<String> none = gw.send("POST", "/v1/users/u7/live-token", MANAGE_KEY, null);
        assertThat(none.statusCode()).isEqualTo(501);
        assertThat(none.body()).contains("live.secret-file");
    }

    @Test
    void healthReadinessAndMetrics() throws Exception {
        assertThat(gw.send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = gw.send("GET", "/readyz", null, null);
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        gw.send("POST", "/v1/events", SEND_KEY, "{\"eventId\":\"m-1\",\"userIds\":[\"u\"]}");
        String metrics = gw.send("GET", "/metrics", null, null).body();
        assertThat(metrics)
                .contains(
                        "notiflow_gateway_requests_total{method=\"POST\",route=\"/v1/events\",status=\"202\"}")
                .contains("notiflow_gateway_request_duration_seconds_bucket{")
                .contains("notiflow_gateway_rejections_total{reason=\"MISSING_FIELD\"}")
                .contains("notiflow_gateway_records_produced_total{topic=");
    }

    @Test
    void openApiDocumentListsExactlyTheRoutesAndItsExamplesAreAccepted() throws Exception {
        HttpResponse<String> served = gw.send("GET", "/openapi.json", null, null);
        assertThat(served.statusCode()).isEqualTo(200);
        JsonNode doc = Json.MAPPER.readTree(served.body());
        assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");

        Set<String> documented = new TreeSet<>();
        doc.get("paths")
                .properties()
                .forEach(
                        path ->
                                path.getValue()
                                        .fieldNames()
                                        .forEachRemaining(
                                                m ->
                                                        documented.add(
                                                                m.toUpperCase(Locale.ROOT)
                                                                        + " "
                                                                        + path.getKey())));
        Set<String> registered = new TreeSet<>();
        for (Endpoint e : gw.gateway.endpoints()) {
            if (!e.method.isHttpMethod() || e.method == HandlerType.HEAD) {
                continue;
            }
            registered.add(e.method.name() + " " + e.path);
        }
        assertThat(registered).hasSizeGreaterThan(10);
        assertThat(documented).isEqualTo(registered);

        int examples = 0;
        for (var path :
                (Iterable<Map.Entry<String, JsonNode>>) doc.get("paths").properties()::iterator) {
            for (var op :
                    (Iterable<Map.Entry<String, JsonNode>>)
                            path.getValue().properties()::iterator) {
                JsonNode bodyExamples =
                        op.getValue()
                                .path("requestBody")
                                .path("content")
                                .path("application/json")
                                .path("examples");
                String url = path.getKey();
                for (JsonNode param : op.getValue().path("parameters")) {
                    if (param.get("in").asText().equals("path")) {
                        url =
                                url.replace(
                                        "{" + param.get("name").asText() + "}",
                                        param.get("example").asText());
                    }
                }
                for (JsonNode example : bodyExamples) {
                    String body = example.get("value").toString();
                    HttpResponse<String> r =
                            gw.send(
                                    op.getKey().toUpperCase(Locale.ROOT),
                                    url,
                                    GatewayHarness.ALL_KEY,
                                    body);
                    assertThat(r.statusCode())
                            .as(url + " " + body + " -> " + r.body())
                            .isEqualTo(202);
                    if (url.equals("/v1/events")) {
                        assertThat(Json.MAPPER.readTree(r.body()).get("rejected"))
                                .as(r.body())
                                .isEmpty();
                    }
                    examples++;
                }
            }
        }
        assertThat(examples).isGreaterThanOrEqualTo(6);
    }

    @Test
    void expiredIdempotencyRowsAreDeletedAndLiveOnesKept() throws Exception {
        Store store = gw.gateway.store();
        store.claim("sender", "exp-old", "h", Duration.ofMillis(1), Duration.ofMinutes(1));
        store.claim("sender", "exp-live", "h", Duration.ofHours(1), Duration.ofMinutes(1));
        Thread.sleep(20);
        gw.gateway.deleteExpired();
        try (Connection c = PG.postgres().connect();
                Statement s = c.createStatement();
                var rs =
                        s.executeQuery(
                                "SELECT idem_key FROM gateway_requests WHERE idem_key LIKE 'exp-%'")) {
            List<String> left = new java.util.ArrayList<>();
            while (rs.next()) {
                left.add(rs.getString(1));
            }
            assertThat(left).containsExactly("exp-live");
        }
    }
}
