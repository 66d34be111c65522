package dev.notiflow.sinks.fcm;

import dev.notiflow.sinks.SenderTimeout;

import java.io.Serializable;
import java.time.Duration;

/**
 * Validated FCM settings, made by {@link FcmOptions#fromConfig}. Holds paths and names only, never
 * the service account's key, so it travels safely with the job graph.
 *
 * @param credentialsFile the service-account JSON path, or {@code null} to use {@code
 *     credentialsEnv}
 * @param credentialsEnv the environment variable naming the JSON path, or {@code null}
 * @param projectId the Firebase project id, or {@code null} for the service account's
 * @param endpoint base URL that replaces {@code https://fcm.googleapis.com}, without a trailing
 *     slash
 * @param trustedCertificateFile PEM CA file to trust instead of the JDK's, or {@code null}
 * @param requestTimeout longest wait for one send, retries included
 * @param maxPayloadBytes payload limit checked before sending
 */
public record FcmSettings(
        String credentialsFile,
        String credentialsEnv,
        String projectId,
        String endpoint,
        String trustedCertificateFile,
        Duration connectTimeout,
        Duration readTimeout,
        Duration requestTimeout,
        int threads,
        int maxInFlight,
        Duration ttl,
        int maxPayloadBytes)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * The longest this sender takes to answer a send: {@code fcm.request-timeout}, counted from the
     * send; it bounds the connect, the read and firebase-admin's own 503 retries together.
     */
    public SenderTimeout ownTimeout() {
        return SenderTimeout.of(FcmOptions.REQUEST_TIMEOUT.key(), requestTimeout);
    }
}
