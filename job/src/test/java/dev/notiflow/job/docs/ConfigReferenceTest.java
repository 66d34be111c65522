package dev.notiflow.job.docs;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.job.JobOptions;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.email.EmailOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keeps docs/configuration.md true: its generated tables must equal what {@link ConfigReference}
 * renders from the options classes now. With {@code -Dnotiflow.docs.regenerate=true} the test
 * rewrites the tables instead of failing.
 */
class ConfigReferenceTest {

    @BeforeAll
    static void regenerateWhenAsked() throws IOException {
        Path file = ConfigReference.file();
        assertThat(file)
                .as("%s from %s", ConfigReference.RELATIVE_PATH, Path.of("").toAbsolutePath())
                .isRegularFile();
        if (Boolean.getBoolean(ConfigReference.REGENERATE_PROPERTY)) {
            ConfigReference.regenerate(file);
        }
    }

    @Test
    void shouldMatchTheOptionsInTheCode() throws IOException {
        String committed = Files.readString(ConfigReference.file(), StandardCharsets.UTF_8);

        assertThat(committed)
                .as(
                        "%s is out of date with the options classes; regenerate it with:%n  %s",
                        ConfigReference.RELATIVE_PATH, ConfigReference.HOW_TO_REGENERATE)
                .isEqualTo(ConfigReference.apply(committed));
    }

    @Test
    void shouldDocumentEveryOptionKeyOnce() throws IOException {
        String committed = Files.readString(ConfigReference.file(), StandardCharsets.UTF_8);

        for (ConfigReference.Section section : ConfigReference.sections()) {
            for (ConfigOption<?> option : section.options()) {
                assertThat(committed.split("\\| `" + Pattern.quote(option.key()) + "` \\|", -1))
                        .as("rows for %s", option.key())
                        .hasSize(2);
            }
        }
    }

    @Test
    void shouldListEveryPublicJobOptionInAll() {
        Set<String> inAll =
                JobOptions.all().stream().map(ConfigOption::key).collect(Collectors.toSet());
        Set<String> fields =
                ConfigReference.fieldOptions(JobOptions.class).stream()
                        .map(ConfigOption::key)
                        .collect(Collectors.toSet());

        assertThat(inAll).containsAll(fields);
    }

    @Test
    void shouldCoverThePerProviderJobOptions() {
        List<String> keys =
                ConfigReference.sections().get(0).options().stream()
                        .map(ConfigOption::key)
                        .toList();

        for (Provider p : Provider.values()) {
            assertThat(keys)
                    .contains(
                            JobOptions.sendTimeout(p).key(),
                            JobOptions.sendCapacity(p).key(),
                            JobOptions.sendRateLimit(p).key(),
                            JobOptions.retryMaxAttempts(p).key(),
                            JobOptions.retryInitialBackoff(p).key(),
                            JobOptions.retryMaxBackoff(p).key());
        }
    }

    @Test
    void shouldRenderDurationsAsFlinkParsesThem() {
        assertThat(ConfigReference.row(JobOptions.DEDUPE_TTL))
                .startsWith(
                        "| `dedupe.ttl` | Duration | `7 d` | How long an eventId is remembered");
        assertThat(ConfigReference.row(JobOptions.KAFKA_TRANSACTION_TIMEOUT))
                .contains("| `10 min` |");
    }

    @Test
    void shouldRenderMissingDefaultsEnumsAndOldKeys() {
        assertThat(ConfigReference.row(JobOptions.KAFKA_BOOTSTRAP_SERVERS))
                .startsWith("| `kafka.bootstrap-servers` | String | (none) |");
        assertThat(ConfigReference.row(EmailOptions.SMTP_SECURITY))
                .contains("| Enum: `none`, `starttls`, `tls` | `starttls` |");
        assertThat(ConfigReference.row(JdbcOptions.USER))
                .endsWith("Old key, still read: `jdbc.username`. |");
    }

    @Test
    void shouldEscapePipesInDescriptions() {
        ConfigOption<String> option =
                ConfigOptions.key("x.y")
                        .stringType()
                        .defaultValue("a")
                        .withDescription("one | two");

        assertThat(ConfigReference.row(option)).isEqualTo("| `x.y` | String | `a` | one \\| two |");
    }

    @Test
    void shouldRefuseAFileWithoutTheMarkers() {
        assertThatThrownBy(() -> ConfigReference.apply("# Configuration\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<!-- BEGIN GENERATED dev.notiflow.job.JobOptions -->");
    }

    @Test
    void shouldReplaceOnlyTheGeneratedRegions() {
        StringBuilder doc = new StringBuilder("prose before\n");
        for (ConfigReference.Section s : ConfigReference.sections()) {
            doc.append(s.beginMarker())
                    .append("\nstale\n")
                    .append(s.endMarker())
                    .append("\nkept\n");
        }

        String rendered = ConfigReference.apply(doc.toString());

        assertThat(rendered).startsWith("prose before\n").doesNotContain("stale");
        assertThat(rendered.split("\nkept\n", -1)).hasSize(ConfigReference.sections().size() + 1);
        assertThat(ConfigReference.apply(rendered)).isEqualTo(rendered);
    }
}
