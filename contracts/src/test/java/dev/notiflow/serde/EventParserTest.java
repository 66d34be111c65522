package dev.notiflow.serde;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Audience;
import dev.notiflow.model.Channel;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventParserTest {

    private static final int MAX = 64 * 1024;
    private static final String TOPIC = "notification-events";

    private static NotificationEvent parse(String json) throws InvalidRecordException {
        return EventParser.parse(RawRecords.value(TOPIC, json), MAX);
    }

    private static Rejection rejection(RawRecord record) {
        try {
            EventParser.parse(record, MAX);
        } catch (InvalidRecordException e) {
            return e.rejection();
        }
        throw new AssertionError("accepted " + record);
    }

    private static Rejection rejection(String json) {
        return rejection(RawRecords.value(TOPIC, json));
    }

    @Test
    void shouldParseTheDesignExampleWithEveryField() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\": \"order-123-shipped\", \"type\": \"order.shipped\","
                                + " \"userIds\": [\"u1\", \"u2\"], \"templateId\": \"order_shipped\","
                                + " \"data\": {\"orderId\": \"123\"}, \"channels\": [\"push\", \"email\"],"
                                + " \"priority\": \"high\", \"sendAt\": \"2026-11-22T09:00:00Z\","
                                + " \"createdAt\": \"2026-11-21T23:00:00+09:00\"}");

        assertThat(e.eventId()).isEqualTo("order-123-shipped");
        assertThat(e.type()).isEqualTo("order.shipped");
        assertThat(e.category()).isEqualTo("order");
        assertThat(e.userIds()).containsExactly("u1", "u2");
        assertThat(e.templateId()).isEqualTo("order_shipped");
        assertThat(e.data()).containsExactly(java.util.Map.entry("orderId", "123"));
        assertThat(e.channels()).containsExactly(Channel.PUSH, Channel.EMAIL);
        assertThat(e.priority()).isEqualTo(Priority.HIGH);
        assertThat(e.sendAt()).isEqualTo(Instant.parse("2026-11-22T09:00:00Z"));
        assertThat(e.createdAt()).isEqualTo(Instant.parse("2026-11-21T14:00:00Z"));
        assertThat(e.receivedAt()).isEqualTo(Instant.ofEpochMilli(RawRecords.TIMESTAMP));
        assertThat(e.sourceRef()).isEqualTo("notification-events-2@42");
    }

    @Test
    void shouldApplyDefaultsWhenOptionalFieldsAreAbsent() throws Exception {
        NotificationEvent e =
                parse("{\"eventId\":\"e1\",\"type\":\"order.shipped.late\",\"userIds\":[\"u1\"]}");

        assertThat(e.category()).isEqualTo("order");
        assertThat(e.templateId()).isEqualTo("order.shipped.late");
        assertThat(e.priority()).isEqualTo(Priority.NORMAL);
        assertThat(e.channels()).isNull();
        assertThat(e.data()).isNull();
        assertThat(e.sendAt()).isNull();
        assertThat(e.createdAt()).isNull();
    }

    @Test
    void shouldTreatNullOptionalFieldsAsAbsent() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"billing.due\",\"userIds\":[\"u1\"],"
                                + "\"category\":null,\"templateId\":null,\"channels\":null,"
                                + "\"priority\":null,\"data\":null,\"sendAt\":null}");

        assertThat(e.category()).isEqualTo("billing");
        assertThat(e.templateId()).isEqualTo("billing.due");
        assertThat(e.priority()).isEqualTo(Priority.NORMAL);
        assertThat(e.channels()).isNull();
    }

    @Test
    void shouldUseTheWholeTypeAsCategoryWhenItHasNoDot() throws Exception {
        assertThat(
                        parse("{\"eventId\":\"e1\",\"type\":\"welcome\",\"userIds\":[\"u1\"]}")
                                .category())
                .isEqualTo("welcome");
    }

    @Test
    void shouldUseTheWholeTypeAsCategoryWhenItStartsWithADot() throws Exception {
        assertThat(
                        parse("{\"eventId\":\"e1\",\"type\":\".hidden\",\"userIds\":[\"u1\"]}")
                                .category())
                .isEqualTo(".hidden");
    }

    @Test
    void shouldKeepAnExplicitCategory() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"order.shipped\",\"category\":\"marketing\","
                                + "\"userIds\":[\"u1\"]}");

        assertThat(e.category()).isEqualTo("marketing");
    }

    @Test
    void shouldDeduplicateUserIdsKeepingFirstSeenOrder() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"t\","
                                + "\"userIds\":[\"u2\",\"u1\",\"u2\",\"u3\",\"u1\"]}");

        assertThat(e.userIds()).containsExactly("u2", "u1", "u3");
    }

    @Test
    void shouldDeduplicateChannels() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"channels\":[\"sms\",\"push\",\"sms\"]}");

        assertThat(e.channels()).containsExactly(Channel.SMS, Channel.PUSH);
    }

    @Test
    void shouldKeepDataValuesAsTextIncludingNestedJson() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],\"data\":{"
                                + "\"s\":\"text\",\"n\":12.5,\"i\":3,\"b\":true,\"z\":null,"
                                + "\"o\":{\"a\":[1,2],\"b\":\"x\"},\"arr\":[\"p\",\"q\"],"
                                + "\"k\":\"한글 🎉\"}}");

        assertThat(e.data())
                .containsEntry("s", "text")
                .containsEntry("n", "12.5")
                .containsEntry("i", "3")
                .containsEntry("b", "true")
                .containsEntry("z", null)
                .containsEntry("o", "{\"a\":[1,2],\"b\":\"x\"}")
                .containsEntry("arr", "[\"p\",\"q\"]")
                .containsEntry("k", "한글 🎉")
                .hasSize(8);
    }

    @Test
    void shouldIgnoreUnknownFields() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"traceId\":\"abc\",\"extra\":{\"x\":1}}");

        assertThat(e.eventId()).isEqualTo("e1");
    }

    @Test
    void shouldAcceptARecordExactlyAtTheSizeLimit() throws Exception {
        String json = "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"]}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        NotificationEvent e = EventParser.parse(RawRecords.bytes(TOPIC, null, bytes), bytes.length);

        assertThat(e.eventId()).isEqualTo("e1");
    }

    @Test
    void shouldRejectMalformedJson() {
        Rejection r = rejection("{\"eventId\":\"e1\",\"type\":");

        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).doesNotContain("\n");
    }

    @Test
    void shouldRejectTrailingGarbage() {
        assertThat(rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"]} x").reason())
                .isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(
                        rejection(
                                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"]}"
                                                + "{\"eventId\":\"e2\"}")
                                .reason())
                .isEqualTo(Rejection.MALFORMED_JSON);
    }

    @Test
    void shouldRejectAJsonArrayInsteadOfAnObject() {
        Rejection r = rejection("[{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"]}]");

        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).contains("must be a JSON object").contains("ARRAY");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "null", "\"text\"", "42"})
    void shouldRejectValuesThatAreNotAnObject(String json) {
        assertThat(rejection(json).reason()).isEqualTo(Rejection.MALFORMED_JSON);
    }

    @Test
    void shouldRejectInvalidUtf8() {
        byte[] prefix = "{\"eventId\":\"e".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = "\",\"type\":\"t\",\"userIds\":[\"u1\"]}".getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[prefix.length + 2 + suffix.length];
        System.arraycopy(prefix, 0, value, 0, prefix.length);
        value[prefix.length] = (byte) 0xC3;
        value[prefix.length + 1] = (byte) 0x28;
        System.arraycopy(suffix, 0, value, prefix.length + 2, suffix.length);

        Rejection r = rejection(RawRecords.bytes(TOPIC, null, value));

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_ENCODING);
    }

    @Test
    void shouldRejectALoneSurrogateEncodedInUtf8() {
        byte[] value = {
            '{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'
        };

        assertThat(rejection(RawRecords.bytes(TOPIC, null, value)).reason())
                .isEqualTo(Rejection.INVALID_ENCODING);
    }

    @Test
    void shouldRejectARecordOverTheSizeLimitBeforeParsing() throws Exception {
        byte[] bytes = "{not even json".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> EventParser.parse(RawRecords.bytes(TOPIC, null, bytes), 5))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        e -> {
                            assertThat(e.rejection().reason())
                                    .isEqualTo(Rejection.RECORD_TOO_LARGE);
                            assertThat(e.rejection().detail()).contains("14").contains("5");
                        });
    }

    @Test
    void shouldRejectATombstone() {
        Rejection r =
                rejection(RawRecords.bytes(TOPIC, "e1".getBytes(StandardCharsets.UTF_8), null));

        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).contains("null");
    }

    @Test
    void shouldRejectAMissingEventId() {
        assertThat(rejection("{\"type\":\"t\",\"userIds\":[\"u1\"]}"))
                .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "eventId: is required"));
    }

    @Test
    void shouldRejectANullEventIdAsMissing() {
        assertThat(rejection("{\"eventId\":null,\"type\":\"t\",\"userIds\":[\"u1\"]}"))
                .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "eventId: is required"));
    }

    @Test
    void shouldRejectAMissingType() {
        assertThat(rejection("{\"eventId\":\"e1\",\"userIds\":[\"u1\"]}"))
                .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "type: is required"));
    }

    @Test
    void shouldRejectMissingUserIds() {
        assertThat(rejection("{\"eventId\":\"e1\",\"type\":\"t\"}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.MISSING_FIELD, "userIds or audience: one is required"));
        assertThat(rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":null}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.MISSING_FIELD, "userIds or audience: one is required"));
    }

    @Test
    void shouldRejectEmptyUserIds() {
        assertThat(rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[]}"))
                .isEqualTo(new Rejection(Rejection.INVALID_FIELD, "userIds: must not be empty"));
    }

    @Test
    void shouldRejectUserIdsGivenAsAString() {
        Rejection r = rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":\"u1\"}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("userIds: must be an array");
    }

    @Test
    void shouldRejectABlankOrNonStringUserId() {
        assertThat(rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\",\" \"]}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD, "userIds[1]: must be a non-blank string"));
        assertThat(rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[7]}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD, "userIds[0]: must be a non-blank string"));
    }

    @Test
    void shouldRejectANumericEventId() {
        Rejection r = rejection("{\"eventId\":123,\"type\":\"t\",\"userIds\":[\"u1\"]}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).isEqualTo("eventId: must be a string, was NUMBER");
    }

    @Test
    void shouldRejectABlankEventId() {
        assertThat(rejection("{\"eventId\":\"  \",\"type\":\"t\",\"userIds\":[\"u1\"]}"))
                .isEqualTo(new Rejection(Rejection.INVALID_FIELD, "eventId: must not be blank"));
    }

    @Test
    void shouldRejectAnEventIdLongerThanTheLimit() {
        String longId = "x".repeat(EventParser.MAX_ID_LENGTH + 1);

        Rejection r =
                rejection("{\"eventId\":\"" + longId + "\",\"type\":\"t\",\"userIds\":[\"u1\"]}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("eventId: longer than 256");
    }

    @Test
    void shouldAcceptAnEventIdAtTheLengthLimit() throws Exception {
        String id = "x".repeat(EventParser.MAX_ID_LENGTH);

        assertThat(
                        parse("{\"eventId\":\"" + id + "\",\"type\":\"t\",\"userIds\":[\"u1\"]}")
                                .eventId())
                .isEqualTo(id);
    }

    @Test
    void shouldRejectDataThatIsNotAnObject() {
        Rejection r =
                rejection("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],\"data\":[1]}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("data:");
    }

    @Test
    void shouldRejectAnUnknownChannel() {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"channels\":[\"push\",\"fax\"]}");

        assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_CHANNEL);
        assertThat(r.detail()).contains("'fax'");
    }

    @Test
    void shouldRejectAChannelInUpperCase() {
        assertThat(
                        rejection(
                                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                                + "\"channels\":[\"PUSH\"]}")
                                .reason())
                .isEqualTo(Rejection.UNKNOWN_CHANNEL);
    }

    @Test
    void shouldRejectAnEmptyChannelList() {
        assertThat(
                        rejection(
                                "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                        + "\"channels\":[]}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD, "channels: must not be empty when given"));
    }

    @Test
    void shouldRejectChannelsGivenAsAString() {
        assertThat(
                        rejection(
                                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                                + "\"channels\":\"push\"}")
                                .reason())
                .isEqualTo(Rejection.INVALID_FIELD);
    }

    @Test
    void shouldRejectAnUnknownPriority() {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"priority\":\"urgent\"}");

        assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_PRIORITY);
        assertThat(r.detail()).contains("'urgent'");
    }

    @Test
    void shouldRejectANumericPriority() {
        assertThat(
                        rejection(
                                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                                + "\"priority\":1}")
                                .reason())
                .isEqualTo(Rejection.INVALID_FIELD);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-22T09:00:00",
                "2026-11-22 09:00:00Z",
                "2026-11-22",
                "yesterday",
                "2026-13-01T00:00:00Z",
                "2026-02-30T00:00:00Z",
                "2026-11-22T25:00:00Z"
            })
    void shouldRejectABadSendAt(String sendAt) {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"sendAt\":\""
                                + sendAt
                                + "\"}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_TIMESTAMP);
        assertThat(r.detail()).startsWith("sendAt: '" + sendAt + "'");
    }

    @Test
    void shouldRejectABadCreatedAt() {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"createdAt\":\"21/11/2026\"}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_TIMESTAMP);
        assertThat(r.detail()).startsWith("createdAt:");
    }

    @Test
    void shouldRejectANumericTimestamp() {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"sendAt\":1795000000000}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("sendAt: must be a string");
    }

    @Test
    void shouldReportTheFirstProblemInFieldOrder() {
        assertThat(rejection("{\"userIds\":[],\"priority\":\"urgent\"}"))
                .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "eventId: is required"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"\\u0000", "\\u0001", "\\n", "\\u001f", "\\u007f", "\\u0085", "\\u009f"})
    void shouldRejectAControlCharacterInAUserId(String escaped) {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\",\"u"
                                + escaped
                                + "x\"]}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("userIds[1]: contains the control character U+");
        assertThat(r.detail()).endsWith(" at index 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"eventId", "type", "category", "templateId"})
    void shouldRejectANulInEveryId(String field) {
        ObjectNode event = Json.MAPPER.createObjectNode().put("eventId", "e1").put("type", "t");
        event.putArray("userIds").add("u1");
        event.put(field, "a\u0000b");

        assertThat(rejection(event.toString()))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                field + ": contains the control character U+0000 at index 1"));
    }

    @Test
    void shouldRejectAnUnpairedSurrogateInAnIdButAcceptAPair() throws Exception {
        assertThat(rejection("{\"eventId\":\"e\\ud800\",\"type\":\"t\",\"userIds\":[\"u1\"]}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "eventId: contains an unpaired surrogate at index 1"));
        assertThat(
                        parse(
                                        "{\"eventId\":\"e\\ud83d\\ude00\",\"type\":\"t\",\"userIds\":[\"u1\"]}")
                                .eventId())
                .isEqualTo("e\ud83d\ude00");
    }

    @Test
    void shouldKeepControlCharactersInTemplateData() throws Exception {
        NotificationEvent e =
                parse(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"data\":{\"note\":\"line 1\\nline 2\"}}");

        assertThat(e.data()).containsEntry("note", "line 1\nline 2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"category", "templateId"})
    void shouldRejectABlankOptionalId(String field) {
        assertThat(
                        rejection(
                                "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],\""
                                        + field
                                        + "\":\"\"}"))
                .isEqualTo(new Rejection(Rejection.INVALID_FIELD, field + ": must not be blank"));
    }

    @Test
    void shouldRejectAKeyGivenTwice() {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"userIds\":[\"u2\"]}");

        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).contains("Duplicate field 'userIds'");
    }

    @Test
    void shouldRejectAKeyGivenTwiceInANestedObject() {
        Rejection r =
                rejection(
                        "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],"
                                + "\"data\":{\"a\":1,\"a\":2}}");

        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).contains("Duplicate field 'a'");
    }

    @Test
    void shouldRejectNestingDeeperThanTheLimitButAcceptItAtTheLimit() throws Exception {
        int inData = JsonFields.MAX_NESTING_DEPTH - 2;
        String ok =
                "{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[\"u1\"],\"data\":{\"d\":"
                        + "[".repeat(inData)
                        + "]".repeat(inData)
                        + "}}";
        String tooDeep = ok.replace("\"d\":", "\"d\":[").replace("}}", "]}}");

        assertThat(parse(ok).data()).containsKey("d");
        Rejection r = rejection(tooDeep);
        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).contains("nesting depth");
    }

    private static final String HEAD = "{\"eventId\":\"e1\",\"type\":\"sale.flash\",";

    @Test
    void shouldParseAnAudienceOfEveryone() throws Exception {
        NotificationEvent e = parse(HEAD + "\"audience\":{\"all\":true}}");

        assertThat(e.audience()).isEqualTo(Audience.everyone());
        assertThat(e.userIds()).isEmpty();
        assertThat(e.category()).isEqualTo("sale");
    }

    @Test
    void shouldParseAnAudienceFilterDroppingRepeats() throws Exception {
        NotificationEvent e =
                parse(
                        HEAD
                                + "\"userIds\":null,\"audience\":{\"all\":false,"
                                + "\"platforms\":[\"ios\",\"web\",\"ios\"],\"appIds\":[\"shop\"],"
                                + "\"locales\":[\"en\",\"de-AT\",\"en\"]}}");

        assertThat(e.audience())
                .isEqualTo(
                        new Audience(
                                false,
                                List.of(Platform.IOS, Platform.WEB),
                                List.of("shop"),
                                List.of("en", "de-AT")));
    }

    @Test
    void shouldParseAFilterOnOneFieldLeavingTheOthersOpen() throws Exception {
        NotificationEvent e = parse(HEAD + "\"audience\":{\"locales\":[\"fr\"],\"all\":null}}");

        assertThat(e.audience()).isEqualTo(new Audience(false, null, null, List.of("fr")));
    }

    @Test
    void shouldLeaveTheAudienceNullForAnEventToUserIds() throws Exception {
        assertThat(parse(HEAD + "\"userIds\":[\"u1\"],\"audience\":null}").audience()).isNull();
    }

    @Test
    void shouldRejectBothUserIdsAndAnAudience() {
        assertThat(rejection(HEAD + "\"userIds\":[\"u1\"],\"audience\":{\"all\":true}}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "userIds, audience: give exactly one, not both"));
    }

    @Test
    void shouldRejectAnAudienceWithNeitherAllNorAFilter() {
        Rejection expected =
                new Rejection(
                        Rejection.MISSING_FIELD,
                        "audience: needs all: true or a filter (platforms, appIds, locales)");
        assertThat(rejection(HEAD + "\"audience\":{}}")).isEqualTo(expected);
        assertThat(rejection(HEAD + "\"audience\":{\"all\":false}}")).isEqualTo(expected);
        assertThat(rejection(HEAD + "\"audience\":{\"locales\":null}}")).isEqualTo(expected);
    }

    @Test
    void shouldRejectAllTogetherWithAFilter() {
        assertThat(rejection(HEAD + "\"audience\":{\"all\":true,\"platforms\":[\"ios\"]}}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "audience: all: true takes no filter (platforms, appIds, locales)"));
    }

    @Test
    void shouldRejectAnUnknownAudienceKeyRatherThanWidenTheAudience() {
        Rejection r = rejection(HEAD + "\"audience\":{\"locales\":[\"en\"],\"appId\":[\"x\"]}}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("audience.appId: unknown");
    }

    @Test
    void shouldRejectMalformedAudienceFilters() {
        assertThat(rejection(HEAD + "\"audience\":true}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "audience: must be an object, was BOOLEAN"));
        assertThat(rejection(HEAD + "\"audience\":{\"all\":\"yes\"}}").detail())
                .startsWith("all: must be true or false");
        assertThat(rejection(HEAD + "\"audience\":{\"appIds\":[]}}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "audience.appIds: must not be empty when given"));
        assertThat(rejection(HEAD + "\"audience\":{\"locales\":[\" \"]}}").reason())
                .isEqualTo(Rejection.INVALID_FIELD);
        assertThat(rejection(HEAD + "\"audience\":{\"platforms\":[\"IOS\"]}}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.UNKNOWN_PLATFORM,
                                "audience.platforms: 'IOS' is not one of ios, android, web"));
    }
}
