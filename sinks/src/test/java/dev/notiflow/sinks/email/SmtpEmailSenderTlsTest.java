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
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer.TlsMode;
import dev.notiflow.testkit.providers.tls.LocalCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The email sender over STARTTLS and implicit TLS, trusting a local server's own certificate. */
class SmtpEmailSenderTlsTest {

    private static LocalCertificate certificate;

    @BeforeAll
    static void generateCertificate() {
        certificate = LocalCertificate.generate("localhost");
    }

    private static SendResult sendOne(Map<String, String> config) throws Exception {
        ChannelSender sender =
                new SmtpEmailSenderFactory(EmailOptions.fromConfig(Configuration.fromMap(config)))
                        .create();
        try {
            SendRequest request =
                    SendRequest.builder()
                            .notificationId("n-tls")
                            .eventId("e-1")
                            .userId("u-1")
                            .type("order.shipped")
                            .category("order")
                            .channel(Channel.EMAIL)
                            .provider(Provider.SMTP)
                            .address("bob@example.com")
                            .locale("en")
                            .priority(Priority.HIGH)
                            .templateId("order_shipped")
                            .data(Map.of())
                            .content(
                                    new Content(
                                            null,
                                            null,
                                            "Shipped",
                                            "On its way",
                                            "<p>On its way</p>"))
                            .createdAt(Instant.parse("2026-11-21T23:00:00Z"))
                            .receivedAt(Instant.parse("2026-11-21T23:00:01Z"))
                            .build();
            return sender.send(request).get(20, TimeUnit.SECONDS);
        } finally {
            sender.close();
        }
    }

    @Test
    void shouldDeliverOverStartTlsWithAuthentication() throws Exception {
        try (ScriptedSmtpServer smtp =
                ScriptedSmtpServer.builder()
                        .script(ProviderScript.acceptAll())
                        .auth("mailer", "s3cret")
                        .tls(TlsMode.STARTTLS)
                        .certificate(certificate)
                        .start()) {
            SendResult result = sendOne(smtp.senderConfig());

            assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(smtp.messages())
                    .singleElement()
                    .satisfies(m -> assertThat(m.messageId()).isEqualTo("<n-tls@notiflow.test>"));
        }
    }

    @Test
    void shouldDeliverOverImplicitTls() throws Exception {
        try (ScriptedSmtpServer smtp =
                ScriptedSmtpServer.builder()
                        .tls(TlsMode.IMPLICIT)
                        .certificate(certificate)
                        .start()) {
            SendResult result = sendOne(smtp.senderConfig());

            assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(smtp.messages()).hasSize(1);
        }
    }

    @Test
    void shouldReportConnectionErrorWhenServerCertificateIsNotTrusted() throws Exception {
        try (ScriptedSmtpServer smtp =
                ScriptedSmtpServer.builder()
                        .tls(TlsMode.IMPLICIT)
                        .certificate(certificate)
                        .start()) {
            Map<String, String> config = new HashMap<>(smtp.senderConfig());
            config.remove("email.smtp.trusted-certificate-file");

            SendResult result = sendOne(config);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
            assertThat(result.detail()).startsWith("TLS failed");
            assertThat(smtp.messages()).isEmpty();
        }
    }

    @Test
    void shouldRefuseToSendInClearWhenStartTlsUpgradeIsNotTrusted() throws Exception {
        try (ScriptedSmtpServer smtp =
                ScriptedSmtpServer.builder()
                        .tls(TlsMode.STARTTLS)
                        .certificate(certificate)
                        .start()) {
            Map<String, String> config = new HashMap<>(smtp.senderConfig());
            config.remove("email.smtp.trusted-certificate-file");

            SendResult result = sendOne(config);

            assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
            assertThat(smtp.messages()).isEmpty();
        }
    }
}
