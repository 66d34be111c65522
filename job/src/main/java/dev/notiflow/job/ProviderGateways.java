package dev.notiflow.job;

import org.apache.flink.configuration.ReadableConfig;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.apns.ApnsOptions;
import dev.notiflow.sinks.apns.ApnsSenderFactory;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.email.SmtpEmailSenderFactory;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.fcm.FcmSenderFactory;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.sinks.sms.SmsOptions;
import dev.notiflow.sinks.sms.TwilioSmsSenderFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Builds the sender factory of every configured provider from the configuration. A provider whose
 * required settings are absent is disabled (its notifications end as SKIPPED/CHANNEL_DISABLED); a
 * provider configured wrongly fails the start with a message naming the setting. With {@code
 * ledger.enabled} every factory is wrapped in a {@link LedgeredSenderFactory}, so a replayed send
 * that was accepted before is not repeated.
 */
public final class ProviderGateways {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderGateways.class);

    private ProviderGateways() {}

    public static Gateways fromConfig(ReadableConfig config) {
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        if (ApnsOptions.enabled(config)) {
            factories.put(Provider.APNS, new ApnsSenderFactory(ApnsOptions.fromConfig(config)));
        }
        if (FcmOptions.enabled(config)) {
            factories.put(Provider.FCM, new FcmSenderFactory(FcmOptions.fromConfig(config)));
        }
        if (SmsOptions.enabled(config)) {
            factories.put(
                    Provider.TWILIO, new TwilioSmsSenderFactory(SmsOptions.fromConfig(config)));
        }
        if (EmailOptions.enabled(config)) {
            factories.put(
                    Provider.SMTP, new SmtpEmailSenderFactory(EmailOptions.fromConfig(config)));
        }
        for (Provider p : Provider.values()) {
            if (!factories.containsKey(p)) {
                LOG.info(
                        "{} is not configured: its notifications end as SKIPPED/CHANNEL_DISABLED",
                        p);
            }
        }
        if (LedgerOptions.enabled(config)) {
            JdbcSettings ledger = LedgerOptions.jdbcSettings(config);
            Duration timeout = LedgerOptions.timeout(config);
            factories.replaceAll((p, f) -> new LedgeredSenderFactory(f, ledger, timeout));
            LOG.info(
                    "Send ledger enabled for {}: accepted sends are not repeated on replay",
                    factories.keySet());
        }
        return Gateways.of(factories);
    }
}
