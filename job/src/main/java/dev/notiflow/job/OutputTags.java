package dev.notiflow.job;

import org.apache.flink.util.OutputTag;

import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.Provider;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.TokenInvalidation;

import java.util.EnumMap;
import java.util.Map;

/** Every side output of the topology, in one place. */
public final class OutputTags {

    /** Bad input and failed sends, bound for {@code notification-dlq}. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    /** Final records decided before sending (skips, invalid contacts, duplicates). */
    public static final OutputTag<Delivery> DELIVERIES = new OutputTag<>("deliveries") {};

    /** Tokens a provider reported dead, bound for {@code device-token-invalidations}. */
    public static final OutputTag<TokenInvalidation> TOKEN_INVALIDATIONS =
            new OutputTag<>("token-invalidations") {};

    /** Sends to try again, bound for {@code notification-retry}. */
    public static final OutputTag<ScheduledRetry> RETRIES = new OutputTag<>("retries") {};

    private static final Map<Provider, OutputTag<SendRequest>> BY_PROVIDER =
            new EnumMap<>(Provider.class);

    static {
        BY_PROVIDER.put(Provider.APNS, new OutputTag<>("to-apns") {});
        BY_PROVIDER.put(Provider.FCM, new OutputTag<>("to-fcm") {});
        BY_PROVIDER.put(Provider.TWILIO, new OutputTag<>("to-twilio") {});
        BY_PROVIDER.put(Provider.SMTP, new OutputTag<>("to-smtp") {});
        BY_PROVIDER.put(Provider.LIVE, new OutputTag<>("to-live") {});
    }

    private OutputTags() {}

    /** Send requests bound for one provider. */
    public static OutputTag<SendRequest> toProvider(Provider provider) {
        return BY_PROVIDER.get(provider);
    }
}
