package dev.notiflow.serde;

import dev.notiflow.model.NotificationTemplate;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TemplateUpdate;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class TemplateParserTest {

    private static final int MAX = 64 * 1024;
    private static final String TOPIC = "notification-templates";

    private static NotificationTemplate parse(String json) throws InvalidRecordException {
        return TemplateParser.parse(RawRecords.value(TOPIC, json), MAX).template();
    }

    private static Rejection rejection(RawRecord record) {
        try {
            TemplateParser.parse(record, MAX);
        } catch (InvalidRecordException e) {
            return e.rejection();
        }
        throw new AssertionError("accepted " + record);
    }

    private static Rejection rejection(String json) {
        return rejection(RawRecords.keyed(TOPIC, "order_shipped:en", json));
    }

    @Test
    void shouldParseEveryPart() throws Exception {
        NotificationTemplate t =
                parse(
                        "{\"templateId\": \"order_shipped\", \"locale\": \"en\","
                                + " \"title\": \"Order {{orderId}} shipped\", \"body\": \"On its way\","
                                + " \"email\": {\"subject\": \"Shipped\", \"html\": \"<p>{{orderId}}</p>\"},"
                                + " \"sms\": \"Order {{orderId}} shipped\","
                                + " \"updatedAt\": \"2026-11-20T10:00:00Z\"}");

        assertThat(t)
                .isEqualTo(
                        new NotificationTemplate(
                                "order_shipped",
                                "en",
                                "Order {{orderId}} shipped",
                                "On its way",
                                "Shipped",
                                "<p>{{orderId}}</p>",
                                null,
                                "Order {{orderId}} shipped",
                                Instant.parse("2026-11-20T10:00:00Z")));
    }

    @Test
    void shouldAcceptATemplateForOneChannelOnly() throws Exception {
        NotificationTemplate t =
                parse("{\"templateId\":\"otp\",\"locale\":\"ko-KR\",\"sms\":\"코드 {{code}}\"}");

        assertThat(t.sms()).isEqualTo("코드 {{code}}");
        assertThat(t.title()).isNull();
        assertThat(t.body()).isNull();
        assertThat(t.emailSubject()).isNull();
        assertThat(t.emailHtml()).isNull();
        assertThat(t.updatedAt()).isNull();
    }

    @Test
    void shouldAcceptAnEmailObjectWithOnlyASubject() throws Exception {
        NotificationTemplate t =
                parse("{\"templateId\":\"t\",\"locale\":\"en\",\"email\":{\"subject\":\"Hi\"}}");

        assertThat(t.emailSubject()).isEqualTo("Hi");
        assertThat(t.emailHtml()).isNull();
    }

    @Test
    void shouldRejectAMissingTemplateIdOrLocale() {
        assertThat(rejection("{\"locale\":\"en\",\"title\":\"x\"}"))
                .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "templateId: is required"));
        assertThat(rejection("{\"templateId\":\"t\",\"title\":\"x\"}"))
                .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "locale: is required"));
    }

    @Test
    void shouldRejectABlankLocale() {
        assertThat(rejection("{\"templateId\":\"t\",\"locale\":\" \"}"))
                .isEqualTo(new Rejection(Rejection.INVALID_FIELD, "locale: must not be blank"));
    }

    @Test
    void shouldRejectEmailThatIsNotAnObject() {
        assertThat(rejection("{\"templateId\":\"t\",\"locale\":\"en\",\"email\":\"Hi\"}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "email: must be an object with subject, html and text"));
    }

    @Test
    void shouldRejectANonStringPart() {
        Rejection r = rejection("{\"templateId\":\"t\",\"locale\":\"en\",\"email\":{\"html\":1}}");

        assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
        assertThat(r.detail()).startsWith("html: must be a string");
        assertThat(rejection("{\"templateId\":\"t\",\"locale\":\"en\",\"title\":[\"a\"]}").reason())
                .isEqualTo(Rejection.INVALID_FIELD);
    }

    @Test
    void shouldReadATombstoneAsTheDeletionOfTheTemplateItsKeyNames() throws Exception {
        TemplateUpdate u =
                TemplateParser.parse(RawRecords.keyed(TOPIC, "order_shipped:ko-KR", null), MAX);

        assertThat(u).isEqualTo(new TemplateUpdate("order_shipped:ko-KR", null));
        assertThat(u.isDeletion()).isTrue();
    }

    @Test
    void shouldRejectATombstoneWithoutAUsableKey() {
        assertThat(rejection(RawRecords.bytes(TOPIC, null, null)))
                .isEqualTo(
                        new Rejection(
                                Rejection.MISSING_FIELD, "key: a tombstone needs its record key"));
        assertThat(rejection(RawRecords.keyed(TOPIC, "order_shipped", null)))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "key: a template tombstone needs the key templateId:locale"));
        assertThat(rejection(RawRecords.keyed(TOPIC, "t:en\u0000", null)).reason())
                .isEqualTo(Rejection.INVALID_FIELD);
    }

    @Test
    void shouldKeyAValueByItsTemplateIdAndLocale() throws Exception {
        TemplateUpdate u =
                TemplateParser.parse(
                        RawRecords.keyed(
                                TOPIC,
                                "t:ko",
                                "{\"templateId\":\"t\",\"locale\":\"ko\",\"body\":\"b\"}"),
                        MAX);

        assertThat(u.key()).isEqualTo("t:ko");
        assertThat(u.template().body()).isEqualTo("b");
    }

    @Test
    void shouldRejectAValueWhoseKeyNamesAnotherTemplate() {
        assertThat(
                        rejection(
                                RawRecords.keyed(
                                        TOPIC, "t:en", "{\"templateId\":\"t\",\"locale\":\"ko\"}")))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "key: 't:en' is not templateId:locale 't:ko'"));
    }

    @Test
    void shouldParseThePlainTextPartOfAnEmail() throws Exception {
        NotificationTemplate t =
                parse(
                        "{\"templateId\":\"t\",\"locale\":\"en\",\"email\":{\"text\":\"Hi {{name}}\"}}");

        assertThat(t.emailText()).isEqualTo("Hi {{name}}");
    }

    @Test
    void shouldRejectMalformedJsonAndABadUpdatedAt() {
        assertThat(rejection("{\"templateId\":\"t\",").reason())
                .isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(
                        rejection("{\"templateId\":\"t\",\"locale\":\"en\",\"updatedAt\":\"x\"}")
                                .reason())
                .isEqualTo(Rejection.INVALID_TIMESTAMP);
    }

    @Test
    void shouldRejectARecordOverTheSizeLimit() throws Exception {
        String big =
                "{\"templateId\":\"t\",\"locale\":\"en\",\"body\":\"" + "x".repeat(100) + "\"}";

        try {
            TemplateParser.parse(RawRecords.value(TOPIC, big), 64);
            throw new AssertionError("accepted");
        } catch (InvalidRecordException e) {
            assertThat(e.rejection().reason()).isEqualTo(Rejection.RECORD_TOO_LARGE);
        }
    }

    @Test
    void shouldRejectAControlCharacterInTheTemplateIdOrLocale() {
        assertThat(rejection("{\"templateId\":\"order\\u0000\",\"locale\":\"en\"}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "templateId: contains the control character U+0000 at index 5"));
        assertThat(rejection("{\"templateId\":\"order\",\"locale\":\"en\\r\"}"))
                .isEqualTo(
                        new Rejection(
                                Rejection.INVALID_FIELD,
                                "locale: contains the control character U+000D at index 2"));
    }

    @Test
    void shouldRejectAKeyGivenTwice() {
        Rejection r = rejection("{\"templateId\":\"a\",\"locale\":\"en\",\"templateId\":\"b\"}");

        assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
        assertThat(r.detail()).contains("Duplicate field 'templateId'");
    }
}
