package dev.notiflow.job;

import dev.notiflow.model.Provider;
import dev.notiflow.sinks.DisabledSender;
import dev.notiflow.sinks.SenderFactory;

import java.io.Serializable;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The providers the job can send through, each as a serializable {@link SenderFactory}. A provider
 * without a factory is disabled: its notifications end as SKIPPED/CHANNEL_DISABLED.
 */
public final class Gateways implements Serializable {

    private static final long serialVersionUID = 1L;

    private final EnumMap<Provider, SenderFactory> factories;

    private Gateways(EnumMap<Provider, SenderFactory> factories) {
        this.factories = factories;
    }

    public static Gateways of(Map<Provider, SenderFactory> factories) {
        EnumMap<Provider, SenderFactory> copy = new EnumMap<>(Provider.class);
        copy.putAll(factories);
        return new Gateways(copy);
    }

    public static Gateways none() {
        return of(Collections.emptyMap());
    }

    public boolean enabled(Provider provider) {
        return factories.containsKey(provider);
    }

    /**
     * The factory of a provider; for a disabled one, {@link DisabledSender#FACTORY}, so its send
     * operator stays in the topology (savepoints restore whichever providers are configured).
     */
    public SenderFactory factory(Provider provider) {
        return factories.getOrDefault(provider, DisabledSender.FACTORY);
    }

    public java.util.Set<Provider> enabledProviders() {
        return Collections.unmodifiableSet(factories.keySet());
    }
}
