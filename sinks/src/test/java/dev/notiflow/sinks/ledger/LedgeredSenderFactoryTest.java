package dev.notiflow.sinks.ledger;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.InstantiationUtil;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The factory travels with the job graph, and the options fail fast when misconfigured. */
class LedgeredSenderFactoryTest {

    @Test
    void shouldSurviveSerializationAndCreateALedgeredSender() throws Exception {
        SenderFactory inner = LedgeredSenderTest.FakeProvider::new;
        LedgeredSenderFactory factory =
                new LedgeredSenderFactory(
                        inner,
                        JdbcSettings.of("jdbc:postgresql://127.0.0.1:1/none", "notiflow"),
                        Duration.ofMillis(200));

        LedgeredSenderFactory copy = InstantiationUtil.clone(factory, getClass().getClassLoader());

        try (ChannelSender sender = copy.create()) {
            assertThat(sender).isInstanceOf(LedgeredSender.class);
        }
    }

    @Test
    void shouldStaySwitchedOffByDefault() {
        assertThat(LedgerOptions.enabled(new Configuration())).isFalse();
        assertThat(LedgerOptions.timeout(new Configuration()))
                .isEqualTo(LedgeredSender.DEFAULT_TIMEOUT);
    }

    @Test
    void shouldRefuseToStartWhenEnabledWithoutADatabase() {
        Configuration config = new Configuration();
        config.set(LedgerOptions.ENABLED, true);

        assertThatThrownBy(() -> LedgerOptions.jdbcSettings(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ledger.enabled")
                .hasMessageContaining("jdbc.url is not set");
    }

    @Test
    void shouldUseTheJdbcSettingsWhenEnabled() {
        Configuration config = new Configuration();
        config.set(LedgerOptions.ENABLED, true);
        config.set(JdbcOptions.URL, "jdbc:postgresql://db:5432/notiflow");
        config.set(JdbcOptions.USER, "notiflow");

        JdbcSettings settings = LedgerOptions.jdbcSettings(config);

        assertThat(settings.url()).startsWith("jdbc:postgresql://db:5432/notiflow");
        assertThat(settings.user()).isEqualTo("notiflow");
    }

    @Test
    void shouldRefuseANonPositiveTimeout() {
        Configuration config = new Configuration();
        config.set(LedgerOptions.TIMEOUT, Duration.ZERO);

        assertThatThrownBy(() -> LedgerOptions.timeout(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ledger.timeout");
    }

    @Test
    void shouldReadTheBatchingAndRefuseValuesOutOfRange() {
        assertThat(LedgerOptions.batching(new Configuration()))
                .isEqualTo(LedgeredSender.Batching.DEFAULT);
        Configuration config = new Configuration();
        config.set(LedgerOptions.BATCH_SIZE, 50);
        config.set(LedgerOptions.BATCH_LINGER, Duration.ZERO);
        assertThat(LedgerOptions.batching(config))
                .isEqualTo(new LedgeredSender.Batching(50, Duration.ZERO));

        config.set(LedgerOptions.BATCH_SIZE, 0);
        assertThatThrownBy(() -> LedgerOptions.batching(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ledger.batch-size");
        config.set(LedgerOptions.BATCH_SIZE, 10_001);
        assertThatThrownBy(() -> LedgerOptions.batching(config))
                .hasMessageContaining("ledger.batch-size");

        config.set(LedgerOptions.BATCH_SIZE, 50);
        config.set(LedgerOptions.BATCH_LINGER, Duration.ofSeconds(2));
        assertThatThrownBy(() -> LedgerOptions.batching(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ledger.batch-linger");
    }
}
