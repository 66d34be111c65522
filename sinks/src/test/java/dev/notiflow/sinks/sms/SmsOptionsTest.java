package dev.notiflow.sinks.sms;

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

class SmsOptionsTest {

    private static final String ACCOUNT = "AC" + "0123456789abcdef".repeat(2);

    private static Configuration conf(Map<String, String> entries) {
        return Configuration.fromMap(entries);
    }

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("sms.account-sid", ACCOUNT);
        m.put("sms.from", "+14155552671");
        return m;
    }

    @Test
    void shouldBeDisabledWithoutAccountSid() {
        assertThat(SmsOptions.enabled(conf(Map.of()))).isFalse();
        assertThat(SmsOptions.enabled(conf(Map.of("sms.account-sid", " ")))).isFalse();
        assertThat(SmsOptions.enabled(conf(minimal()))).isTrue();
    }

    @Test
    void shouldApplyDefaults() {
        SmsSettings s = SmsOptions.fromConfig(conf(minimal()));

        assertThat(s.baseUrl()).isEqualTo("https://api.twilio.com");
        assertThat(s.secretEnv()).isEqualTo("TWILIO_AUTH_TOKEN");
        assertThat(s.secretFile()).isNull();
        assertThat(s.maxSegments()).isEqualTo(10);
        assertThat(s.maxConcurrentRequests()).isEqualTo(8);
        assertThat(s.readTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void shouldReadApiSecretFromItsOwnVariableWhenApiKeyIsSet() {
        Map<String, String> m = minimal();
        m.put("sms.api-key-sid", "SK" + "0123456789abcdef".repeat(2));

        assertThat(SmsOptions.fromConfig(conf(m)).secretEnv()).isEqualTo("TWILIO_API_SECRET");
    }

    @Test
    void shouldStripTrailingSlashFromBaseUrl() {
        Map<String, String> m = minimal();
        m.put("sms.base-url", "http://127.0.0.1:8080/");

        assertThat(SmsOptions.fromConfig(conf(m)).baseUrl()).isEqualTo("http://127.0.0.1:8080");
    }

    @Test
    void shouldNameMissingAccountSid() {
        assertThatThrownBy(() -> SmsOptions.fromConfig(conf(Map.of("sms.from", "+14155552671"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sms.account-sid");
    }

    @Test
    void shouldRequireSenderOrMessagingService() {
        Map<String, String> m = minimal();
        m.remove("sms.from");

        assertThatThrownBy(() -> SmsOptions.fromConfig(conf(m)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sms.from")
                .hasMessageContaining("sms.messaging-service-sid");
    }

    @Test
    void shouldNameEachInvalidKey() {
        Map<String, Map.Entry<String, String>> cases =
                Map.of(
                        "sms.account-sid", Map.entry("sms.account-sid", "AC123"),
                        "sms.api-key-sid", Map.entry("sms.api-key-sid", "key"),
                        "sms.from", Map.entry("sms.from", "+0123"),
                        "sms.messaging-service-sid", Map.entry("sms.messaging-service-sid", "MG1"),
                        "sms.base-url", Map.entry("sms.base-url", "ftp://example.com"),
                        "sms.max-segments", Map.entry("sms.max-segments", "0"),
                        "sms.max-queued", Map.entry("sms.max-queued", "0"),
                        "sms.read-timeout", Map.entry("sms.read-timeout", "0 ms"),
                        "sms.auth-token-env", Map.entry("sms.auth-token-env", "NOT A NAME"));
        cases.forEach(
                (key, entry) -> {
                    Map<String, String> m = minimal();
                    m.put(entry.getKey(), entry.getValue());
                    assertThatThrownBy(() -> SmsOptions.fromConfig(conf(m)))
                            .as(key)
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessageStartingWith(key + " ");
                });
    }

    @Test
    void shouldAcceptShortCodeAndAlphanumericSender() {
        for (String from : new String[] {"12345", "NotiFlow", "Shop 24"}) {
            Map<String, String> m = minimal();
            m.put("sms.from", from);
            assertThat(SmsOptions.fromConfig(conf(m)).from()).isEqualTo(from);
        }
    }

    @Test
    void shouldReadSecretFromFileAndNameMissingVariable(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("token"), "  abc123\n");
        Map<String, String> withFile = minimal();
        withFile.put("sms.secret-file", secret.toString());
        assertThat(SmsOptions.fromConfig(conf(withFile)).resolveSecret()).isEqualTo("abc123");

        Map<String, String> withEnv = minimal();
        withEnv.put("sms.auth-token-env", "NOTIFLOW_TEST_UNSET_TWILIO_TOKEN_4711");
        assertThatThrownBy(() -> SmsOptions.fromConfig(conf(withEnv)).resolveSecret())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("NOTIFLOW_TEST_UNSET_TWILIO_TOKEN_4711");
    }

    @Test
    void shouldSerializeFactoryWithoutSecretValue(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("token"), "super-secret-token");
        Map<String, String> m = minimal();
        m.put("sms.secret-file", secret.toString());
        TwilioSmsSenderFactory factory = new TwilioSmsSenderFactory(SmsOptions.fromConfig(conf(m)));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(factory);
        }
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("super-secret-token");
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            TwilioSmsSenderFactory copy = (TwilioSmsSenderFactory) in.readObject();
            assertThat(copy.settings()).isEqualTo(factory.settings());
        }
    }
}
