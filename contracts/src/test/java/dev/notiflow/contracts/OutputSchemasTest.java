package dev.notiflow.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.serde.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job's output records, built from the model and serialized with {@link Json#toBytes}, must
 * validate against the published output schemas, so the code and the schemas cannot drift apart.
 */
class OutputSchemasTest {

    private static final Instant CREATED = Instant.parse("2026-11-21T23:00:00Z");
    private static final Instant RECEIVED = Instant.parse("2026-11-21T23:00:00.120Z");
    private static final Instant FIRST = Instant.parse("2026-11-22T09:00:00.015Z");
    private static final Instant FINAL = Instant.parse("2026-11-22T09:00:00.087123456Z");
    private static final String TOKEN = "3f9c2b7a1e5d4c8b9a0f1e2d3c4b5a6f";

    static Delivery sentPush() {
        return new Delivery(
                NotificationIds.of("e1", "u1", Channel.PUSH, TOKEN),
                "e1",
                "u1",
                "order.shipped",
                "order",
                Channel.PUSH,
                Provider.APNS,
                Platform.IOS,
                NotificationIds.deviceRef(TOKEN),
                DeliveryStatus.SENT,
                null,
                null,
                1,
                Priority.HIGH,
                "6b1c1a1e-8d3f-4f0a-9c2e-1d2f3a4b5c6d",
                CREATED,
                RECEIVED,
                FIRST,
                FINAL);
    }

    static Delivery failedPush() {
        return new Delivery(
                NotificationIds.of("e1", "u1", Channel.PUSH, TOKEN),
                "e1",
                "u1",
                "order.shipped",
                "order",
                Channel.PUSH,
                Provider.FCM,
                Platform.ANDROID,
                NotificationIds.deviceRef(TOKEN),
                DeliveryStatus.FAILED,
                "TOKEN_UNREGISTERED",
                "404 UNREGISTERED",
                1,
                Priority.NORMAL,
                null,
                null,
                RECEIVED,
                FIRST,
                FINAL);
    }

    static Delivery exhaustedSms() {
        return new Delivery(
                NotificationIds.of("e1", "u1", Channel.SMS, null),
                "e1",
                "u1",
                "order.shipped",
                "order",
                Channel.SMS,
                Provider.TWILIO,
                null,
                null,
                DeliveryStatus.EXHAUSTED,
                "PROVIDER_UNAVAILABLE",
                "503",
                5,
                Priority.LOW,
                null,
                CREATED,
                RECEIVED,
                FIRST,
                FINAL);
    }

    static Delivery skipped(Channel channel, Provider provider, String reason) {
        return new Delivery(
                NotificationIds.of("e1", "u1", channel, null),
                "e1",
                "u1",
                "marketing.promo",
                "marketing",
                channel,
                provider,
                null,
                null,
                DeliveryStatus.SKIPPED,
                reason,
                null,
                0,
                Priority.NORMAL,
                null,
                CREATED,
                RECEIVED,
                null,
                FINAL);
    }

    static Delivery duplicate() {
        return new Delivery(
                NotificationIds.ofDuplicate("e1", "notification-events-0@43"),
                "e1",
                null,
                "order.shipped",
                "order",
                null,
                null,
                null,
                null,
                DeliveryStatus.SKIPPED,
                "DUPLICATE_EVENT",
                "eventId already seen (notification-events-0@43)",
                0,
                Priority.NORMAL,
                null,
                CREATED,
                RECEIVED,
                null,
                FINAL);
    }

    static List<Delivery> deliveries() {
        return List.of(
                sentPush(),
                failedPush(),
                exhaustedSms(),
                skipped(Channel.EMAIL, Provider.SMTP, "OPTED_OUT"),
                skipped(Channel.SMS, Provider.TWILIO, "NO_CONTACT"),
                skipped(Channel.PUSH, null, "NO_DEVICE"),
                skipped(Channel.PUSH, null, "THROTTLED"),
                duplicate());
    }

    static DeadLetter badInput(byte[] value, String payload) {
        return new DeadLetter(
                DeadLetter.INPUT,
                "MALFORMED_JSON",
                "Unexpected character",
                "notification-events",
                "notification-events-3@1200",
                "order-9",
                payload,
                value == null ? null : Base64.getEncoder().encodeToString(value),
                null,
                null,
                null,
                null,
                FINAL);
    }

    /** A row the database refused, as the delivery tables job writes it. */
    static DeadLetter refusedRow() {
        Delivery row = failedPush();
        return DeadLetter.refusedRow(
                Json.toBytes(row),
                "deliveries: SQLState 22021: ERROR: invalid byte sequence for encoding"
                        + " \"UTF8\": 0x00",
                "notification-deliveries",
                row,
                FINAL);
    }

    static DeadLetter failedSend() {
        Delivery d = failedPush();
        return new DeadLetter(
                DeadLetter.SEND,
                d.reason(),
                d.detail(),
                null,
                null,
                null,
                null,
                null,
                d.eventId(),
                d.notificationId(),
                d.userId(),
                d.channel(),
                d.finalAt());
    }

    static TokenInvalidation invalidation() {
        return new TokenInvalidation(
                "u1", TOKEN, Platform.IOS, Provider.APNS, "TOKEN_UNREGISTERED", FIRST);
    }

    @Test
    void everyKindOfDeliveryShouldValidate() {
        for (Delivery d : deliveries()) {
            assertThat(TopicSchemas.violations("notification-deliveries", Json.toBytes(d)))
                    .as("%s %s", d.status(), d.reason())
                    .isEmpty();
        }
    }

    @Test
    void deliveryShouldUseLowerCaseWireNamesAndUpperCaseStatus() throws Exception {
        JsonNode json = Json.MAPPER.readTree(Json.toBytes(sentPush()));

        assertThat(json.get("channel").asText()).isEqualTo("push");
        assertThat(json.get("provider").asText()).isEqualTo("apns");
        assertThat(json.get("platform").asText()).isEqualTo("ios");
        assertThat(json.get("priority").asText()).isEqualTo("high");
        assertThat(json.get("status").asText()).isEqualTo("SENT");
        assertThat(json.get("finalAt").asText()).isEqualTo("2026-11-22T09:00:00.087123456Z");
        assertThat(json.get("device").asText()).hasSize(16).doesNotContain(TOKEN);
    }

    @Test
    void everyKindOfDeadLetterShouldValidate() {
        byte[] utf8 = "{\"eventId\":".getBytes(StandardCharsets.UTF_8);
        byte[] notUtf8 = {(byte) 0xC3, (byte) 0x28};
        List<DeadLetter> letters =
                List.of(
                        badInput(utf8, "{\"eventId\":"),
                        badInput(notUtf8, null),
                        badInput(null, null),
                        failedSend(),
                        refusedRow());
        for (DeadLetter d : letters) {
            assertThat(TopicSchemas.violations("notification-dlq", Json.toBytes(d)))
                    .as("%s %s", d.kind(), d.reason())
                    .isEmpty();
        }
    }

    @Test
    void tokenInvalidationShouldValidate() {
        assertThat(
                        TopicSchemas.violations(
                                "device-token-invalidations", Json.toBytes(invalidation())))
                .isEmpty();
    }

    @Test
    void serializedFieldsShouldBeExactlyTheSchemaProperties() throws Exception {
        assertSameFields("notification-deliveries", sentPush());
        assertSameFields("notification-dlq", failedSend());
        assertSameFields("device-token-invalidations", invalidation());
    }

    @Test
    void outputsShouldReadBackEqual() {
        for (Delivery d : deliveries()) {
            assertThat(Json.fromBytes(Json.toBytes(d), Delivery.class)).isEqualTo(d);
        }
        assertThat(Json.fromBytes(Json.toBytes(failedSend()), DeadLetter.class))
                .isEqualTo(failedSend());
        DeadLetter refused = refusedRow();
        assertThat(Json.fromBytes(Json.toBytes(refused), DeadLetter.class)).isEqualTo(refused);
        assertThat(
                        Json.fromBytes(
                                Base64.getDecoder().decode(refused.payloadBase64()),
                                Delivery.class))
                .isEqualTo(failedPush());
        assertThat(Json.fromBytes(Json.toBytes(invalidation()), TokenInvalidation.class))
                .isEqualTo(invalidation());
    }

    @Test
    void deliverySchemaShouldRejectInconsistentRecords() throws Exception {
        assertRejected("notification-deliveries", sentPush(), "status", "sent");
        assertRejected("notification-deliveries", sentPush(), "reason", "OPTED_OUT");
        assertRejected("notification-deliveries", sentPush(), "attempts", 0);
        assertRejected("notification-deliveries", sentPush(), "provider", "twilio");
        assertRejected("notification-deliveries", sentPush(), "device", TOKEN);
        assertRejected("notification-deliveries", sentPush(), "finalAt", "2026-11-22 09:00");
        assertRejected("notification-deliveries", sentPush(), "notificationId", "e1");
        assertRejected("notification-deliveries", exhaustedSms(), "reason", null);
        assertRejected("notification-deliveries", exhaustedSms(), "provider", "smtp");
        assertRejected("notification-deliveries", exhaustedSms(), "reason", "provider down");
    }

    @Test
    void deadLetterSchemaShouldRejectInconsistentRecords() throws Exception {
        DeadLetter input = badInput("x".getBytes(StandardCharsets.UTF_8), "x");
        assertRejected("notification-dlq", input, "sourceTopic", null);
        assertRejected("notification-dlq", input, "kind", "input");
        assertRejected("notification-dlq", input, "payloadBase64", "not base64!");
        assertRejected("notification-dlq", failedSend(), "notificationId", null);
        assertRejected("notification-dlq", failedSend(), "failedAt", null);
        assertRejected("notification-dlq", refusedRow(), "payload", null);
        assertRejected("notification-dlq", refusedRow(), "detail", null);
        assertRejected("notification-dlq", refusedRow(), "reason", "MALFORMED_JSON");
    }

    @Test
    void invalidationSchemaShouldRejectNonPushProviders() throws Exception {
        assertRejected("device-token-invalidations", invalidation(), "provider", "twilio");
        assertRejected("device-token-invalidations", invalidation(), "token", "");
    }

    private static void assertRejected(String topic, Object record, String field, Object value)
            throws Exception {
        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(Json.toBytes(record));
        json.set(field, Json.MAPPER.valueToTree(value));
        assertThat(TopicSchemas.violations(topic, json))
                .as("%s with %s=%s", topic, field, value)
                .isNotEmpty();
    }

    private static void assertSameFields(String topic, Object record) throws Exception {
        JsonNode schema =
                Json.MAPPER.readTree(TopicSchemas.resource(TopicSchemas.schemaPath(topic)));
        Set<String> properties = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(properties::add);
        Set<String> required = new TreeSet<>();
        schema.path("required").forEach(n -> required.add(n.asText()));
        List<String> written = new ArrayList<>();
        Json.MAPPER.readTree(Json.toBytes(record)).fieldNames().forEachRemaining(written::add);

        assertThat(written).as(topic).containsExactlyInAnyOrderElementsOf(properties);
        assertThat(required).as(topic).isEqualTo(properties);
    }
}
