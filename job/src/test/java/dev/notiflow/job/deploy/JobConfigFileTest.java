package dev.notiflow.job.deploy;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.sinks.sms.SmsOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Loads the example job configuration flink-conf/job.yaml with the job's own loader and checks that
 * every key is an option the job reads (a typo would be silently ignored), that no secret is
 * written in it, and that the job's start-up validation accepts it (async timeouts above the
 * senders' own, the send ledger on).
 */
class JobConfigFileTest {

    private static final Path JOB_YAML = DeployFiles.file("job.yaml");

    @Test
    void shouldHoldOnlyKeysTheJobKnows() throws IOException {
        Set<String> keys = JobConfig.readYaml(JOB_YAML).keySet();

        assertThat(keys).isNotEmpty();
        assertThat(keys).isSubsetOf(JobOptionKeys.known());
    }

    @Test
    void shouldParseIntoTypedJobOptions() throws IOException {
        Configuration config = JobConfig.load(new String[] {"--config", JOB_YAML.toString()});

        assertThat(config.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS)).isNotBlank();
        assertThat(config.get(JobOptions.DEDUPE_TTL)).isEqualTo(Duration.ofDays(7));
        assertThat(config.get(JobOptions.PROFILE_WAIT)).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.get(JobOptions.MAX_PARALLELISM)).isEqualTo(128);
        assertThat(config.get(JobOptions.sendCapacity(Provider.APNS))).isEqualTo(1000);
        assertThat(config.get(SmsOptions.FROM)).isEqualTo("+15005550006");
    }

    @Test
    void shouldLetArgumentsOverrideTheFile() throws IOException {
        Configuration config =
                JobConfig.load(
                        new String[] {"--config", JOB_YAML.toString(), "--dedupe.ttl", "2d"});

        assertThat(config.get(JobOptions.DEDUPE_TTL)).isEqualTo(Duration.ofDays(2));
    }

    @Test
    void shouldNameSecretsByEnvironmentVariableOrFileOnly() throws IOException {
        Configuration config = JobConfig.load(new String[] {"--config", JOB_YAML.toString()});

        assertThat(config.get(SmsOptions.AUTH_TOKEN_ENV)).isEqualTo("TWILIO_AUTH_TOKEN");
        assertThat(config.get(EmailOptions.SMTP_PASSWORD_ENV)).isEqualTo("SMTP_PASSWORD");
        assertThat(JobConfig.readYaml(JOB_YAML).keySet())
                .allSatisfy(
                        key ->
                                assertThat(key)
                                        .as("a secret value in the job config")
                                        .doesNotEndWith("password")
                                        .doesNotEndWith("token")
                                        .doesNotEndWith("secret"));
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
