package dev.notiflow.sinks.apns;

import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;

import java.net.ConnectException;
import java.time.Instant;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

class ApnsResultsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
    private static final Instant DIED_AT = Instant.parse("2026-11-01T12:00:00Z");

    @Test
    void shouldUseTheApnsTimestampForAn410AndNowWhenItIsMissing() {
        assertThat(ApnsResults.rejection(410, "Unregistered", DIED_AT, NOW).tokenInvalidatedAt())
                .isEqualTo(DIED_AT);
        assertThat(ApnsResults.rejection(410, "ExpiredToken", null, NOW).tokenInvalidatedAt())
                .isEqualTo(NOW);
    }

    @Test
    void shouldTreatBadPathAsAConfigurationError() {
        SendResult result = ApnsResults.rejection(404, "BadPath", null, NOW);

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("CONFIGURATION_ERROR");
    }

    @Test
    void shouldRetryUnknownStatusesAsProviderError() {
        assertThat(ApnsResults.rejection(418, null, null, NOW).reason())
                .isEqualTo("PROVIDER_ERROR");
        assertThat(ApnsResults.rejection(502, null, null, NOW).reason())
                .isEqualTo("PROVIDER_UNAVAILABLE");
    }

    @Test
    void shouldMapTransportFailuresToConnectionError() {
        assertThat(
                        ApnsResults.failure(
                                        new CompletionException(new ConnectException("refused")))
                                .reason())
                .isEqualTo("CONNECTION_ERROR");
        SendResult tls = ApnsResults.failure(new SSLHandshakeException("bad certificate"));
        assertThat(tls.reason()).isEqualTo("CONNECTION_ERROR");
        assertThat(tls.detail()).startsWith("TLS failure");
    }
}
