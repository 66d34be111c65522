package dev.notiflow.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.FailoverSender;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.SenderTimeout;
import dev.notiflow.sinks.apns.ApnsOptions;
import dev.notiflow.sinks.apns.ApnsSenderFactory;
import dev.notiflow.sinks.apns.ApnsSettings;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.email.EmailSettings;
import dev.notiflow.sinks.email.SmtpEmailSenderFactory;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.fcm.FcmSenderFactory;
import dev.notiflow.sinks.fcm.FcmSettings;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.ledger.LedgeredSender;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.sinks.live.LiveOptions;
import dev.notiflow.sinks.live.LiveSenderFactory;
import dev.notiflow.sinks.live.LiveSettings;
import dev.notiflow.sinks.sms.SmsOptions;
import dev.notiflow.sinks.sms.SmsSettings;
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
 *
 * <p>Each provider's async timeout ({@code send.<provider>.timeout}) must be above the longest its
 * sender takes to answer by its own timeouts ({@link SenderTimeout}): with a secondary endpoint
 * both endpoints' timeouts, since one call may try both; with the ledger also a lookup and a write
 * of up to {@code ledger.timeout} each. Otherwise the start fails naming both settings.
 */
public final class ProviderGateways {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderGateways.class);

    private ProviderGateways() {}

    /** Keys under {@code <provider prefix>.secondary.} configure a secondary endpoint. */
    public static final String SECONDARY = "secondary.";

    public static Gateways fromConfig(ReadableConfig config) {
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        Map<String, String> all = config.toMap();
        Map<Provider, SenderTimeout> ownTimeouts = new EnumMap<>(Provider.class);
        add(
                factories,
                ownTimeouts,
                Provider.APNS,
                "apns.",
                all,
                ApnsOptions::enabled,
                c -> {
                    ApnsSettings s = ApnsOptions.fromConfig(c);
                    return new Built(new ApnsSenderFactory(s), s.ownTimeout());
                });
        add(
                factories,
                ownTimeouts,
                Provider.FCM,
                "fcm.",
                all,
                FcmOptions::enabled,
                c -> {
                    FcmSettings s = FcmOptions.fromConfig(c);
                    return new Built(new FcmSenderFactory(s), s.ownTimeout());
                });
        add(
                factories,
                ownTimeouts,
                Provider.TWILIO,
                "sms.",
                all,
                SmsOptions::enabled,
                c -> {
                    SmsSettings s = SmsOptions.fromConfig(c);
                    return new Built(new TwilioSmsSenderFactory(s), s.ownTimeout());
                });
        add(
                factories,
                ownTimeouts,
                Provider.SMTP,
                "email.",
                all,
                EmailOptions::enabled,
                c -> {
                    EmailSettings s = EmailOptions.fromConfig(c);
                    return new Built(new SmtpEmailSenderFactory(s), s.ownTimeout());
                });
        add(
                factories,
                ownTimeouts,
                Provider.LIVE,
                "live.",
                all,
                LiveOptions::enabled,
                c -> {
                    LiveSettings s = LiveOptions.fromConfig(c);
                    return new Built(new LiveSenderFactory(s), s.ownTimeout());
                });
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
            LedgeredSender.Batching batching = LedgerOptions.batching(config);
            factories.replaceAll((p, f) -> new LedgeredSenderFactory(f, ledger, timeout, batching));
            // A lookup before the send and a write after an accepted one, each up to the timeout.
            ownTimeouts.replaceAll(
                    (p, own) ->
                            SenderTimeout.of(LedgerOptions.TIMEOUT.key(), timeout)
                                    .plus(own)
                                    .plus(LedgerOptions.TIMEOUT.key(), timeout));
            LOG.info(
                    "Send ledger enabled for {}: accepted sends are not repeated on replay",
                    factories.keySet());
        }
        ownTimeouts.forEach((p, own) -> checkAsyncTimeout(config, p, own));
        return Gateways.of(factories);
    }

    /**
     * Refuses an async timeout at or below the sender's own: the operator would give up on a send
     * that the provider may still accept, and its retry would send the notification again.
     *
     * @throws IllegalArgumentException naming both settings and their values
     */
    static void checkAsyncTimeout(ReadableConfig config, Provider provider, SenderTimeout own) {
        ConfigOption<Duration> option = JobOptions.sendTimeout(provider);
        Duration async = config.get(option);
        if (async.compareTo(own.total()) <= 0) {
            throw new IllegalArgumentException(
                    String.format(
                            "%s (%s) must be above the %s sender's own timeout, %s: the async"
                                    + " operator would give up on a send the provider may still"
                                    + " accept and send it again. Raise %s above %s or lower the"
                                    + " sender's timeouts.",
                            option.key(),
                            SenderTimeout.human(async),
                            provider.wireName(),
                            own.describe(),
                            option.key(),
                            SenderTimeout.human(own.total())));
        }
    }

    /** A provider's factory and the longest its senders take to answer by their own timeouts. */
    private record Built(SenderFactory factory, SenderTimeout ownTimeout) {}

    /**
     * Adds a provider's factory when it is configured, behind a {@link FailoverSender} when keys
     * under {@code <prefix>secondary.} name a secondary endpoint: the secondary takes the primary's
     * settings with those keys overriding them, e.g. {@code email.secondary.smtp.host: relay2}.
     */
    private static void add(
            Map<Provider, SenderFactory> factories,
            Map<Provider, SenderTimeout> ownTimeouts,
            Provider provider,
            String prefix,
            Map<String, String> all,
            Predicate<Configuration> enabled,
            Function<Configuration, Built> build) {
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
        Built built = build.apply(primary);
        SenderFactory factory = built.factory();
        SenderTimeout own = built.ownTimeout();
        if (!overrides.isEmpty()) {
            Configuration secondary = new Configuration(primary);
            overrides.forEach(secondary::setString);
            Built second = build.apply(secondary);
            factory = FailoverSender.factory(factory, second.factory());
            // One async call may try both endpoints, one after the other.
            SenderTimeout secondOwn = second.ownTimeout();
            for (String key : overrides.keySet()) {
                secondOwn =
                        secondOwn.renamed(key, prefix + SECONDARY + key.substring(prefix.length()));
            }
            own = own.plus(secondOwn);
            LOG.info("{} has a secondary endpoint for transient failures", provider);
        }
        factories.put(provider, factory);
        ownTimeouts.put(provider, own);
    }
}
