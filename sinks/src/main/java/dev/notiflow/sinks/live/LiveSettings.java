package dev.notiflow.sinks.live;

import dev.notiflow.sinks.SenderTimeout;

import java.io.Serializable;
import java.time.Duration;

/**
 * The live sender's settings ({@link LiveOptions}); serializable, and holds file paths and names of
 * environment variables, never a secret's value.
 */
public record LiveSettings(
        String redisUri,
        String redisPasswordFile,
        String redisPasswordEnv,
        String internalTokenFile,
        Duration ackTimeout,
        Duration registryTimeout,
        Duration connectTimeout)
        implements Serializable {

    /** Margin above the ack timeout for the push server's answer to travel back. */
    static final Duration ANSWER_MARGIN = Duration.ofSeconds(2);

    /** How long one HTTP exchange with a push server may take. */
    Duration requestTimeout() {
        return connectTimeout.plus(ackTimeout).plus(ANSWER_MARGIN);
    }

    /** The longest a send takes by these timeouts: a lookup, then one exchange. */
    public SenderTimeout ownTimeout() {
        return SenderTimeout.of(LiveOptions.REGISTRY_TIMEOUT.key(), registryTimeout)
                .plus(LiveOptions.CONNECT_TIMEOUT.key(), connectTimeout)
                .plus(LiveOptions.ACK_TIMEOUT.key(), ackTimeout)
                .plus("the answer's margin", ANSWER_MARGIN);
    }
}
