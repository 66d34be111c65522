package dev.notiflow.sinks.email;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmailOptionsTest {

    private static Configuration conf(Map<String, String> entries) {
        return Configuration.fromMap(entries);
    }

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("email.smtp.host", "smtp.example.com");
        m.put("email.from", "Shop <noreply@shop.example.com>");
        return m;
    }

    @Test
    void shouldBeDisabledWithoutHost() {
        assertThat(EmailOptions.enabled(conf(Map.of()))).isFalse();
        assertThat(EmailOptions.enabled(conf(minimal()))).isTrue();
    }

    @Test
    void shouldApplyDefaultsAndDeriveMessageIdDomainFromSender() {
        EmailSettings s = EmailOptions.fromConfig(conf(minimal()));

        assertThat(s.port()).isEqualTo(587);
        assertThat(s.security()).isEqualTo(SmtpSecurity.STARTTLS);
        assertThat(s.messageIdDomain()).isEqualTo("shop.example.com");
        assertThat(s.passwordEnv()).isEqualTo("SMTP_PASSWORD");
        assertThat(s.connections()).isEqualTo(4);
        assertThat(s.readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.resolvePassword()).as("no user, no password").isNull();
    }

    @Test
    void shouldParseSecurityCaseInsensitively() {
        Map<String, String> m = minimal();
        m.put("email.smtp.security", "tls");

        assertThat(EmailOptions.fromConfig(conf(m)).security()).isEqualTo(SmtpSecurity.TLS);
    }

    @Test
    void shouldNameMissingFrom() {
        assertThatThrownBy(() -> EmailOptions.fromConfig(conf(Map.of("email.smtp.host", "h"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("email.from ");
    }

    @Test
    void shouldNameEachInvalidKey() {
        Map<String, Map.Entry<String, String>> cases =
                Map.of(
                        "email.from", Map.entry("email.from", "not an address"),
                        "email.smtp.port", Map.entry("email.smtp.port", "70000"),
                        "email.smtp.host", Map.entry("email.smtp.host", "smtp example"),
                        "email.message-id-domain",
                                Map.entry("email.message-id-domain", "bad domain"),
                        "email.connections", Map.entry("email.connections", "0"),
                        "email.max-queued", Map.entry("email.max-queued", "0"),
                        "email.smtp.connect-timeout",
                                Map.entry("email.smtp.connect-timeout", "0 s"),
                        "email.smtp.password-env", Map.entry("email.smtp.password-env", "1X"));
        cases.forEach(
                (key, entry) -> {
                    Map<String, String> m = minimal();
                    m.put(entry.getKey(), entry.getValue());
                    assertThatThrownBy(() -> EmailOptions.fromConfig(conf(m)))
                            .as(key)
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessageStartingWith(key + " ");
                });
    }

    @Test
    void shouldReadPasswordFromFileAndNameMissingVariable(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), "p4ss\n");
        Map<String, String> withFile = minimal();
        withFile.put("email.smtp.username", "mailer");
        withFile.put("email.smtp.password-file", file.toString());
        assertThat(EmailOptions.fromConfig(conf(withFile)).resolvePassword()).isEqualTo("p4ss");

        Map<String, String> withEnv = minimal();
        withEnv.put("email.smtp.username", "mailer");
        withEnv.put("email.smtp.password-env", "NOTIFLOW_TEST_UNSET_SMTP_PASSWORD_4711");
        assertThatThrownBy(() -> EmailOptions.fromConfig(conf(withEnv)).resolvePassword())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("NOTIFLOW_TEST_UNSET_SMTP_PASSWORD_4711");
    }

    @Test
    void shouldSerializeFactoryWithoutPasswordValue(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), "very-secret-password");
        Map<String, String> m = minimal();
        m.put("email.smtp.username", "mailer");
        m.put("email.smtp.password-file", file.toString());
        SmtpEmailSenderFactory factory =
                new SmtpEmailSenderFactory(EmailOptions.fromConfig(conf(m)));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(factory);
        }
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("very-secret-password");
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            SmtpEmailSenderFactory copy = (SmtpEmailSenderFactory) in.readObject();
            assertThat(copy.settings()).isEqualTo(factory.settings());
        }
    }

    @Test
    void shouldEscapeMessageIdCharactersOneToOne() {
        assertThat(SmtpEmailSender.messageId("evt-1:u-1:email", "x.test"))
                .isEqualTo("<evt-1=3Au-1=3Aemail@x.test>");
        assertThat(SmtpEmailSender.messageId("a=3A", "x.test")).isEqualTo("<a=3D3A@x.test>");
        assertThat(SmtpEmailSender.messageId("주문", "x.test"))
                .isEqualTo("<=EC=A3=BC=EB=AC=B8@x.test>");
    }
}
