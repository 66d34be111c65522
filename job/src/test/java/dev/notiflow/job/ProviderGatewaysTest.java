package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Provider;
import dev.notiflow.sinks.email.SmtpEmailSenderFactory;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProviderGatewaysTest {

    private static final Map<String, String> SMTP =
            Map.of(
                    "email.smtp.host", "127.0.0.1",
                    "email.smtp.port", "2525",
                    "email.smtp.security", "none",
                    "email.from", "notifications@example.com");

    @Test
    void shouldEnableOnlyConfiguredProviders() {
        Gateways gateways = ProviderGateways.fromConfig(Configuration.fromMap(SMTP));

        assertThat(gateways.enabledProviders()).containsExactly(Provider.SMTP);
        assertThat(gateways.factory(Provider.SMTP)).isInstanceOf(SmtpEmailSenderFactory.class);
    }

    @Test
    void shouldWrapEverySenderInTheLedgerWhenEnabled() {
        Configuration config = Configuration.fromMap(SMTP);
        config.setString("ledger.enabled", "true");
        config.setString("jdbc.url", "jdbc:postgresql://127.0.0.1:5432/notiflow");

        Gateways gateways = ProviderGateways.fromConfig(config);

        assertThat(gateways.factory(Provider.SMTP)).isInstanceOf(LedgeredSenderFactory.class);
    }

    @Test
    void shouldRefuseALedgerWithoutADatabase() {
        Configuration config = Configuration.fromMap(SMTP);
        config.setString("ledger.enabled", "true");

        assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                .hasMessageContaining("jdbc.url");
    }
}
