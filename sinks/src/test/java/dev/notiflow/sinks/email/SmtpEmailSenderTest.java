package dev.notiflow.sinks.email;

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
import dev.notiflow.testkit.providers.smtp.GreenMailSmtp;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import jakarta.mail.BodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SmtpEmailSenderTest {

    private static final String BOB = "bob@example.com";
    private static final String SCRIPTED = "scripted@example.com";

    private static GreenMailSmtp greenMail;
    private static ScriptedSmtpServer smtp;
    private final List<ChannelSender> senders = new ArrayList<>();

    @BeforeAll
    static void startServers() throws Exception {
        greenMail = GreenMailSmtp.start();
        smtp = ScriptedSmtpServer.start();
    }

    @AfterAll
    static void stopServers() {
        greenMail.close();
        smtp.close();
    }

    @BeforeEach
    void reset() {
        greenMail.clear();
        smtp.setScript(ProviderScript.acceptAll());
        smtp.setGreeting(220, "localhost ESMTP ready");
        smtp.clear();
    }

    @AfterEach
    void closeSenders() {
        senders.forEach(ChannelSender::close);
    }

    private ChannelSender sender(Map<String, String> base, Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(base);
        all.putAll(overrides);
        ChannelSender s =
                new SmtpEmailSenderFactory(EmailOptions.fromConfig(Configuration.fromMap(all)))
                        .create();
        senders.add(s);
        return s;
    }

    private ChannelSender scripted(Map<String, String> overrides) {
        return sender(smtp.senderConfig(), overrides);
    }

    private ChannelSender scripted() {
        return scripted(Map.of());
    }

    private static SendRequest email(String notificationId, String address, Content content) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("e-1")
                .userId("u-1")
                .type("order.shipped")
                .category("order")
                .channel(Channel.EMAIL)
                .provider(Provider.SMTP)
                .address(address)
                .locale("ko-KR")
                .priority(Priority.NORMAL)
                .templateId("order_shipped")
                .data(Map.of())
                .content(content)
                .createdAt(Instant.parse("2026-11-21T23:00:00Z"))
                .receivedAt(Instant.parse("2026-11-21T23:00:01Z"))
                .build();
    }

    private static SendRequest email(String address) {
        return email(
                "n-1",
                address,
                new Content(null, null, "Order shipped", "It is on its way.", null));
    }

    private static SendResult send(ChannelSender s, SendRequest r) throws Exception {
        return s.send(r).get(20, TimeUnit.SECONDS);
    }

    private void script(String json) {
        smtp.setScript(ProviderScript.parse(json));
    }

    @Test
    void shouldDeliverMultipartAlternativeWithOurMessageIdAndEncodedHangulSubject()
            throws Exception {
        ChannelSender sender = sender(greenMail.senderConfig(), Map.of());
        Content content =
                new Content(
                        null,
                        null,
                        "주문하신 상품이 발송되었습니다 📦",
                        "안녕하세요, 주문 123이 발송되었습니다.",
                        "<p>안녕하세요, 주문 <b>123</b>이 발송되었습니다.</p>");

        SendResult result = send(sender, email("evt-1_u-1_email", BOB, content));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(result.providerMessageId()).isEqualTo("<evt-1_u-1_email@notiflow.test>");
        List<MimeMessage> received = greenMail.awaitMessages(1, 5_000);
        assertThat(received).hasSize(1);
        MimeMessage m = received.get(0);
        assertThat(m.getMessageID()).isEqualTo("<evt-1_u-1_email@notiflow.test>");
        assertThat(m.getSubject()).isEqualTo("주문하신 상품이 발송되었습니다 📦");
        assertThat(m.getHeader("Subject")[0]).startsWith("=?UTF-8?");
        assertThat(m.getFrom()[0].toString()).isEqualTo(ScriptedSmtpServer.DEFAULT_FROM);
        assertThat(m.getAllRecipients()[0].toString()).isEqualTo(BOB);
        assertThat(m.getContentType()).startsWith("multipart/alternative");
        MimeMultipart parts = (MimeMultipart) m.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        BodyPart plain = parts.getBodyPart(0);
        BodyPart html = parts.getBodyPart(1);
        assertThat(plain.getContentType()).startsWith("text/plain").containsIgnoringCase("UTF-8");
        assertThat(plain.getContent()).isEqualTo("안녕하세요, 주문 123이 발송되었습니다.");
        assertThat(html.getContentType()).startsWith("text/html");
        assertThat(html.getContent()).isEqualTo("<p>안녕하세요, 주문 <b>123</b>이 발송되었습니다.</p>");
    }

    @Test
    void shouldSendSinglePlainPartWhenNoHtml() throws Exception {
        ChannelSender sender = sender(greenMail.senderConfig(), Map.of());

        assertThat(send(sender, email(BOB)).status()).isEqualTo(SendStatus.ACCEPTED);

        MimeMessage m = greenMail.awaitMessages(1, 5_000).get(0);
        assertThat(m.getContentType()).startsWith("text/plain");
        assertThat(m.getContent()).isEqualTo("It is on its way.");
    }

    @Test
    void shouldKeepTheSameMessageIdWhenTheSameNotificationIsResent() throws Exception {
        ChannelSender sender = scripted();

        send(sender, email(BOB));
        send(sender, email(BOB));

        assertThat(smtp.received())
                .extracting(ReceivedCall::notificationRef)
                .containsExactly("<n-1@notiflow.test>", "<n-1@notiflow.test>");
    }

    @Test
    void shouldUseConfiguredMessageIdDomainAndEscapeUnsafeIdCharacters() throws Exception {
        ChannelSender sender = scripted(Map.of("email.message-id-domain", "mail.shop.example"));

        SendResult result =
                send(sender, email("a b=c", BOB, new Content(null, null, "s", "t", null)));

        assertThat(result.providerMessageId()).isEqualTo("<a=20b=3Dc@mail.shop.example>");
        assertThat(smtp.messages().get(0).messageId()).isEqualTo("<a=20b=3Dc@mail.shop.example>");
    }

    @Test
    void shouldReuseOneConnectionForManyMessages() throws Exception {
        ChannelSender sender = scripted(Map.of("email.connections", "1"));

        for (int i = 0; i < 5; i++) {
            assertThat(send(sender, email(BOB)).status()).isEqualTo(SendStatus.ACCEPTED);
        }

        assertThat(smtp.sessionCount()).isEqualTo(1);
        assertThat(smtp.messages()).hasSize(5);
    }

    @Test
    void shouldKeepConnectionAfterRecipientRejection() throws Exception {
        script("{\"email\": {\"" + SCRIPTED + "\": {\"smtp\": 550}}}");
        ChannelSender sender = scripted(Map.of("email.connections", "1"));

        assertThat(send(sender, email(SCRIPTED)).reason()).isEqualTo("RECIPIENT_REJECTED");
        assertThat(send(sender, email(BOB)).status()).isEqualTo(SendStatus.ACCEPTED);

        assertThat(smtp.sessionCount()).isEqualTo(1);
    }

    @ParameterizedTest
    @CsvSource({"550, 5.1.1", "551, 5.1.6", "553, 5.1.3"})
    void shouldRejectRecipientOnRcpt5yz(int code, String enhanced) throws Exception {
        script("{\"email\": {\"" + SCRIPTED + "\": {\"smtp\": " + code + "}}}");

        SendResult result = send(scripted(), email(SCRIPTED));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("RECIPIENT_REJECTED");
        assertThat(result.detail()).isEqualTo("RCPT " + code + " " + enhanced);
        assertThat(smtp.received()).extracting(ReceivedCall::status).containsExactly(code);
        assertThat(smtp.messages()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"450, 4.2.2", "451, 4.3.0", "452, 4.2.2"})
    void shouldRetryOnRcpt4yzWithEnhancedStatus(int code, String enhanced) throws Exception {
        script(
                "{\"email\": {\""
                        + SCRIPTED
                        + "\": {\"smtp\": "
                        + code
                        + ", \"enhanced\": \""
                        + enhanced
                        + "\"}}}");

        SendResult result = send(scripted(), email(SCRIPTED));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("SMTP_TRANSIENT");
        assertThat(result.detail()).isEqualTo("RCPT " + code + " " + enhanced);
    }

    @Test
    void shouldRetryOnScriptedTransientFailure() throws Exception {
        script("{\"transientFailureRate\": 1.0}");

        SendResult result = send(scripted(), email(BOB));

        assertThat(result.reason()).isEqualTo("SMTP_TRANSIENT");
        assertThat(result.detail()).isEqualTo("RCPT 451 4.3.0");
    }

    @Test
    void shouldRejectOnPermanentFailureAfterData() throws Exception {
        script("{\"email\": {\"" + SCRIPTED + "\": {\"smtp\": 554, \"stage\": \"data\"}}}");

        SendResult result = send(scripted(), email(SCRIPTED));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("RECIPIENT_REJECTED");
        assertThat(result.detail()).isEqualTo("DATA 554 5.7.1");
        assertThat(smtp.received())
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.status()).isEqualTo(554);
                            assertThat(c.notificationRef()).isEqualTo("<n-1@notiflow.test>");
                        });
    }

    @Test
    void shouldRetryOnTransientFailureAfterData() throws Exception {
        script(
                "{\"email\": {\""
                        + SCRIPTED
                        + "\": {\"smtp\": 451, \"enhanced\": \"4.7.1\", \"stage\": \"data\"}}}");

        SendResult result = send(scripted(), email(SCRIPTED));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("SMTP_TRANSIENT");
        assertThat(result.detail()).isEqualTo("DATA 451 4.7.1");
    }

    @Test
    void shouldRejectTooLargeMessageAfterData() throws Exception {
        script(
                "{\"email\": {\""
                        + SCRIPTED
                        + "\": {\"smtp\": 552, \"enhanced\": \"5.3.4\", \"stage\": \"data\"}}}");

        SendResult result = send(scripted(), email(SCRIPTED));

        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(result.detail()).isEqualTo("DATA 552 5.3.4");
    }

    @Test
    void shouldRejectAsConfigurationErrorWhenServerRefusesOurSender() throws Exception {
        script(
                "{\"email\": {\""
                        + ScriptedSmtpServer.DEFAULT_FROM
                        + "\": {\"smtp\": 550, \"enhanced\": \"5.7.1\", \"stage\": \"mail\"}}}");

        SendResult result = send(scripted(), email(BOB));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(result.detail()).isEqualTo("MAIL 550 5.7.1");
    }

    @Test
    void shouldReportProviderUnavailableOn421Greeting() throws Exception {
        smtp.setGreeting(421, "4.3.2 Service not available");

        SendResult result = send(scripted(), email(BOB));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.detail()).isEqualTo("greeting 421");
    }

    @Test
    void shouldReportProviderUnavailableOn421AndReconnectForNextMessage() throws Exception {
        script("{\"email\": {\"" + SCRIPTED + "\": {\"smtp\": 421}}}");
        ChannelSender sender = scripted(Map.of("email.connections", "1"));

        SendResult first = send(sender, email(SCRIPTED));
        SendResult second = send(sender, email(BOB));

        assertThat(first.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(first.detail()).isEqualTo("RCPT 421 4.3.2");
        assertThat(second.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(smtp.sessionCount()).isEqualTo(2);
    }

    @Test
    void shouldAuthenticateAndDeliver() throws Exception {
        try (ScriptedSmtpServer authSmtp =
                ScriptedSmtpServer.startWithAuth(ProviderScript.acceptAll(), "mailer", "s3cret")) {
            ChannelSender sender = sender(authSmtp.senderConfig(), Map.of());

            assertThat(send(sender, email(BOB)).status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(authSmtp.messages()).hasSize(1);
        }
    }

    @Test
    void shouldReportCredentialsRejectedOn535(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path wrong = Files.writeString(dir.resolve("password"), "not-the-password");
        try (ScriptedSmtpServer authSmtp =
                ScriptedSmtpServer.startWithAuth(ProviderScript.acceptAll(), "mailer", "s3cret")) {
            ChannelSender sender =
                    sender(
                            authSmtp.senderConfig(),
                            Map.of("email.smtp.password-file", wrong.toString()));

            SendResult result = send(sender, email(BOB));

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CREDENTIALS_REJECTED");
            assertThat(result.detail()).isEqualTo("AUTH 535 5.7.8");
            assertThat(authSmtp.messages()).isEmpty();
        }
    }

    @Test
    void shouldReportConnectionErrorWhenServerIsDown() throws Exception {
        Map<String, String> downConfig;
        try (ScriptedSmtpServer gone = ScriptedSmtpServer.start()) {
            downConfig = gone.senderConfig();
        }

        SendResult result = send(sender(downConfig, Map.of()), email(BOB));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
    }

    @Test
    void shouldTimeOutWhenServerAnswersTooLate() throws Exception {
        script("{\"latencyMs\": 3000}");

        SendResult result = send(scripted(Map.of("email.smtp.read-timeout", "300 ms")), email(BOB));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("TIMEOUT");
    }

    @Test
    void shouldReconnectWhenServerDroppedAnIdleConnection() throws Exception {
        ChannelSender sender =
                scripted(Map.of("email.connections", "1", "email.smtp.idle-check", "0 ms"));
        assertThat(send(sender, email(BOB)).status()).isEqualTo(SendStatus.ACCEPTED);

        smtp.dropConnections();
        Thread.sleep(50);

        assertThat(send(sender, email(BOB)).status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(smtp.sessionCount()).isEqualTo(2);
    }

    @Test
    void shouldRejectAsConfigurationErrorWhenStartTlsIsRequiredButNotOffered() throws Exception {
        SendResult result = send(scripted(Map.of("email.smtp.security", "starttls")), email(BOB));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(smtp.messages()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "not-an-email",
                "bob@",
                "a@b@example.com",
                "Bob <bob@example.com>",
                "bob@example.com, eve@example.com",
                "bob@example.com\r\nBcc: eve@example.com",
                "bob@example.com\nX: y",
                " "
            })
    void shouldRejectInvalidAddressWithoutContactingServer(String address) throws Exception {
        SendResult result = send(scripted(), email(address));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_CONTACT");
        assertThat(smtp.sessionCount()).isZero();
    }

    @Test
    void shouldRejectMissingAddressWithoutContactingServer() throws Exception {
        SendResult result = send(scripted(), email(null));

        assertThat(result.reason()).isEqualTo("INVALID_CONTACT");
        assertThat(smtp.sessionCount()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello\r\nBcc: eve@example.com", "Hello\nthere", "Hello\rthere"})
    void shouldRejectLineBreakInSubjectWithoutContactingServer(String subject) throws Exception {
        SendResult result =
                send(scripted(), email("n-1", BOB, new Content(null, null, subject, "body", null)));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_CONTACT");
        assertThat(smtp.sessionCount()).isZero();
    }

    @Test
    void shouldRejectEmptyBodyAsInvalidRequest() throws Exception {
        SendResult result =
                send(scripted(), email("n-1", BOB, new Content(null, null, "Subject", " ", null)));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_REQUEST");
    }

    @Test
    void shouldRejectAMessageOverTheSizeLimitWithoutContactingServer() throws Exception {
        ChannelSender s = scripted(Map.of("email.max-message-bytes", "2048"));
        // 7 + 1000 + 1041 = 2048 bytes: at the limit; one byte more is over it
        String subject = "Subject";
        String text = "한".repeat(333) + "x";
        String html = "<p>" + "y".repeat(1034) + "</p>";

        SendResult atLimit =
                send(s, email("n-1", BOB, new Content(null, null, subject, text, html)));
        SendResult over =
                send(s, email("n-2", BOB, new Content(null, null, subject, text + "z", html)));

        assertThat(atLimit.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(over.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(over.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(over.detail()).isEqualTo("message 2049 bytes exceeds 2048");
        assertThat(smtp.messages()).hasSize(1);
    }

    @Test
    void shouldAnswerSenderBusyWhenQueueIsFull() throws Exception {
        script("{\"latencyMs\": 500}");
        ChannelSender sender = scripted(Map.of("email.connections", "1", "email.max-queued", "1"));

        List<CompletableFuture<SendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            futures.add(sender.send(email(BOB)));
        }
        List<String> outcomes = new ArrayList<>();
        for (CompletableFuture<SendResult> f : futures) {
            SendResult r = f.get(20, TimeUnit.SECONDS);
            outcomes.add(r.status() == SendStatus.ACCEPTED ? "ACCEPTED" : r.reason());
        }

        assertThat(outcomes).containsExactly("ACCEPTED", "ACCEPTED", "SENDER_BUSY", "SENDER_BUSY");
    }

    @Test
    void shouldNotSendAMessageThatWaitedLongerThanTheQueueWait() throws Exception {
        script("{\"latencyMs\": 1000}");
        ChannelSender sender =
                scripted(Map.of("email.connections", "1", "email.max-queue-wait", "300 ms"));
        Content content = new Content(null, null, "Order shipped", "It is on its way.", null);

        CompletableFuture<SendResult> first = sender.send(email("n-first", BOB, content));
        CompletableFuture<SendResult> second = sender.send(email("n-second", BOB, content));

        assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(SendStatus.ACCEPTED);
        SendResult late = second.get(20, TimeUnit.SECONDS);
        assertThat(late.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(late.reason()).isEqualTo("SENDER_BUSY");
        assertThat(smtp.received())
                .as("only the first message reached the server")
                .extracting(ReceivedCall::notificationRef)
                .containsExactly("<n-first@notiflow.test>");
    }

    @Test
    void shouldStoreAcceptedMessagesInScriptedServerForTheLocalRun() throws Exception {
        ChannelSender sender = scripted();

        send(
                sender,
                email(
                        "n-42",
                        BOB,
                        new Content(null, null, "Hi", "plain body", "<p>html body</p>")));

        ScriptedSmtpServer.ReceivedMessage stored = smtp.messages().get(0);
        assertThat(stored.recipients()).containsExactly(BOB);
        assertThat(stored.envelopeFrom()).isEqualTo(ScriptedSmtpServer.DEFAULT_FROM);
        MimeMessage parsed = new MimeMessage(null, new ByteArrayInputStream(stored.raw()));
        assertThat(parsed.getMessageID()).isEqualTo("<n-42@notiflow.test>");
        assertThat(((MimeMultipart) parsed.getContent()).getCount()).isEqualTo(2);
        assertThat(smtp.received())
                .singleElement()
                .satisfies(c -> assertThat(c.accepted()).isTrue());
    }
}
