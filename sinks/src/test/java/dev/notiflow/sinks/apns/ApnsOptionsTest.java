package dev.notiflow.sinks.apns;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApnsOptionsTest {

    private static Map<String, String> tokenAuth() {
        Map<String, String> conf = new HashMap<>();
        conf.put("apns.signing-key-file", "/secrets/AuthKey.p8");
        conf.put("apns.team-id", "TEAM123456");
        conf.put("apns.key-id", "KEY1234567");
        return conf;
    }

    @Test
    void shouldBeDisabledWithoutAnyCredentials() {
        assertThat(ApnsOptions.enabled(new Configuration())).isFalse();
        assertThatThrownBy(() -> ApnsOptions.fromConfig(new Configuration()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apns.signing-key-file")
                .hasMessageContaining("apns.client-certificate-file");
    }

    @Test
    void shouldReadTokenAuthWithProductionDefaults() {
        ApnsSettings settings = ApnsOptions.fromConfig(Configuration.fromMap(tokenAuth()));

        assertThat(ApnsOptions.enabled(Configuration.fromMap(tokenAuth()))).isTrue();
        assertThat(settings.tokenAuth()).isTrue();
        assertThat(settings.host()).isEqualTo("api.push.apple.com");
        assertThat(settings.port()).isEqualTo(443);
        assertThat(settings.expiration()).isEqualTo(Duration.ofDays(1));
        assertThat(settings.connections()).isEqualTo(2);
        assertThat(settings.maxPayloadBytes()).isEqualTo(4096);
        assertThat(settings.clientCertificateFile()).isNull();
    }

    @Test
    void shouldUseTheSandboxHostForTheSandboxEndpointUnlessAHostIsGiven() {
        Map<String, String> conf = tokenAuth();
        conf.put("apns.endpoint", "sandbox");
        assertThat(ApnsOptions.fromConfig(Configuration.fromMap(conf)).host())
                .isEqualTo("api.sandbox.push.apple.com");

        conf.put("apns.host", "localhost");
        conf.put("apns.port", "2197");
        ApnsSettings local = ApnsOptions.fromConfig(Configuration.fromMap(conf));
        assertThat(local.host()).isEqualTo("localhost");
        assertThat(local.port()).isEqualTo(2197);
    }

    @Test
    void shouldNameTheMissingTeamIdForTokenAuth() {
        Map<String, String> conf = tokenAuth();
        conf.remove("apns.team-id");

        assertThatThrownBy(() -> ApnsOptions.fromConfig(Configuration.fromMap(conf)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apns.team-id");
    }

    @Test
    void shouldRefuseBothTokenAndCertificateAuth() {
        Map<String, String> conf = tokenAuth();
        conf.put("apns.client-certificate-file", "/secrets/apns.p12");

        assertThatThrownBy(() -> ApnsOptions.fromConfig(Configuration.fromMap(conf)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only one");
    }

    @Test
    void shouldReadCertificateAuthWithThePasswordEnvironmentVariableByDefault() {
        Map<String, String> conf = new HashMap<>();
        conf.put("apns.client-certificate-file", "/secrets/apns.p12");

        ApnsSettings settings = ApnsOptions.fromConfig(Configuration.fromMap(conf));

        assertThat(settings.tokenAuth()).isFalse();
        assertThat(settings.clientCertificatePasswordEnv())
                .isEqualTo("APNS_CLIENT_CERTIFICATE_PASSWORD");
    }

    @Test
    void shouldRejectAnUnknownEndpointAndBadNumbers() {
        Map<String, String> conf = tokenAuth();
        conf.put("apns.endpoint", "staging");
        assertThatThrownBy(() -> ApnsOptions.fromConfig(Configuration.fromMap(conf)))
                .hasMessageContaining("apns.endpoint");

        Map<String, String> zero = tokenAuth();
        zero.put("apns.connections", "0");
        assertThatThrownBy(() -> ApnsOptions.fromConfig(Configuration.fromMap(zero)))
                .hasMessageContaining("apns.connections");

        Map<String, String> port = tokenAuth();
        port.put("apns.port", "70000");
        assertThatThrownBy(() -> ApnsOptions.fromConfig(Configuration.fromMap(port)))
                .hasMessageContaining("apns.port");
    }

    @Test
    void shouldFailCreateNamingTheKeyWhenTheSigningKeyFileIsMissing() {
        ApnsSettings settings = ApnsOptions.fromConfig(Configuration.fromMap(tokenAuth()));

        assertThatThrownBy(() -> new ApnsSenderFactory(settings).create())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("apns.signing-key-file");
    }
}
