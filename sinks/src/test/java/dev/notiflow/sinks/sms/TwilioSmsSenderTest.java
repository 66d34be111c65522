package dev.notiflow.sinks.sms;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.twilio.MockTwilioServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class TwilioSmsSenderTest {

    private static final String OK_NUMBER = "+14155552671";
    private static final String KOREAN_MOBILE = "+821012345678";
    private static final String SCRIPTED_NUMBER = "+14155550101";

    private static MockTwilioServer twilio;
    private ChannelSender sender;

    @BeforeAll
    static void startMock() throws Exception {
        twilio = MockTwilioServer.start();
    }

    @AfterAll
    static void stopMock() {
        twilio.close();
    }

    @BeforeEach
    void setUp() {
        twilio.setScript(ProviderScript.acceptAll());
        twilio.clear();
        sender = senderWith(Map.of());
    }

    @AfterEach
    void tearDown() {
        sender.close();
    }

    private static ChannelSender senderWith(Map<String, String> overrides) {
        Configuration conf = Configuration.fromMap(twilio.senderConfig());
        overrides.forEach(conf::setString);
        return new TwilioSmsSenderFactory(SmsOptions.fromConfig(conf)).create();
    }

    private static SendRequest sms(String number, String text) {
        return SendRequest.builder()
                .notificationId("n-1")
                .eventId("e-1")
                .userId("u-1")
                .type("order.shipped")
                .category("order")
                .channel(Channel.SMS)
                .provider(Provider.TWILIO)
                .address(number)
                .locale("en")
                .priority(Priority.NORMAL)
                .templateId("order_shipped")
                .data(Map.of())
                .content(new Content(null, null, null, text, null))
                .createdAt(Instant.parse("2026-11-21T23:00:00Z"))
                .receivedAt(Instant.parse("2026-11-21T23:00:01Z"))
                .build();
    }

    private static SendResult send(ChannelSender s, SendRequest request) throws Exception {
        return s.send(request).get(10, TimeUnit.SECONDS);
    }

    private void script(String json) {
        twilio.setScript(ProviderScript.parse(json));
    }

    @Test
    void shouldAcceptAndPassNumberAndBodyToTwilio() throws Exception {
        SendResult result = send(sender, sms(OK_NUMBER, "Your order 123 has shipped."));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(result.providerMessageId()).startsWith("SM").hasSize(34);
        List<ReceivedCall> calls = twilio.received();
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).recipient()).isEqualTo(OK_NUMBER);
        assertThat(calls.get(0).notificationRef()).isEqualTo("Your order 123 has shipped.");
        assertThat(calls.get(0).status()).isEqualTo(201);
    }

    @Test
    void shouldAuthenticateWithApiKeyAndSecret() throws Exception {
        ChannelSender withKey =
                senderWith(
                        Map.of(
                                "sms.api-key-sid", twilio.apiKeySid(),
                                "sms.secret-file", twilio.apiKeySecretFile().toString()));
        try {
            assertThat(send(withKey, sms(OK_NUMBER, "hi")).status()).isEqualTo(SendStatus.ACCEPTED);
        } finally {
            withKey.close();
        }
    }

    @Test
    void shouldSendThroughMessagingServiceWhenNoFromNumber() throws Exception {
        Configuration conf = Configuration.fromMap(twilio.senderConfig());
        conf.removeKey("sms.from");
        conf.setString("sms.messaging-service-sid", "MG" + "0123456789abcdef".repeat(2));
        ChannelSender viaService = new TwilioSmsSenderFactory(SmsOptions.fromConfig(conf)).create();
        try {
            assertThat(send(viaService, sms(OK_NUMBER, "hi")).status())
                    .isEqualTo(SendStatus.ACCEPTED);
        } finally {
            viaService.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {21211, 21614})
    void shouldRejectInvalidContactOnTwilioContactErrors(int code) throws Exception {
        script(
                "{\"sms\": {\""
                        + SCRIPTED_NUMBER
                        + "\": {\"status\": 400, \"code\": "
                        + code
                        + "}}}");

        SendResult result = send(sender, sms(SCRIPTED_NUMBER, "hi"));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_CONTACT");
        assertThat(result.detail()).isEqualTo("HTTP 400, Twilio error " + code);
        assertThat(result.tokenDead()).isFalse();
    }

    @Test
    void shouldRejectRecipientUnsubscribedOn21610() throws Exception {
        script("{\"sms\": {\"" + SCRIPTED_NUMBER + "\": {\"status\": 400, \"code\": 21610}}}");

        SendResult result = send(sender, sms(SCRIPTED_NUMBER, "hi"));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("RECIPIENT_UNSUBSCRIBED");
        assertThat(result.detail()).doesNotContain(SCRIPTED_NUMBER);
    }

    @Test
    void shouldRetryRateLimitedWithRetryAfterOn429() throws Exception {
        script(
                "{\"sms\": {\""
                        + SCRIPTED_NUMBER
                        + "\": {\"status\": 429, \"code\": 20429, \"retryAfter\": 30}}}");

        SendResult result = send(sender, sms(SCRIPTED_NUMBER, "hi"));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("RATE_LIMITED");
        assertThat(result.retryAfterMillis()).isEqualTo(30_000L);
        assertThat(twilio.received()).as("no hidden client retries").hasSize(1);
    }

    @Test
    void shouldRetryRateLimitedWithoutRetryAfterWhenNoneGiven() throws Exception {
        script("{\"sms\": {\"" + SCRIPTED_NUMBER + "\": {\"status\": 429, \"code\": 20429}}}");

        SendResult result = send(sender, sms(SCRIPTED_NUMBER, "hi"));

        assertThat(result.reason()).isEqualTo("RATE_LIMITED");
        assertThat(result.retryAfterMillis()).isNull();
    }

    @Test
    void shouldReportCredentialsRejectedOn20003() throws Exception {
        ChannelSender wrong =
                senderWith(Map.of("sms.secret-file", twilio.wrongSecretFile().toString()));
        try {
            SendResult result = send(wrong, sms(OK_NUMBER, "hi"));

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CREDENTIALS_REJECTED");
            assertThat(result.detail()).isEqualTo("HTTP 401, Twilio error 20003");
        } finally {
            wrong.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {30007, 21408})
    void shouldRetryProviderErrorOnOtherCodes(int code) throws Exception {
        script(
                "{\"sms\": {\""
                        + SCRIPTED_NUMBER
                        + "\": {\"status\": 400, \"code\": "
                        + code
                        + "}}}");

        SendResult result = send(sender, sms(SCRIPTED_NUMBER, "hi"));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_ERROR");
        assertThat(result.detail()).contains(String.valueOf(code));
    }

    @Test
    void shouldRetryProviderUnavailableOn503WithoutClientRetries() throws Exception {
        script("{\"transientFailureRate\": 1.0}");

        SendResult result = send(sender, sms(OK_NUMBER, "hi"));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.detail()).startsWith("HTTP 503");
        assertThat(twilio.received()).hasSize(1);
        assertThat(twilio.received().get(0).status()).isEqualTo(503);
    }

    @Test
    void shouldCarryRetryAfterOnScripted503() throws Exception {
        script("{\"sms\": {\"" + SCRIPTED_NUMBER + "\": {\"status\": 503, \"retryAfter\": 5}}}");

        SendResult result = send(sender, sms(SCRIPTED_NUMBER, "hi"));

        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.retryAfterMillis()).isEqualTo(5_000L);
    }

    @Test
    void shouldReportConnectionErrorWhenServerIsDown() throws Exception {
        Map<String, String> downConfig;
        try (MockTwilioServer gone = MockTwilioServer.start()) {
            downConfig = gone.senderConfig();
        }
        Configuration conf = Configuration.fromMap(downConfig);
        conf.setString("sms.secret-file", twilio.authTokenFile().toString());
        ChannelSender down = new TwilioSmsSenderFactory(SmsOptions.fromConfig(conf)).create();
        try {
            SendResult result = send(down, sms(OK_NUMBER, "hi"));

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
        } finally {
            down.close();
        }
    }

    @Test
    void shouldTimeOutWhenTwilioAnswersTooLate() throws Exception {
        script("{\"latencyMs\": 2000}");
        ChannelSender impatient = senderWith(Map.of("sms.read-timeout", "300 ms"));
        try {
            SendResult result = send(impatient, sms(OK_NUMBER, "hi"));

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("TIMEOUT");
        } finally {
            impatient.close();
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"+1234", "01012345678", "+82 10 1234 5678", "+821012", "not-a-number", ""})
    void shouldRejectInvalidNumberWithoutCallingTwilio(String number) throws Exception {
        SendResult result = send(sender, sms(number, "hi"));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_CONTACT");
        assertThat(twilio.received()).isEmpty();
    }

    @Test
    void shouldRejectMissingNumberWithoutCallingTwilio() throws Exception {
        SendResult result = send(sender, sms(null, "hi"));

        assertThat(result.reason()).isEqualTo("INVALID_CONTACT");
        assertThat(twilio.received()).isEmpty();
    }

    @Test
    void shouldRejectEmptyTextWithoutCallingTwilio() throws Exception {
        SendResult result = send(sender, sms(OK_NUMBER, "  "));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_REQUEST");
        assertThat(twilio.received()).isEmpty();
    }

    @Test
    void shouldSendHangulAndEmojiTextAsUcs2() throws Exception {
        String text = "주문하신 상품이 발송되었습니다 📦 감사합니다!";

        SendResult result = send(sender, sms(KOREAN_MOBILE, text));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(twilio.received().get(0).notificationRef()).isEqualTo(text);
        assertThat(SmsSegments.count(text).encoding()).isEqualTo(SmsSegments.Encoding.UCS_2);
    }

    @Test
    void shouldRejectHangulTextOverMaxSegmentsWithoutCallingTwilio() throws Exception {
        // 11 UCS-2 parts of 67 units: one more than the default maximum of 10 segments.
        String text = "가".repeat(67 * 10 + 1);

        SendResult result = send(sender, sms(KOREAN_MOBILE, text));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(result.detail()).contains("UCS_2").contains("11 segments");
        assertThat(twilio.received()).isEmpty();
    }

    @Test
    void shouldAcceptHangulTextAtExactlyMaxSegments() throws Exception {
        String text = "가".repeat(67 * 10);

        assertThat(send(sender, sms(KOREAN_MOBILE, text)).status()).isEqualTo(SendStatus.ACCEPTED);
    }

    @Test
    void shouldRejectEmojiTextOverConfiguredSegments() throws Exception {
        ChannelSender strict = senderWith(Map.of("sms.max-segments", "2"));
        try {
            // 35 emoji = 70 UTF-16 units: one segment; 70 emoji = 140 units: 3 parts of 66.
            assertThat(send(strict, sms(OK_NUMBER, "😀".repeat(35))).status())
                    .isEqualTo(SendStatus.ACCEPTED);
            SendResult tooLong = send(strict, sms(OK_NUMBER, "😀".repeat(70)));
            assertThat(tooLong.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
            assertThat(twilio.received()).hasSize(1);
        } finally {
            strict.close();
        }
    }

    @Test
    void shouldRejectGsmTextOverTwilioCharacterLimit() throws Exception {
        ChannelSender lenient = senderWith(Map.of("sms.max-segments", "20"));
        try {
            SendResult result = send(lenient, sms(OK_NUMBER, "a".repeat(1601)));

            assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
            assertThat(result.detail()).contains("1601 characters");
            assertThat(send(lenient, sms(OK_NUMBER, "a".repeat(1600))).status())
                    .isEqualTo(SendStatus.ACCEPTED);
        } finally {
            lenient.close();
        }
    }

    @Test
    void shouldAnswerSenderBusyWhenQueueIsFull() throws Exception {
        script("{\"latencyMs\": 500}");
        ChannelSender narrow =
                senderWith(Map.of("sms.max-concurrent-requests", "1", "sms.max-queued", "1"));
        try {
            List<CompletableFuture<SendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                futures.add(narrow.send(sms(OK_NUMBER, "hi " + i)));
            }
            List<String> reasons = new ArrayList<>();
            int accepted = 0;
            for (CompletableFuture<SendResult> f : futures) {
                SendResult r = f.get(10, TimeUnit.SECONDS);
                if (r.status() == SendStatus.ACCEPTED) {
                    accepted++;
                } else {
                    reasons.add(r.reason());
                }
            }
            assertThat(accepted).isEqualTo(2);
            assertThat(reasons).containsExactly("SENDER_BUSY", "SENDER_BUSY");
        } finally {
            narrow.close();
        }
    }

    @Test
    void shouldNotSendWhatWaitedLongerThanTheQueueWait() throws Exception {
        script("{\"latencyMs\": 1000}");
        ChannelSender narrow =
                senderWith(
                        Map.of(
                                "sms.max-concurrent-requests", "1",
                                "sms.max-queue-wait", "300 ms"));
        try {
            CompletableFuture<SendResult> first = narrow.send(sms(OK_NUMBER, "first"));
            CompletableFuture<SendResult> second = narrow.send(sms(OK_NUMBER, "second"));

            assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(SendStatus.ACCEPTED);
            SendResult late = second.get(10, TimeUnit.SECONDS);
            assertThat(late.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(late.reason()).isEqualTo("SENDER_BUSY");
            assertThat(twilio.received())
                    .as("only the first SMS reached Twilio")
                    .extracting(ReceivedCall::notificationRef)
                    .containsExactly("first");
        } finally {
            narrow.close();
        }
    }

    @Test
    void shouldAnswerSenderBusyAfterClose() throws Exception {
        ChannelSender closed = senderWith(Map.of());
        closed.close();

        SendResult result = send(closed, sms(OK_NUMBER, "hi"));

        assertThat(result.reason()).isEqualTo("SENDER_BUSY");
    }
}
