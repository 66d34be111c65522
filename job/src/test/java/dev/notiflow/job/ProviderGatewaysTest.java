package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.DisabledSender;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.email.SmtpEmailSenderFactory;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProviderGatewaysTest {

    private static final SendRequest EMAIL =
            new SendRequest(
                    "n-1",
                    "e-1",
                    "u-1",
                    "order.shipped",
                    "order",
                    Channel.EMAIL,
                    Provider.SMTP,
                    null,
                    null,
                    null,
                    "u1@example.com",
                    "en",
                    Priority.NORMAL,
                    "order.shipped",
                    Map.of(),
                    new Content("Hi", "Body", "Hi", "Body", "<p>Body</p>"),
                    1,
                    null,
                    null,
                    null,
                    null);

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
        for (Provider disabled : List.of(Provider.APNS, Provider.FCM, Provider.TWILIO)) {
            try (ChannelSender sender = gateways.factory(disabled).create()) {
                assertThat(sender.send(EMAIL).join())
                        .as("%s is not configured", disabled)
                        .extracting(SendResult::status, SendResult::reason)
                        .containsExactly(SendStatus.REJECTED, DisabledSender.CHANNEL_DISABLED);
            }
        }
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
    void shouldSendThroughTheSecondaryRelayWhenThePrimaryFailsTransiently() throws Exception {
        try (ScriptedSmtpServer primary =
                        ScriptedSmtpServer.start(
                                ProviderScript.parse("{\"transientFailureRate\": 1.0}"));
                ScriptedSmtpServer secondary =
                        ScriptedSmtpServer.start(ProviderScript.acceptAll())) {
            Configuration config = Configuration.fromMap(primary.senderConfig());
            config.setString("email.secondary.smtp.port", String.valueOf(secondary.port()));

            SenderFactory factory = ProviderGateways.fromConfig(config).factory(Provider.SMTP);
            try (ChannelSender sender = factory.create()) {
                SendResult result =
                        sender.send(EMAIL).get(30, java.util.concurrent.TimeUnit.SECONDS);

                assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
            }
            assertThat(primary.received()).isNotEmpty().noneMatch(ReceivedCall::accepted);
            assertThat(secondary.received()).hasSize(1).allMatch(ReceivedCall::accepted);
        }
    }

    @Test
    void shouldRefuseALedgerWithoutADatabase() {
        Configuration config = Configuration.fromMap(SMTP);
        config.setString("ledger.enabled", "true");

        assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                .hasMessageContaining("jdbc.url");
    }
}
