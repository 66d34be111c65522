package dev.notiflow.sinks.fcm;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FcmOptionsTest {

    @Test
    void shouldReadDefaultsWithTheGoogleEndpointAndTheStandardEnvironmentVariable() {
        FcmSettings settings = FcmOptions.fromConfig(new Configuration());

        assertThat(settings.credentialsFile()).isNull();
        assertThat(settings.credentialsEnv()).isEqualTo("GOOGLE_APPLICATION_CREDENTIALS");
        assertThat(settings.endpoint()).isEqualTo("https://fcm.googleapis.com");
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.readTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.maxPayloadBytes()).isEqualTo(4096);
    }

    @Test
    void shouldBeEnabledByACredentialsFile() {
        Map<String, String> conf = new HashMap<>();
        conf.put("fcm.credentials-file", "/secrets/sa.json");
        conf.put("fcm.credentials-env", "NOTIFLOW_SURELY_UNSET_VARIABLE");
        assertThat(FcmOptions.enabled(Configuration.fromMap(conf))).isTrue();

        conf.remove("fcm.credentials-file");
        assertThat(FcmOptions.enabled(Configuration.fromMap(conf))).isFalse();
    }

    @Test
    void shouldNameTheInvalidEndpoint() {
        Map<String, String> conf = Map.of("fcm.endpoint", "fcm.googleapis.com");

        assertThatThrownBy(() -> FcmOptions.fromConfig(Configuration.fromMap(conf)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fcm.endpoint");
    }

    @Test
    void shouldRefuseATtlOverTwentyEightDays() {
        Map<String, String> conf = Map.of("fcm.ttl", "29 d");

        assertThatThrownBy(() -> FcmOptions.fromConfig(Configuration.fromMap(conf)))
                .hasMessageContaining("fcm.ttl");
    }

    @Test
    void shouldRewriteOnlyGooglesFcmUrlsToTheConfiguredEndpoint() throws Exception {
        URL send = URI.create("https://fcm.googleapis.com/v1/projects/p/messages:send").toURL();
        URL token = URI.create("https://oauth2.googleapis.com/token").toURL();

        assertThat(FcmSenderFactory.rewrite(send, "http://127.0.0.1:9999").toString())
                .isEqualTo("http://127.0.0.1:9999/v1/projects/p/messages:send");
        assertThat(FcmSenderFactory.rewrite(token, "http://127.0.0.1:9999")).isEqualTo(token);
        assertThat(FcmSenderFactory.rewrite(send, FcmOptions.DEFAULT_ENDPOINT)).isEqualTo(send);
    }

    @Test
    void shouldReadRetryAfterAsSecondsOrAnHttpDate() {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");

        assertThat(FcmResults.retryAfterMillis(Map.of("retry-after", List.of("30")), now))
                .isEqualTo(30_000L);
        assertThat(
                        FcmResults.retryAfterMillis(
                                Map.of("Retry-After", "Sun, 22 Nov 2026 10:01:00 GMT"), now))
                .isEqualTo(60_000L);
        assertThat(FcmResults.retryAfterMillis(Map.of(), now)).isNull();
        assertThat(FcmResults.retryAfterMillis(Map.of("retry-after", "soon"), now)).isNull();
    }

    @Test
    void shouldFailCreateWhenTheCredentialsFileIsMissing() {
        Map<String, String> conf = Map.of("fcm.credentials-file", "/nonexistent/sa.json");
        FcmSettings settings = FcmOptions.fromConfig(Configuration.fromMap(conf));

        assertThatThrownBy(() -> new FcmSenderFactory(settings).create())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fcm.credentials-file");
    }
}
