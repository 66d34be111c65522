package dev.notiflow.gateway;

import dev.notiflow.gateway.ApiKeys.Scope;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key file's format, the hashed lookup, and the rate and duration values of the options. */
class ApiKeysTest {

    @Test
    void findsAKeyByItsHashWithItsScopes() {
        ApiKeys keys =
                ApiKeys.parse(
                        "# comment\n"
                                + ApiKeys.line("alpha-key", "send", "alpha")
                                + "\n\n"
                                + ApiKeys.line("beta-key", "manage,read", "beta service"),
                        "test");
        assertThat(keys.find("alpha-key").name()).isEqualTo("alpha");
        assertThat(keys.find("beta-key").name()).isEqualTo("beta service");
        assertThat(keys.find("beta-key").scopes())
                .containsExactlyInAnyOrder(Scope.MANAGE, Scope.READ);
        assertThat(keys.find("alpha-ke")).isNull();
        assertThat(keys.find("")).isNull();
        // the file holds hashes only: the hash itself is not a key
        String hash = ApiKeys.line("alpha-key", "send", "alpha").split(" ")[0];
        assertThat(keys.find(hash)).isNull();
    }

    @Test
    void aBadLineIsNamedWithItsPlace() {
        assertThatThrownBy(() -> ApiKeys.parse("abcd send x", "keys.txt"))
                .hasMessage("keys.txt entry 1: the hash is not 64 hex digits");
        assertThatThrownBy(
                        () ->
                                ApiKeys.parse(
                                        ApiKeys.line("k", "send", "a")
                                                + "\n"
                                                + ApiKeys.line("k", "admin", "b"),
                                        "keys.txt"))
                .hasMessageContaining("entry 2: unknown scope 'admin'");
        assertThatThrownBy(() -> ApiKeys.parse("# nothing\n", "NOTIFLOW_API_KEYS"))
                .hasMessage("NOTIFLOW_API_KEYS holds no API key");
    }

    @Test
    void ratesAndDurationsReadAsDocumented() {
        assertThat(GatewayOptions.RATE_LIMIT.get(Map.of()))
                .isEqualTo(new GatewayOptions.RateLimit(100, Duration.ofSeconds(1)));
        assertThat(GatewayOptions.RATE_LIMIT.get(Map.of("gateway.rate-limit", "6000/min")))
                .isEqualTo(new GatewayOptions.RateLimit(6000, Duration.ofMinutes(1)));
        assertThat(GatewayOptions.RATE_LIMIT.get(Map.of("gateway.rate-limit", "5/10 s")))
                .isEqualTo(new GatewayOptions.RateLimit(5, Duration.ofSeconds(10)));
        assertThat(GatewayOptions.IDEMPOTENCY_WINDOW.get(Map.of())).isEqualTo(Duration.ofHours(24));
        assertThat(GatewayOptions.KAFKA_TIMEOUT.get(Map.of("gateway.kafka-timeout", "250 ms")))
                .isEqualTo(Duration.ofMillis(250));
        assertThat(GatewayOptions.KAFKA_TIMEOUT.get(Map.of("gateway.kafka-timeout", "PT3S")))
                .isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(
                        () ->
                                GatewayOptions.KAFKA_TIMEOUT.get(
                                        Map.of("gateway.kafka-timeout", "0 s")))
                .hasMessageStartingWith(
                        "gateway.kafka-timeout: cannot use '0 s': must be positive");
        assertThatThrownBy(() -> GatewayOptions.MAX_BATCH.get(Map.of("gateway.max-batch", "0")))
                .hasMessageStartingWith("gateway.max-batch:");
    }
}
