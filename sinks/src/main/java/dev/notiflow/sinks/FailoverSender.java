package dev.notiflow.sinks;

import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A provider with a secondary endpoint (e.g. a second SMTP relay): a send that the primary answers
 * with a transient failure (unavailable, connection error, SMTP 4xx, timeout, busy) is sent once
 * more through the secondary, and the secondary's answer counts. Rejections and rate limits are not
 * failed over: they are about the message or our quota, not the endpoint. Thread-safe if both
 * senders are.
 */
public final class FailoverSender implements ChannelSender {

    /** The retryable reasons that mean the endpoint itself is in trouble. */
    public static final Set<String> ENDPOINT_FAILURES =
            Set.of(
                    "PROVIDER_UNAVAILABLE",
                    "CONNECTION_ERROR",
                    "SMTP_TRANSIENT",
                    "TIMEOUT",
                    "SENDER_BUSY");

    private final ChannelSender primary;
    private final ChannelSender secondary;

    public FailoverSender(ChannelSender primary, ChannelSender secondary) {
        this.primary = primary;
        this.secondary = secondary;
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        return primary.send(request)
                .thenCompose(
                        result ->
                                result.status() == SendStatus.RETRYABLE
                                                && ENDPOINT_FAILURES.contains(result.reason())
                                        ? secondary.send(request)
                                        : CompletableFuture.completedFuture(result));
    }

    @Override
    public void close() {
        try {
            primary.close();
        } finally {
            secondary.close();
        }
    }

    /** The factory of a sender with a secondary endpoint. */
    public static SenderFactory factory(SenderFactory primary, SenderFactory secondary) {
        return () -> new FailoverSender(primary.create(), secondary.create());
    }
}
