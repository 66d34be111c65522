package dev.notiflow.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import dev.notiflow.model.Audience;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.NotificationTemplate;
import dev.notiflow.model.Platform;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserUpdate;
import dev.notiflow.serde.CancellationParser;
import dev.notiflow.serde.EngagementParser;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.Json;
import dev.notiflow.serde.TemplateParser;
import dev.notiflow.serde.UserUpdateParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every topic has a well-formed schema and a valid example, and both agree with the code. */
class TopicContractsTest {

    private static final int MAX_BYTES = 64 * 1024;

    static Stream<String> allTopics() {
        return Stream.concat(
                TopicSchemas.INPUT_TOPICS.stream(), TopicSchemas.OUTPUT_TOPICS.stream());
    }

    @ParameterizedTest
    @MethodSource("allTopics")
    void schemaShouldBeAValidDraft202012Schema(String topic) throws Exception {
        JsonSchema meta =
                JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                        .getSchema(
                                SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        JsonNode schema =
                Json.MAPPER.readTree(TopicSchemas.resource(TopicSchemas.schemaPath(topic)));

        assertThat(meta.validate(schema)).isEmpty();
        assertThat(schema.path("$schema").asText())
                .isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.path("$id").asText()).isEqualTo("urn:notiflow:topic:" + topic);
        assertThat(schema.path("type").asText()).isEqualTo("object");
    }

    @ParameterizedTest
    @MethodSource("allTopics")
    void exampleShouldValidateAgainstItsSchema(String topic) {
        assertThat(TopicSchemas.violations(topic, TopicSchemas.example(topic))).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("allTopics")
    void exampleWithoutARequiredFieldShouldBeRejected(String topic) throws Exception {
        JsonNode schema =
                Json.MAPPER.readTree(TopicSchemas.resource(TopicSchemas.schemaPath(topic)));
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(n -> required.add(n.asText()));
        assertThat(required).isNotEmpty();

        for (String field : required) {
            ObjectNode example = (ObjectNode) Json.MAPPER.readTree(TopicSchemas.example(topic));
            example.remove(field);
            assertThat(TopicSchemas.violations(topic, example))
                    .as("%s without %s", topic, field)
                    .anySatisfy(m -> assertThat(m).contains(field));
        }
    }

    @Test
    void schemaShouldRejectAValueThatIsNotAnObject() {
        for (String topic : TopicSchemas.INPUT_TOPICS) {
            assertThat(TopicSchemas.violations(topic, "[]".getBytes())).as(topic).isNotEmpty();
            assertThat(TopicSchemas.violations(topic, "null".getBytes())).as(topic).isNotEmpty();
        }
    }

    @Test
    void eventExampleShouldParse() throws Exception {
        NotificationEvent e =
                EventParser.parse(raw("notification-events", "notification-events"), MAX_BYTES);

        assertThat(e.eventId()).isEqualTo("order-123-shipped");
        assertThat(e.category()).isEqualTo("order");
        assertThat(e.userIds()).containsExactly("u1", "u2");
        assertThat(e.data())
                .containsEntry("orderId", "123")
                .containsEntry("items", "2")
                .containsEntry("carrier", "{\"name\":\"Acme\",\"tracking\":\"AC123\"}");
    }

    @Test
    void audienceEventExampleShouldMatchTheSchemaAndParse() throws Exception {
        byte[] json = TopicSchemas.example("notification-events-audience");
        assertThat(TopicSchemas.violations("notification-events", json)).isEmpty();

        NotificationEvent e =
                EventParser.parse(
                        new RawRecord("notification-events", 0, 7L, 1L, null, json), MAX_BYTES);

        assertThat(e.userIds()).isEmpty();
        assertThat(e.audience())
                .isEqualTo(
                        new Audience(
                                false,
                                List.of(Platform.IOS, Platform.ANDROID),
                                null,
                                List.of("en", "de-AT")));
    }

    @Test
    void preferencesExampleShouldParse() throws Exception {
        UserUpdate u =
                UserUpdateParser.preferences(
                        raw("user-preferences", "user-preferences"), MAX_BYTES);

        assertThat(u.kind()).isEqualTo(UserUpdate.Kind.PREFERENCES);
        assertThat(u.preferences().quietHours().start()).isEqualTo("22:00");
        assertThat(u.preferences().timeZone()).isEqualTo("Asia/Seoul");
    }

    @Test
    void deviceTokenExampleShouldParse() throws Exception {
        UserUpdate u =
                UserUpdateParser.deviceToken(raw("device-tokens", "device-tokens"), MAX_BYTES);

        DeviceToken d = u.device();
        assertThat(u.kind()).isEqualTo(UserUpdate.Kind.DEVICE);
        assertThat(d.token()).contains(":");
        assertThat(d.active()).isTrue();
    }

    @Test
    void templateExampleShouldParse() throws Exception {
        NotificationTemplate t =
                TemplateParser.parse(
                                raw("notification-templates", "notification-templates"), MAX_BYTES)
                        .template();

        assertThat(t.templateId()).isEqualTo("order_shipped");
        assertThat(t.emailSubject()).isEqualTo("Your order {{orderId}} has shipped");
        assertThat(t.emailHtml()).startsWith("<p>");
    }

    @Test
    void cancellationExampleShouldParse() throws Exception {
        Instant now = Instant.parse("2026-11-22T08:00:00Z");
        Cancellation c =
                CancellationParser.parse(
                        raw("notification-cancellations", "notification-cancellations"),
                        MAX_BYTES,
                        now);

        assertThat(c)
                .isEqualTo(
                        new Cancellation(
                                "order-123-shipped", "order cancelled by the customer", now));
    }

    @Test
    void engagementExampleShouldParse() throws Exception {
        Engagement e =
                EngagementParser.parse(
                        raw("notification-engagement", "notification-engagement"), MAX_BYTES);

        assertThat(e)
                .isEqualTo(
                        new Engagement(
                                "5d0f2c1e8a9b4c7d6e5f4a3b2c1d0e9f",
                                Engagement.Event.OPENED,
                                Instant.parse("2026-11-22T00:00:05.120Z"),
                                "gateway",
                                Instant.parse("2026-11-22T00:00:06Z")));
    }

    @Test
    void invalidationExampleShouldBeReadBackByTheJob() throws Exception {
        UserUpdate u =
                UserUpdateParser.invalidation(
                        raw("device-token-invalidations", "device-token-invalidations"), MAX_BYTES);

        assertThat(u.kind()).isEqualTo(UserUpdate.Kind.TOKEN_INVALIDATED);
        assertThat(u.invalidation())
                .isEqualTo(
                        Json.fromBytes(
                                TopicSchemas.example("device-token-invalidations"),
                                TokenInvalidation.class));
    }

    @Test
    void outputExamplesShouldRoundTripThroughTheModel() throws Exception {
        assertRoundTrip("notification-deliveries", Delivery.class);
        assertRoundTrip("notification-dlq", DeadLetter.class);
        assertRoundTrip("device-token-invalidations", TokenInvalidation.class);
    }

    private static void assertRoundTrip(String topic, Class<?> type) throws Exception {
        byte[] example = TopicSchemas.example(topic);
        Object model = Json.fromBytes(example, type);
        assertThat(Json.MAPPER.readTree(Json.toBytes(model)))
                .as(topic)
                .isEqualTo(Json.MAPPER.readTree(example));
    }

    private static RawRecord raw(String topic, String example) {
        return new RawRecord(topic, 0, 7L, 1_700_000_000_000L, null, TopicSchemas.example(example));
    }
}
