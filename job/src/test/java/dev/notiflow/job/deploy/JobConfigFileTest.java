package dev.notiflow.job.deploy;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.PipelineOptions;

import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.job.docs.ConfigReference;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.sinks.sms.SmsOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Loads the example job configuration flink-conf/job.yaml with the job's own loader and checks what
 * the file promises: every key is an option the job reads (a typo would be silently ignored), a
 * value not marked "placeholder" or "not the default" is the option's default, the job's start-up
 * validation accepts the file (async timeouts above the senders' own, the send ledger on), it
 * agrees with the cluster configuration, and no secret is written in it.
 */
class JobConfigFileTest {

    private static final Path JOB_YAML = DeployFiles.file("job.yaml");

    /** {@code key: value} at the start of a line, with an optional trailing comment. */
    private static final Pattern ENTRY =
            Pattern.compile("^([a-z][a-z0-9.-]*):\\s*(.*?)\\s*(#.*)?$");

    @Test
    void shouldHoldOnlyKeysTheJobKnows() throws IOException {
        Set<String> keys = JobConfig.readYaml(JOB_YAML).keySet();

        assertThat(keys).isNotEmpty();
        assertThat(keys).isSubsetOf(JobOptionKeys.known());
    }

    /** The header says so: the defaults, unless marked "placeholder" or "not the default". */
    @Test
    void shouldShowTheDefaultForEveryValueNotMarkedAsAPlaceholder() throws IOException {
        Configuration config = load();
        Map<String, ConfigOption<?>> options = new LinkedHashMap<>();
        for (ConfigReference.Section section : ConfigReference.sections()) {
            section.options().forEach(o -> options.put(o.key(), o));
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String line : Files.readAllLines(JOB_YAML)) {
            Matcher entry = ENTRY.matcher(line);
            if (entry.matches()
                    && (entry.group(3) == null
                            || !entry.group(3).matches("#\\s*(placeholder|not the default).*"))) {
                defaults.put(entry.group(1), entry.group(2));
            }
        }

        assertThat(defaults).as("entries shown as defaults").hasSizeGreaterThan(30);
        assertThat(defaults.keySet())
                .allSatisfy(
                        key -> {
                            ConfigOption<?> option = options.get(key);
                            assertThat(option).as("option %s", key).isNotNull();
                            assertThat(option.hasDefaultValue())
                                    .as("%s has a default", key)
                                    .isTrue();
                            assertThat((Object) config.get(option))
                                    .as("%s: %s in job.yaml", key, defaults.get(key))
                                    .isEqualTo(option.defaultValue());
                        });
    }

    @Test
    void shouldBeAConfigurationTheJobAccepts() throws IOException {
        Configuration config = load();

        assertThatCode(() -> PipelineSettings.from(config)).doesNotThrowAnyException();
        // the file's placeholder sid is not of the form Twilio gives out
        config.set(SmsOptions.ACCOUNT_SID, "AC" + "0".repeat(32));
        assertThat(ProviderGateways.fromConfig(config).enabledProviders())
                .as("FCM needs its credentials variable set, the others only the file")
                .contains(Provider.APNS, Provider.TWILIO, Provider.SMTP, Provider.LIVE);
    }

    @Test
    void shouldFixTheMaxParallelismOfTheCluster() throws IOException {
        Configuration cluster =
                GlobalConfiguration.loadConfiguration(DeployFiles.flinkConf().toString());

        assertThat(load().get(JobOptions.MAX_PARALLELISM))
                .as("job.max-parallelism must equal pipeline.max-parallelism of config.yaml")
                .isEqualTo(cluster.get(PipelineOptions.MAX_PARALLELISM));
    }

    @Test
    void shouldLetArgumentsOverrideTheFile() throws IOException {
        Configuration config =
                JobConfig.load(
                        new String[] {"--config", JOB_YAML.toString(), "--dedupe.ttl", "2d"});

        assertThat(load().get(JobOptions.DEDUPE_TTL)).isNotEqualTo(Duration.ofDays(2));
        assertThat(config.get(JobOptions.DEDUPE_TTL)).isEqualTo(Duration.ofDays(2));
    }

    @Test
    void shouldNameSecretsByEnvironmentVariableOrFileOnly() throws IOException {
        Map<String, String> entries = JobConfig.readYaml(JOB_YAML);

        assertThat(entries.keySet())
                .allSatisfy(
                        key ->
                                assertThat(key)
                                        .as("a secret value in the job config")
                                        .doesNotEndWith("password")
                                        .doesNotEndWith("token")
                                        .doesNotEndWith("secret"));
        entries.forEach(
                (key, value) -> {
                    if (key.endsWith("-env")) {
                        assertThat(value)
                                .as("%s names an environment variable", key)
                                .matches("[A-Z_][A-Z0-9_]*");
                    } else if (key.endsWith("-file")) {
                        assertThat(Path.of(value)).as("%s names a mounted file", key).isAbsolute();
                    }
                });
        assertThat(entries.keySet())
                .as("the SMS token and SMTP password come from the environment")
                .contains("sms.auth-token-env", "email.smtp.password-env");
    }

    private static Configuration load() throws IOException {
        return JobConfig.load(new String[] {"--config", JOB_YAML.toString()});
    }

    @Test
    void shouldStartWithEveryProviderAndTheLedgerAsShipped() throws IOException {
        Configuration config = shippedWithEveryProvider();

        PipelineSettings.from(config);
        Gateways gateways = ProviderGateways.fromConfig(config);

        assertThat(gateways.enabledProviders()).containsExactlyInAnyOrder(Provider.values());
        assertThat(config.get(LedgerOptions.ENABLED)).isTrue();
        for (Provider p : Provider.values()) {
            assertThat(gateways.factory(p)).as("%s", p).isInstanceOf(LedgeredSenderFactory.class);
        }
    }

    @Test
    void shouldRefuseToStartWithAnAsyncTimeoutNotAboveTheSendersOwn() throws IOException {
        Configuration config = shippedWithEveryProvider();
        // email.max-queue-wait + email.smtp.connect-timeout + email.smtp.read-timeout
        // + 2 x ledger.timeout.
        config.setString("send.smtp.timeout", "52 s");

        assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("send.smtp.timeout (52 s)")
                .hasMessageContaining("email.smtp.read-timeout (30 s)");
    }

    /**
     * The shipped file with FCM's credentials named by a path: the FCM channel is otherwise enabled
     * only where its environment variable is set.
     */
    private static Configuration shippedWithEveryProvider() throws IOException {
        return JobConfig.load(
                new String[] {
                    "--config",
                    JOB_YAML.toString(),
                    "--" + FcmOptions.CREDENTIALS_FILE.key(),
                    "/opt/notiflow/secrets/fcm/service-account.json"
                });
    }
}
