package dev.notiflow.contracts;

import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.CancellationParser;
import dev.notiflow.serde.EngagementParser;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.InvalidRecordException;
import dev.notiflow.serde.Rejection;
import dev.notiflow.serde.TemplateParser;
import dev.notiflow.serde.UserUpdateParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The input schemas are exactly as strict as the parsers: for each sample record, the schema
 * accepts it if and only if the job's parser does. The few checks a schema cannot express are
 * listed in {@link #knownDifferences()}, and the timestamps the parser tolerates beyond the
 * contract in {@link #parserLeniency()}; both are documented in docs/contracts.md.
 */
class SchemaParserAgreementTest {

    private static final int MAX = 64 * 1024;

    private interface Parser {
        Object parse(RawRecord record, int maxBytes) throws InvalidRecordException;
    }

    private static final Map<String, Parser> PARSERS =
            Map.of(
                    "notification-events", EventParser::parse,
                    "user-preferences", UserUpdateParser::preferences,
                    "device-tokens", UserUpdateParser::deviceToken,
                    "notification-templates", TemplateParser::parse,
                    "notification-cancellations",
                            (r, max) -> CancellationParser.parse(r, max, Instant.EPOCH),
                    "notification-engagement", EngagementParser::parse);

    private static final String EVENT =
            "\"eventId\":\"e1\",\"type\":\"order.shipped\",\"userIds\":[\"u1\"]";
    private static final String TOKEN = "\"userId\":\"u1\",\"token\":\"t:1\",\"platform\":\"ios\"";
    private static final String TEMPLATE = "\"templateId\":\"t\",\"locale\":\"en\"";

    private static Arguments accepted(String topic, String json) {
        return Arguments.of(topic, json, true);
    }

    private static Arguments rejected(String topic, String json) {
        return Arguments.of(topic, json, false);
    }

    private static Arguments event(boolean ok, String extra) {
        return Arguments.of("notification-events", "{" + EVENT + extra + "}", ok);
    }

    private static Arguments prefs(boolean ok, String extra) {
        return Arguments.of("user-preferences", "{\"userId\":\"u1\"" + extra + "}", ok);
    }

    private static Arguments device(boolean ok, String extra) {
        return Arguments.of("device-tokens", "{" + TOKEN + extra + "}", ok);
    }

    private static Arguments template(boolean ok, String extra) {
        return Arguments.of("notification-templates", "{" + TEMPLATE + extra + "}", ok);
    }

    static Stream<Arguments> samples() {
        String id256 = "x".repeat(256);
        return Stream.of(
                // notification-events
                event(true, ""),
                event(
                        true,
                        ",\"category\":null,\"templateId\":null,\"channels\":null,\"priority\":null"),
                event(true, ",\"data\":null,\"sendAt\":null,\"createdAt\":null"),
                event(
                        true,
                        ",\"channels\":[\"push\",\"sms\",\"email\",\"push\"],\"priority\":\"low\""),
                event(true, ",\"data\":{\"a\":1,\"b\":{\"c\":[true]},\"d\":null}"),
                event(true, ",\"channels\":[\"live\",\"push\"]"),
                event(
                        true,
                        ",\"sendAt\":\"2026-11-22T09:00:00.5+09:00\",\"createdAt\":\"2026-11-22T00:00:00-05:30\""),
                event(true, ",\"traceId\":\"abc\""),
                event(true, ",\"category\":\"c\",\"templateId\":\"" + id256 + "\""),
                event(false, ",\"category\":\"\""),
                event(false, ",\"templateId\":\" \""),
                event(false, ",\"templateId\":\"t\\u0000\""),
                event(false, ",\"category\":\"c\\u0085\""),
                event(true, ",\"data\":{\"note\":\"a\\nb\\u0000\"}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e\\u0000\",\"type\":\"t\",\"userIds\":[\"u1\"]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\\t\",\"userIds\":[\"u1\"]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\\u001f\"]}"),
                accepted(
                        "notification-events",
                        "{\"eventId\":\"" + id256 + "\",\"type\":\"t\",\"userIds\":[\"u\",\"u\"]}"),
                rejected("notification-events", "{\"type\":\"t\",\"userIds\":[\"u1\"]}"),
                rejected("notification-events", "{\"eventId\":\"e1\",\"userIds\":[\"u1\"]}"),
                rejected("notification-events", "{\"eventId\":\"e1\",\"type\":\"t\"}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":null}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":\"u1\"}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\" \"]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[7]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":123,\"type\":\"t\",\"userIds\":[\"u1\"]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\" \",\"type\":\"t\",\"userIds\":[\"u1\"]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e\",\"type\":\"\",\"userIds\":[\"u1\"]}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"x" + id256 + "\",\"type\":\"t\",\"userIds\":[\"u1\"]}"),
                accepted(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"all\":true}}"),
                accepted(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":null,\"audience\":{\"all\":true,\"locales\":null}}"),
                accepted(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"platforms\":[\"ios\",\"web\"],\"all\":false}}"),
                accepted(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"appIds\":[\"a\"],\"locales\":[\"en\",\"de-AT\"]}}"),
                accepted(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],\"audience\":null}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],\"audience\":{\"all\":true}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"all\":false}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"all\":true,\"platforms\":[\"ios\"]}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"all\":\"yes\"}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":true}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"platforms\":[\"IOS\"]}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"platforms\":[]}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"locales\":[\" \"]}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"appIds\":[7]}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"locales\":[\"en\"],\"appId\":[\"x\"]}}"),
                rejected(
                        "notification-events",
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"audience\":{\"appIds\":[\"x"
                                + id256
                                + "\"]}}"),
                event(false, ",\"category\":\"x" + id256 + "\""),
                event(false, ",\"templateId\":7"),
                event(false, ",\"channels\":[]"),
                event(false, ",\"channels\":[\"fax\"]"),
                event(false, ",\"channels\":[\"PUSH\"]"),
                event(false, ",\"channels\":\"push\""),
                event(false, ",\"priority\":\"urgent\""),
                event(false, ",\"priority\":1"),
                event(false, ",\"data\":[1]"),
                event(false, ",\"data\":\"x\""),
                event(false, ",\"sendAt\":\"2026-11-22T09:00:00\""),
                event(false, ",\"sendAt\":\"2026-11-22 09:00:00Z\""),
                event(false, ",\"sendAt\":\"2026-02-30T00:00:00Z\""),
                event(false, ",\"sendAt\":\"yesterday\""),
                event(false, ",\"createdAt\":1795000000000"),
                event(true, ",\"sendAt\":\"2026-11-22t09:00:00z\""),
                event(true, ",\"sendAt\":\"2026-11-22T09:00:00.123456789Z\""),
                event(false, ",\"sendAt\":\"2026-11-22T09:00:00.1234567891Z\""),
                event(false, ",\"sendAt\":\"2026-12-31T23:59:60Z\""),
                event(false, ",\"sendAt\":\"2026-11-22T09:00:00+0900\""),
                event(false, ",\"sendAt\":\"2026-11-22T24:00:00Z\""),
                rejected("notification-events", "[{" + EVENT + "}]"),
                rejected("notification-events", "null"),
                rejected("notification-events", "\"e1\""),
                // user-preferences
                accepted(
                        "user-preferences",
                        new String(
                                TopicSchemas.example("user-preferences"), StandardCharsets.UTF_8)),
                prefs(true, ""),
                prefs(
                        true,
                        ",\"email\":null,\"phone\":null,\"locale\":null,\"timeZone\":null,\"channels\":null"),
                prefs(true, ",\"categories\":null,\"quietHours\":null,\"updatedAt\":null"),
                prefs(true, ",\"channels\":{},\"categories\":{\"any.thing\":true}"),
                prefs(true, ",\"email\":\"not an email\",\"phone\":\"010\""),
                prefs(true, ",\"channels\":{\"live\":true,\"push\":false}"),
                prefs(true, ",\"timeZone\":\"+09:00\""),
                prefs(true, ",\"quietHours\":{\"start\":\"23:30:15\",\"end\":\"06:00:00.5\"}"),
                prefs(true, ",\"updatedAt\":\"2026-11-21T22:00:00.123456789+01:00\""),
                rejected("user-preferences", "{\"email\":\"a@example.com\"}"),
                rejected("user-preferences", "{\"userId\":\" \"}"),
                rejected("user-preferences", "{\"userId\":42}"),
                rejected("user-preferences", "{\"userId\":\"u\\u007f\"}"),
                prefs(false, ",\"locale\":\"en\\n\""),
                prefs(false, ",\"locale\":\"\""),
                prefs(false, ",\"categories\":{\"news\\u0000\":false}"),
                prefs(true, ",\"email\":\"a\\u0000@example.com\""),
                prefs(false, ",\"email\":1"),
                prefs(false, ",\"channels\":{\"fax\":true}"),
                prefs(false, ",\"channels\":{\"sms\":\"no\"}"),
                prefs(false, ",\"channels\":[\"sms\"]"),
                prefs(false, ",\"categories\":[\"marketing\"]"),
                prefs(false, ",\"categories\":{\"marketing\":0}"),
                prefs(false, ",\"categories\":{\"marketing\":null}"),
                prefs(false, ",\"quietHours\":\"22:00-08:00\""),
                prefs(false, ",\"quietHours\":{\"start\":\"22:00\"}"),
                prefs(false, ",\"quietHours\":{\"start\":\"22:00\",\"end\":null}"),
                prefs(false, ",\"quietHours\":{\"start\":\"25:00\",\"end\":\"08:00\"}"),
                prefs(false, ",\"quietHours\":{\"start\":\"7pm\",\"end\":\"08:00\"}"),
                prefs(false, ",\"quietHours\":{\"start\":\"22:60\",\"end\":\"08:00\"}"),
                prefs(false, ",\"quietHours\":{\"start\":22,\"end\":\"08:00\"}"),
                prefs(false, ",\"updatedAt\":\"2026-11-21\""),
                // device-tokens
                accepted(
                        "device-tokens",
                        new String(TopicSchemas.example("device-tokens"), StandardCharsets.UTF_8)),
                device(true, ""),
                device(true, ",\"active\":false,\"appId\":\"com.example\""),
                device(true, ",\"active\":null,\"appId\":null,\"updatedAt\":null"),
                accepted(
                        "device-tokens",
                        "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"web\"}"),
                accepted(
                        "device-tokens",
                        "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"android\"}"),
                rejected("device-tokens", "{\"userId\":\"u1\",\"token\":\"t\"}"),
                rejected("device-tokens", "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":null}"),
                rejected(
                        "device-tokens",
                        "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"windows\"}"),
                rejected(
                        "device-tokens",
                        "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"IOS\"}"),
                rejected("device-tokens", "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":1}"),
                rejected("device-tokens", "{\"userId\":\"u1\",\"platform\":\"ios\"}"),
                rejected(
                        "device-tokens", "{\"userId\":\"u1\",\"token\":\"\",\"platform\":\"ios\"}"),
                rejected("device-tokens", "{\"token\":\"t\",\"platform\":\"ios\"}"),
                device(false, ",\"active\":\"false\""),
                device(false, ",\"active\":0"),
                device(false, ",\"appId\":[\"a\"]"),
                device(false, ",\"appId\":\"com.example\\u0000\""),
                rejected(
                        "device-tokens",
                        "{\"userId\":\"u1\",\"token\":\"t\\u0000\",\"platform\":\"ios\"}"),
                rejected(
                        "device-tokens",
                        "{\"userId\":\"u\\r\",\"token\":\"t\",\"platform\":\"ios\"}"),
                device(false, ",\"updatedAt\":\"now\""),
                // notification-templates
                accepted(
                        "notification-templates",
                        new String(
                                TopicSchemas.example("notification-templates"),
                                StandardCharsets.UTF_8)),
                template(true, ""),
                template(true, ",\"email\":{}"),
                template(true, ",\"email\":null,\"title\":null,\"body\":null,\"sms\":null"),
                template(true, ",\"email\":{\"subject\":\"s\",\"html\":null}"),
                rejected("notification-templates", "{\"locale\":\"en\"}"),
                rejected("notification-templates", "{\"templateId\":\"t\"}"),
                rejected("notification-templates", "{\"templateId\":\"t\",\"locale\":\" \"}"),
                rejected(
                        "notification-templates",
                        "{\"templateId\":\"t\\u0000\",\"locale\":\"en\"}"),
                rejected(
                        "notification-templates",
                        "{\"templateId\":\"t\",\"locale\":\"en\\u0001\"}"),
                template(true, ",\"body\":\"line 1\\nline 2\""),
                template(false, ",\"email\":\"Hi\""),
                template(false, ",\"email\":{\"html\":1}"),
                template(false, ",\"title\":[\"a\"]"),
                template(false, ",\"sms\":false"),
                template(false, ",\"updatedAt\":\"x\""),
                // notification-cancellations
                accepted(
                        "notification-cancellations",
                        new String(
                                TopicSchemas.example("notification-cancellations"),
                                StandardCharsets.UTF_8)),
                accepted("notification-cancellations", "{\"eventId\":\"e1\"}"),
                accepted("notification-cancellations", "{\"eventId\":\"e1\",\"reason\":null}"),
                accepted("notification-cancellations", "{\"eventId\":\"" + id256 + "\"}"),
                accepted(
                        "notification-cancellations",
                        "{\"eventId\":\"e1\",\"reason\":\"" + "r".repeat(1024) + "\"}"),
                rejected("notification-cancellations", "{\"eventId\":\"" + id256 + "x\"}"),
                rejected(
                        "notification-cancellations",
                        "{\"eventId\":\"e1\",\"reason\":\"" + "r".repeat(1025) + "\"}"),
                rejected("notification-cancellations", "{\"reason\":\"r\"}"),
                rejected("notification-cancellations", "{\"eventId\":\" \"}"),
                rejected("notification-cancellations", "{\"eventId\":1}"),
                rejected("notification-cancellations", "{\"eventId\":\"e\\u0000\"}"),
                rejected("notification-cancellations", "{\"eventId\":\"e1\",\"reason\":[]}"),
                rejected(
                        "notification-cancellations",
                        "{\"eventId\":\"e1\",\"reason\":\"a\\u0007b\"}"),
                // notification-engagement
                Arguments.of(
                        "notification-engagement",
                        new String(
                                TopicSchemas.example("notification-engagement"),
                                StandardCharsets.UTF_8),
                        true),
                engagement(true, ",\"event\":\"delivered\""),
                engagement(true, ",\"event\":\"clicked\",\"at\":null,\"source\":null"),
                engagement(true, ",\"event\":\"dismissed\",\"at\":\"2026-11-22T09:00:00+09:00\""),
                engagement(true, ",\"event\":\"opened\",\"source\":\"" + "s".repeat(64) + "\""),
                engagement(true, ",\"event\":\"opened\",\"extra\":[1]"),
                engagement(false, ""),
                engagement(false, ",\"event\":null"),
                engagement(false, ",\"event\":\"OPENED\""),
                engagement(false, ",\"event\":\"sent\""),
                engagement(false, ",\"event\":\" \""),
                engagement(false, ",\"event\":1"),
                engagement(false, ",\"event\":\"opened\",\"at\":\"yesterday\""),
                engagement(false, ",\"event\":\"opened\",\"at\":5"),
                engagement(false, ",\"event\":\"opened\",\"source\":\" \""),
                engagement(false, ",\"event\":\"opened\",\"source\":\"a\\u0000\""),
                engagement(false, ",\"event\":\"opened\",\"source\":\"" + "s".repeat(65) + "\""),
                rejected(
                        "notification-engagement",
                        "{\"notificationId\":\"n1\",\"event\":\"opened\"}"),
                rejected(
                        "notification-engagement",
                        "{\"notificationId\":\"n1\",\"event\":\"opened\",\"receivedAt\":null}"),
                rejected(
                        "notification-engagement",
                        "{\"event\":\"opened\",\"receivedAt\":\"2026-11-22T00:00:00Z\"}"),
                rejected(
                        "notification-engagement",
                        "{\"notificationId\":\"n\\u001f\",\"event\":\"opened\",\"receivedAt\":\"2026-11-22T00:00:00Z\"}"),
                rejected(
                        "notification-engagement",
                        "{\"notificationId\":\""
                                + id256
                                + "x\",\"event\":\"opened\",\"receivedAt\":\"2026-11-22T00:00:00Z\"}"),
                accepted(
                        "notification-engagement",
                        "{\"notificationId\":\""
                                + id256
                                + "\",\"event\":\"opened\",\"receivedAt\":\"2026-11-22T00:00:00Z\"}"));
    }

    private static Arguments engagement(boolean ok, String extra) {
        return Arguments.of(
                "notification-engagement",
                "{\"notificationId\":\"n1\",\"receivedAt\":\"2026-11-22T00:00:00Z\"" + extra + "}",
                ok);
    }

    @ParameterizedTest(name = "[{index}] {0} {2}: {1}")
    @MethodSource("samples")
    void schemaAndParserShouldAgree(String topic, String json, boolean expected) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        assertThat(parserAccepts(topic, bytes)).as("parser accepts").isEqualTo(expected);
        if (expected) {
            assertThat(TopicSchemas.violations(topic, bytes)).as("schema violations").isEmpty();
        } else {
            assertThat(TopicSchemas.violations(topic, bytes)).as("schema violations").isNotEmpty();
        }
    }

    /** Rules a schema cannot state: the schema accepts these, the parser rejects them. */
    static Stream<Arguments> knownDifferences() {
        return Stream.of(
                Arguments.of(
                        "user-preferences",
                        "{\"userId\":\"u1\",\"timeZone\":\"Mars/Olympus\"}",
                        Rejection.INVALID_FIELD),
                Arguments.of(
                        "notification-events",
                        "{" + EVENT + ",\"data\":{\"big\":\"" + "x".repeat(MAX) + "\"}}",
                        Rejection.RECORD_TOO_LARGE),
                Arguments.of(
                        "notification-events",
                        "{" + EVENT + ",\"userIds\":[\"u2\"]}",
                        Rejection.MALFORMED_JSON),
                Arguments.of(
                        "user-preferences",
                        "{\"userId\":\"u1\",\"categories\":{\"a\":true,\"a\":false}}",
                        Rejection.MALFORMED_JSON),
                Arguments.of(
                        "notification-events",
                        "{" + EVENT + ",\"data\":{\"d\":" + "[".repeat(70) + "]".repeat(70) + "}}",
                        Rejection.MALFORMED_JSON),
                Arguments.of(
                        "notification-events",
                        "{\"eventId\":\"e\\ud800\",\"type\":\"t\",\"userIds\":[\"u1\"]}",
                        Rejection.INVALID_FIELD));
    }

    /**
     * Timestamps the parser tolerates but the contract does not promise: the schema asks for
     * seconds and a full {@code ±hh:mm} offset, so a producer that validates against it is never
     * rejected.
     */
    static Stream<Arguments> parserLeniency() {
        return Stream.of(
                Arguments.of(
                        "notification-events", "{" + EVENT + ",\"sendAt\":\"2026-11-22T09:00Z\"}"),
                Arguments.of(
                        "notification-events",
                        "{" + EVENT + ",\"sendAt\":\"2026-11-22T09:00:00+09\"}"),
                Arguments.of(
                        "user-preferences",
                        "{\"userId\":\"u1\",\"updatedAt\":\"2026-11-22T09:00+01:00\"}"));
    }

    @ParameterizedTest
    @MethodSource("parserLeniency")
    void parserMayAcceptTimestampsTheSchemaForbids(String topic, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        assertThat(TopicSchemas.violations(topic, bytes)).isNotEmpty();
        assertThat(rejectionOf(topic, bytes)).isNull();
    }

    @ParameterizedTest
    @MethodSource("knownDifferences")
    void parserShouldEnforceWhatTheSchemaCannot(String topic, String json, String reason) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        assertThat(TopicSchemas.violations(topic, bytes)).isEmpty();
        assertThat(rejectionOf(topic, bytes)).isEqualTo(reason);
    }

    private static boolean parserAccepts(String topic, byte[] bytes) {
        return rejectionOf(topic, bytes) == null;
    }

    private static String rejectionOf(String topic, byte[] bytes) {
        try {
            PARSERS.get(topic).parse(new RawRecord(topic, 0, 0L, 0L, null, bytes), MAX);
            return null;
        } catch (InvalidRecordException e) {
            return e.rejection().reason();
        }
    }
}
