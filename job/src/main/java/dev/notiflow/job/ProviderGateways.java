package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.FailoverSender;
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
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

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

    /** Keys under {@code <provider prefix>.secondary.} configure a secondary endpoint. */
    public static final String SECONDARY = "secondary.";

    public static Gateways fromConfig(ReadableConfig config) {
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        Map<String, String> all = config.toMap();
        add(
                factories,
                Provider.APNS,
                "apns.",
                all,
                ApnsOptions::enabled,
                c -> new ApnsSenderFactory(ApnsOptions.fromConfig(c)));
        add(
                factories,
                Provider.FCM,
                "fcm.",
                all,
                FcmOptions::enabled,
                c -> new FcmSenderFactory(FcmOptions.fromConfig(c)));
        add(
                factories,
                Provider.TWILIO,
                "sms.",
                all,
                SmsOptions::enabled,
                c -> new TwilioSmsSenderFactory(SmsOptions.fromConfig(c)));
        add(
                factories,
                Provider.SMTP,
                "email.",
                all,
                EmailOptions::enabled,
                c -> new SmtpEmailSenderFactory(EmailOptions.fromConfig(c)));
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

    /**
     * Adds a provider's factory when it is configured, behind a {@link FailoverSender} when keys
     * under {@code <prefix>secondary.} name a secondary endpoint: the secondary takes the primary's
     * settings with those keys overriding them, e.g. {@code email.secondary.smtp.host: relay2}.
     */
    private static void add(
            Map<Provider, SenderFactory> factories,
            Provider provider,
            String prefix,
            Map<String, String> all,
            Predicate<Configuration> enabled,
            Function<Configuration, SenderFactory> build) {
        Configuration primary = new Configuration();
        Map<String, String> overrides = new HashMap<>();
        all.forEach(
                (key, value) -> {
                    if (key.startsWith(prefix + SECONDARY)) {
                        overrides.put(prefix + key.substring((prefix + SECONDARY).length()), value);
                    } else {
                        primary.setString(key, value);
                    }
                });
        if (!enabled.test(primary)) {
            return;
        }
        SenderFactory factory = build.apply(primary);
        if (!overrides.isEmpty()) {
            Configuration secondary = new Configuration(primary);
            overrides.forEach(secondary::setString);
            factory = FailoverSender.factory(factory, build.apply(secondary));
            LOG.info("{} has a secondary endpoint for transient failures", provider);
        }
        factories.put(provider, factory);
    }
}
