package dev.notiflow.job.it;

import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A recording stand-in for the providers in pipeline tests: accepts every request, except device
 * tokens starting with {@code dead-}, which it reports unregistered. Counts sends per notification
 * id in a static map (the MiniCluster runs in this JVM), so tests can count duplicate sends, and
 * logs each send in {@link SendLog}.
 */
final class RecordingSenders {

    static final Map<String, AtomicInteger> SENDS = new ConcurrentHashMap<>();

    private RecordingSenders() {}

    /** The recording providers as the job calls them directly ({@link SendLog#front}). */
    static Map<Provider, SenderFactory> all() {
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        providers().forEach((p, recording) -> factories.put(p, SendLog.front(recording)));
        return factories;
    }

    /** The bare recording providers, to put behind a decorator (then wrap it in the front). */
    static Map<Provider, SenderFactory> providers() {
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        for (Provider p : Provider.values()) {
            factories.put(p, Recording::new);
        }
        return factories;
    }

    /** Forgets every send counted or logged so far. */
    static void reset() {
        SENDS.clear();
        SendLog.reset();
    }

    static int totalSends() {
        return SENDS.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private static final class Recording implements ChannelSender {
        @Override
        public CompletableFuture<SendResult> send(SendRequest r) {
            SENDS.computeIfAbsent(r.notificationId(), k -> new AtomicInteger()).incrementAndGet();
            SendLog.providerSend(r);
            if (r.token() != null && r.token().startsWith("dead-")) {
                return CompletableFuture.completedFuture(
                        SendResult.tokenDead(
                                "TOKEN_UNREGISTERED", "410 Unregistered", Instant.EPOCH));
            }
            return CompletableFuture.completedFuture(
                    SendResult.accepted("msg-" + r.notificationId()));
        }

        @Override
        public void close() {}
    }
}
