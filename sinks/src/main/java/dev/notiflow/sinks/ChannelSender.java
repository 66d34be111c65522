package dev.notiflow.sinks;

import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;

import java.util.concurrent.CompletableFuture;

/**
 * Sends one notification through one provider. The one seam between the job and a provider's client
 * library: only an implementation knows the client's own future type.
 *
 * <p>Contract: {@link #send} never throws and never completes exceptionally for an answer the
 * provider can give (rejections, 4xx, 5xx, 429, connection errors); those are {@link SendResult}
 * values. An exceptional completion means a bug and restarts the job. Implementations are
 * thread-safe, long-lived (one per task) and hold their client until {@link #close()}.
 */
public interface ChannelSender extends AutoCloseable {

    CompletableFuture<SendResult> send(SendRequest request);

    @Override
    void close();
}
