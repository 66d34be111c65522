package dev.notiflow.jdbc;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.jdbc.JdbcExecutionOptions;
import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JdbcSettingsTest {

    private static final String URL = "jdbc:postgresql://db:5432/notiflow";

    @TempDir Path dir;

    @Test
    void shouldAddLogServerErrorDetailFalseToPostgresUrls() {
        assertThat(JdbcSettings.of(URL, "u").url()).isEqualTo(URL + "?logServerErrorDetail=false");
        assertThat(JdbcSettings.of(URL + "?ssl=true", "u").url())
                .isEqualTo(URL + "?ssl=true&logServerErrorDetail=false");
    }

    @Test
    void shouldOverrideAnExplicitLogServerErrorDetailTrue() {
        assertThat(JdbcSettings.of(URL + "?logServerErrorDetail=true&ssl=true", "u").url())
                .isEqualTo(URL + "?ssl=true&logServerErrorDetail=false");
        assertThat(JdbcSettings.of(URL + "?a=1&logServerErrorDetail=TRUE&b=2", "u").url())
                .isEqualTo(URL + "?a=1&b=2&logServerErrorDetail=false");
        assertThat(JdbcSettings.of(URL + "?logServerErrorDetail=true", "u").url())
                .isEqualTo(URL + "?logServerErrorDetail=false");
    }

    @Test
    void shouldLeaveOtherDriversUrlsAlone() {
        assertThat(JdbcSettings.of("jdbc:h2:mem:t", null).url()).isEqualTo("jdbc:h2:mem:t");
    }

    @Test
    void shouldReadThePasswordFromTheNamedEnvironmentVariable() {
        JdbcSettings settings = JdbcSettings.of(URL, "u").withPasswordEnv("DB_SECRET");

        assertThat(settings.resolvePassword(Map.of("DB_SECRET", "s3cret")::get))
                .isEqualTo("s3cret");
        assertThat(settings.resolvePassword(Map.<String, String>of()::get)).isNull();
    }

    @Test
    void shouldPreferThePasswordFileAndStripTrailingLineBreaks() throws Exception {
        Path file = dir.resolve("password");
        Files.writeString(file, "from-file\n");
        JdbcSettings settings =
                new JdbcSettings(URL, "u", "DB_SECRET", file.toString(), 10, Duration.ZERO, 0);

        assertThat(settings.resolvePassword(Map.of("DB_SECRET", "from-env")::get))
                .isEqualTo("from-file");
    }

    @Test
    void shouldFailOnAMissingPasswordFileWithoutAnyPasswordInTheMessage() {
        JdbcSettings settings =
                JdbcSettings.of(URL, "u").withPasswordFile(dir.resolve("absent").toString());

        assertThatThrownBy(settings::resolvePassword)
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("absent");
    }

    @Test
    void shouldNeverCarryThePasswordWhenSerialized() throws Exception {
        Path file = dir.resolve("password");
        Files.writeString(file, "top-secret-value");
        JdbcSettings settings = JdbcSettings.of(URL, "u").withPasswordFile(file.toString());

        byte[] sinkBytes = InstantiationUtil.serializeObject(DeliveryTableSink.create(settings));
        byte[] settingsBytes = InstantiationUtil.serializeObject(settings);

        assertThat(new String(sinkBytes, java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("top-secret-value")
                .contains("password");
        assertThat(
                        (JdbcSettings)
                                InstantiationUtil.deserializeObject(
                                        settingsBytes, getClass().getClassLoader()))
                .isEqualTo(settings);
        assertThat(settings.toString()).doesNotContain("top-secret-value");
    }

    @Test
    void shouldRejectNonsenseNumbers() {
        assertThatThrownBy(() -> JdbcSettings.of(URL, "u").withBatch(0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JdbcSettings.of(URL, "u").withBatch(1, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JdbcSettings.of(URL, "u").withMaxRetries(-1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JdbcSettings.of(" ", "u"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldTranslateBatchingToFlinkExecutionOptions() {
        JdbcExecutionOptions options =
                JdbcSettings.of(URL, "u")
                        .withBatch(42, Duration.ofMillis(250))
                        .withMaxRetries(7)
                        .executionOptions();

        assertThat(options.getBatchSize()).isEqualTo(42);
        assertThat(options.getBatchIntervalMs()).isEqualTo(250);
        assertThat(options.getMaxRetries()).isEqualTo(7);
    }

    @Test
    void shouldBeDisabledWithoutUrlAndReadEveryOption() {
        Configuration config = new Configuration();
        assertThat(JdbcOptions.enabled(config)).isFalse();
        assertThatThrownBy(() -> JdbcOptions.settings(config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("jdbc.url");

        config.setString("jdbc.url", URL);
        config.setString("jdbc.user", "notiflow");
        config.setString("jdbc.password-file", "/run/secrets/jdbc");
        config.setString("jdbc.batch-size", "100");
        config.setString("jdbc.batch-interval", "250 ms");
        config.setString("jdbc.max-retries", "5");

        assertThat(JdbcOptions.enabled(config)).isTrue();
        assertThat(JdbcOptions.settings(config))
                .isEqualTo(
                        new JdbcSettings(
                                URL,
                                "notiflow",
                                JdbcSettings.DEFAULT_PASSWORD_ENV,
                                "/run/secrets/jdbc",
                                100,
                                Duration.ofMillis(250),
                                5));
    }

    @Test
    void shouldDefaultThePasswordVariableAndBatching() {
        Configuration config = new Configuration();
        config.setString("jdbc.url", URL);
        config.setString("jdbc.username", "legacy-key");

        JdbcSettings settings = JdbcOptions.settings(config);

        assertThat(settings.user()).isEqualTo("legacy-key");
        assertThat(settings.passwordEnv()).isEqualTo("NOTIFLOW_JDBC_PASSWORD");
        assertThat(settings.passwordFile()).isNull();
        assertThat(settings.batchSize()).isEqualTo(500);
        assertThat(settings.batchInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.maxRetries()).isEqualTo(3);
    }
}
