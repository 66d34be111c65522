package dev.notiflow.sinks.email;

import dev.notiflow.model.SendStatus;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;

import java.net.ConnectException;
import java.net.SocketTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/** Classification of Jakarta Mail failures that a local server cannot easily provoke. */
class SmtpFailuresTest {

    private static final InternetAddress BOB = address("bob@example.com");

    private static InternetAddress address(String a) {
        try {
            return new InternetAddress(a);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SMTPSendFailedException afterCommand(String command, int code, String reply) {
        return new SMTPSendFailedException(command, code, reply, null, null, null, null);
    }

    @Test
    void shouldNeverPutTheServersTextIntoDetail() {
        SendFailedException e =
                new SendFailedException(
                        "Invalid Addresses",
                        new SMTPAddressFailedException(
                                BOB,
                                "RCPT TO:<bob@example.com>",
                                550,
                                "550 5.1.1 <bob@example.com>: Recipient address rejected"));

        SmtpFailures.Failure f = SmtpFailures.classify(e);

        assertThat(f.result().reason()).isEqualTo("RECIPIENT_REJECTED");
        assertThat(f.result().detail()).isEqualTo("RCPT 550 5.1.1").doesNotContain("bob");
        assertThat(f.dropConnection()).isFalse();
    }

    @Test
    void shouldTreatRcpt552AsFullMailboxToRetry() {
        SendFailedException e =
                new SendFailedException(
                        "Invalid Addresses",
                        new SMTPAddressFailedException(BOB, "RCPT", 552, "552 5.2.2 Mailbox full"));

        assertThat(SmtpFailures.classify(e).result().reason()).isEqualTo("SMTP_TRANSIENT");
    }

    @Test
    void shouldMapAuthRequiredAtMailToCredentialsRejected() {
        SmtpFailures.Failure f =
                SmtpFailures.classify(
                        afterCommand(
                                "MAIL FROM:<n@x.test>", 530, "530 5.7.0 Authentication required"));

        assertThat(f.result().status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(f.result().reason()).isEqualTo("CREDENTIALS_REJECTED");
        assertThat(f.result().detail()).isEqualTo("MAIL 530 5.7.0");
    }

    @Test
    void shouldMapAuthenticationFailureTo535CredentialsRejected() {
        SmtpFailures.Failure f =
                SmtpFailures.classify(
                        new AuthenticationFailedException("535 5.7.8 Authentication failed"));

        assertThat(f.result().reason()).isEqualTo("CREDENTIALS_REJECTED");
        assertThat(f.result().detail()).isEqualTo("AUTH 535 5.7.8");
        assertThat(f.dropConnection()).isTrue();
    }

    @Test
    void shouldMap421AfterDataToProviderUnavailableAndDropConnection() {
        SmtpFailures.Failure f =
                SmtpFailures.classify(afterCommand(".", 421, "421 4.3.2 Shutting down"));

        assertThat(f.result().reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(f.dropConnection()).isTrue();
    }

    @Test
    void shouldMapTimeoutsAndRefusalsAndTlsFailures() {
        assertThat(
                        SmtpFailures.classify(
                                        new MessagingException(
                                                "Exception reading response",
                                                new SocketTimeoutException("Read timed out")))
                                .result()
                                .reason())
                .isEqualTo("TIMEOUT");
        assertThat(
                        SmtpFailures.classify(
                                        new MessagingException(
                                                "Could not connect to SMTP host",
                                                new ConnectException("Connection refused")))
                                .result()
                                .reason())
                .isEqualTo("CONNECTION_ERROR");
        SmtpFailures.Failure tls =
                SmtpFailures.classify(
                        new MessagingException(
                                "Could not convert socket to TLS",
                                new SSLHandshakeException("PKIX path building failed")));
        assertThat(tls.result().reason()).isEqualTo("CONNECTION_ERROR");
        assertThat(tls.result().detail()).startsWith("TLS failed");
    }

    @Test
    void shouldReadEnhancedStatusOnlyWhenPresent() {
        assertThat(SmtpFailures.enhanced("450 4.2.2 Mailbox full")).isEqualTo("4.2.2");
        assertThat(SmtpFailures.enhanced("550 Requested action not taken")).isNull();
        assertThat(SmtpFailures.enhanced("550 at 10.1.2.3 rejected")).isNull();
    }
}
