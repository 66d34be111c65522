package dev.notiflow.sinks.apns;

import dev.notiflow.sinks.SenderTimeout;

import java.io.Serializable;
import java.time.Duration;

/**
 * Validated APNs settings, made by {@link ApnsOptions#fromConfig}. Holds paths and names only,
 * never a secret's value, so it travels safely with the job graph.
 *
 * <p>Exactly one authentication is set: token auth ({@code signingKeyFile}, {@code teamId}, {@code
 * keyId}) or certificate auth ({@code clientCertificateFile} with its password's file or
 * environment variable).
 *
 * @param trustedCertificateFile PEM CA file to trust instead of the JDK's, or {@code null}
 * @param defaultTopic topic for requests without an appId, or {@code null}
 * @param maxPayloadBytes payload limit checked before sending
 */
public record ApnsSettings(
        String host,
        int port,
        String trustedCertificateFile,
        String signingKeyFile,
        String teamId,
        String keyId,
        String clientCertificateFile,
        String clientCertificatePasswordFile,
        String clientCertificatePasswordEnv,
        String defaultTopic,
        int connections,
        int maxInFlight,
        Duration expiration,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxPayloadBytes)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Whether the sender authenticates with a signing key (else with a client certificate). */
    public boolean tokenAuth() {
        return signingKeyFile != null;
    }

    /**
     * The longest this sender takes to answer a send: {@code apns.request-timeout}, counted from
     * the send (a connection still being made counts against it too).
     */
    public SenderTimeout ownTimeout() {
        return SenderTimeout.of(ApnsOptions.REQUEST_TIMEOUT.key(), requestTimeout);
    }
}
