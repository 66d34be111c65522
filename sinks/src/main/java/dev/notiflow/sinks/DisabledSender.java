package dev.notiflow.sinks;

import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;

import java.util.concurrent.CompletableFuture;

/**
 * The sender of a provider that is not configured. Routing never hands it a request: those end as
 * SKIPPED/CHANNEL_DISABLED before the send operators. It exists so that every provider keeps its
 * send operator in the topology, and a savepoint taken while a provider was enabled restores after
 * it is disabled (and the other way round) without dropping state. A request that reaches it
 * anyway, one that was in flight in such a savepoint, ends FAILED/CHANNEL_DISABLED with the
 * original request in the dead letter: nothing is lost, nothing pretends to be sent.
 */
public final class DisabledSender implements ChannelSender {

    public static final String CHANNEL_DISABLED = "CHANNEL_DISABLED";

    /** Creates a {@link DisabledSender}; holds nothing. */
    public static final SenderFactory FACTORY = DisabledSender::new;

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        return CompletableFuture.completedFuture(
                SendResult.rejected(
                        CHANNEL_DISABLED,
                        request.provider() + " is not configured in this deployment"));
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "disabled";
    }
}
