package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.sinks.DisabledSender;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * Sends each request to its provider's side output ({@link OutputTags#toProvider}). A request for a
 * provider that is not configured ends here as SKIPPED/CHANNEL_DISABLED. Emits nothing on the main
 * output.
 */
public final class RouteToProviders extends ProcessFunction<SendRequest, Void> {

    private static final long serialVersionUID = 1L;

    public static final String CHANNEL_DISABLED = DisabledSender.CHANNEL_DISABLED;

    private final EnumSet<Provider> enabled;

    public RouteToProviders(Set<Provider> enabled) {
        this.enabled = enabled.isEmpty() ? EnumSet.noneOf(Provider.class) : EnumSet.copyOf(enabled);
    }

    @Override
    public void processElement(SendRequest request, Context ctx, Collector<Void> out) {
        if (enabled.contains(request.provider())) {
            ctx.output(OutputTags.toProvider(request.provider()), request);
        } else {
            ctx.output(
                    OutputTags.DELIVERIES,
                    Records.forRequest(
                            request,
                            DeliveryStatus.SKIPPED,
                            CHANNEL_DISABLED,
                            request.provider().wireName() + " is not configured",
                            0,
                            null,
                            null,
                            Instant.now()));
        }
    }
}
