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
            SendRequest.builder()
                    .notificationId("n-1")
                    .eventId("e-1")
                    .userId("u-1")
                    .type("order.shipped")
                    .category("order")
                    .channel(Channel.EMAIL)
                    .provider(Provider.SMTP)
                    .address("u1@example.com")
                    .locale("en")
                    .priority(Priority.NORMAL)
                    .templateId("order.shipped")
                    .data(Map.of())
                    .content(new Content("Hi", "Body", "Hi", "Body", "<p>Body</p>"))
                    .build();

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
            // One call may wait for both relays: 50 s each by their default timeouts.
            config.setString("send.smtp.timeout", "101 s");

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

    @Test
    void shouldRefuseAnAsyncTimeoutAtOrBelowTheSendersOwnNamingBothSettings() {
        Configuration config = Configuration.fromMap(SMTP);
        config.setString("email.max-queue-wait", "5 s");
        config.setString("email.smtp.connect-timeout", "10 s");
        config.setString("email.smtp.read-timeout", "30 s");
        config.setString("send.smtp.timeout", "45 s");

        assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("send.smtp.timeout (45 s) must be above")
                .hasMessageContaining(
                        "email.max-queue-wait (5 s) + email.smtp.connect-timeout (10 s)"
                                + " + email.smtp.read-timeout (30 s) = 45 s");

        config.setString("send.smtp.timeout", "46 s");
        assertThat(ProviderGateways.fromConfig(config).enabledProviders())
                .containsExactly(Provider.SMTP);
    }

    @Test
    void shouldCheckEveryProvidersAsyncTimeoutAgainstItsOwnClientTimeouts() {
        Map<String, String> providers =
                Map.of(
                        "apns.signing-key-file", "/secrets/AuthKey.p8",
                        "apns.team-id", "TEAMID1234",
                        "apns.key-id", "KEYID12345",
                        "fcm.credentials-file", "/secrets/service-account.json",
                        "sms.account-sid", "AC" + "0123456789abcdef".repeat(2),
                        "sms.from", "+15005550006");
        Map<String, String> tooShort =
                Map.of(
                        "send.apns.timeout", "apns.request-timeout (30 s)",
                        "send.fcm.timeout", "fcm.request-timeout (30 s)",
                        "send.twilio.timeout",
                                "sms.max-queue-wait (10 s) + sms.connect-timeout (5 s)"
                                        + " + sms.read-timeout (15 s) = 30 s");
        Map<String, String> at =
                Map.of(
                        "send.apns.timeout",
                        "30 s",
                        "send.fcm.timeout",
                        "30 s",
                        "send.twilio.timeout",
                        "30 s");
        for (Map.Entry<String, String> e : tooShort.entrySet()) {
            Configuration config = Configuration.fromMap(providers);
            config.setString(e.getKey(), at.get(e.getKey()));

            assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                    .as(e.getKey())
                    .hasMessageContaining(e.getKey() + " (" + at.get(e.getKey()) + ")")
                    .hasMessageContaining(e.getValue());
        }
        assertThat(ProviderGateways.fromConfig(Configuration.fromMap(providers)).enabledProviders())
                .containsExactlyInAnyOrder(Provider.APNS, Provider.FCM, Provider.TWILIO);
    }

    @Test
    void shouldCountBothEndpointsOfAFailoverAgainstTheAsyncTimeout() {
        Configuration config = Configuration.fromMap(SMTP);
        config.setString("email.smtp.read-timeout", "20 s");
        config.setString("email.secondary.smtp.host", "127.0.0.2");
        config.setString("email.secondary.smtp.read-timeout", "25 s");
        config.setString("email.max-queue-wait", "1 s");
        config.setString("send.smtp.timeout", "67 s");

        assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                .hasMessageContaining("send.smtp.timeout (67 s)")
                .hasMessageContaining(
                        "email.max-queue-wait (1 s) + email.smtp.connect-timeout (10 s)"
                                + " + email.smtp.read-timeout (20 s) + email.max-queue-wait (1 s)"
                                + " + email.smtp.connect-timeout (10 s)"
                                + " + email.secondary.smtp.read-timeout (25 s) = 67 s");

        config.setString("send.smtp.timeout", "68 s");
        assertThat(ProviderGateways.fromConfig(config).enabledProviders())
                .containsExactly(Provider.SMTP);
    }

    @Test
    void shouldCountTheLedgersLookupAndWriteAgainstTheAsyncTimeout() {
        Configuration config = Configuration.fromMap(SMTP);
        config.setString("ledger.enabled", "true");
        config.setString("jdbc.url", "jdbc:postgresql://127.0.0.1:5432/notiflow");
        config.setString("ledger.timeout", "2 s");
        config.setString("send.smtp.timeout", "54 s");

        assertThatThrownBy(() -> ProviderGateways.fromConfig(config))
                .hasMessageContaining("send.smtp.timeout (54 s)")
                .hasMessageContaining(
                        "ledger.timeout (2 s) + email.max-queue-wait (10 s)"
                                + " + email.smtp.connect-timeout (10 s)"
                                + " + email.smtp.read-timeout (30 s) + ledger.timeout (2 s) = 54 s");

        config.setString("send.smtp.timeout", "55 s");
        assertThat(ProviderGateways.fromConfig(config).factory(Provider.SMTP))
                .isInstanceOf(LedgeredSenderFactory.class);
    }
}
