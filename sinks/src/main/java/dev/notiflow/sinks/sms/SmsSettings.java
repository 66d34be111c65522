package dev.notiflow.sinks.sms;

import dev.notiflow.sinks.SenderTimeout;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Validated SMS settings, built by {@link SmsOptions#fromConfig}. Serializable and free of secret
 * values: it names where the secret lives (a file or an environment variable), and {@link
 * #resolveSecret()} reads it inside the task. Immutable.
 *
 * @param accountSid the Twilio account SID (AC…)
 * @param apiKeySid the API key SID (SK…), or {@code null} to authenticate with the auth token
 * @param secretFile a file holding the secret, or {@code null} to use {@code secretEnv}
 * @param secretEnv the environment variable holding the secret
 * @param from the sender, or {@code null} when a messaging service picks it
 * @param messagingServiceSid the messaging service SID (MG…), or {@code null}
 * @param baseUrl the REST API base URL without a trailing slash
 * @param connectTimeout connect timeout (and the wait for a pooled connection)
 * @param readTimeout response timeout
 * @param maxConcurrentRequests requests in flight at once
 * @param maxQueued sends waiting for a request slot before SENDER_BUSY
 * @param maxSegments most segments one SMS may take
 * @param maxQueueWait longest a send waits for a request slot before SENDER_BUSY, unsent
 */
public record SmsSettings(
        String accountSid,
        String apiKeySid,
        String secretFile,
        String secretEnv,
        String from,
        String messagingServiceSid,
        String baseUrl,
        Duration connectTimeout,
        Duration readTimeout,
        int maxConcurrentRequests,
        int maxQueued,
        int maxSegments,
        Duration maxQueueWait)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * Reads the auth token or API key secret from the file or the environment.
     *
     * @throws IllegalStateException when neither holds a secret (names the file or variable)
     */
    public String resolveSecret() {
        if (secretFile != null) {
            try {
                String secret =
                        Files.readString(Path.of(secretFile), StandardCharsets.UTF_8).trim();
                if (secret.isEmpty()) {
                    throw new IllegalStateException("sms.secret-file " + secretFile + " is empty");
                }
                return secret;
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot read sms.secret-file " + secretFile + ": " + e.getMessage(), e);
            }
        }
        String secret = System.getenv(secretEnv);
        if (secret == null || secret.isBlank()) {
            throw new IllegalStateException(
                    "the Twilio secret is missing: set environment variable "
                            + secretEnv
                            + " or sms.secret-file");
        }
        return secret.trim();
    }

    /**
     * The longest this sender takes to answer a send: {@code sms.max-queue-wait} for a request slot
     * (a send that waited longer is not sent), then {@code sms.connect-timeout} + {@code
     * sms.read-timeout}, one attempt (the client's own retries are off). The pool never makes a
     * request wait: it has a connection per request thread.
     */
    public SenderTimeout ownTimeout() {
        return SenderTimeout.of(SmsOptions.MAX_QUEUE_WAIT.key(), maxQueueWait)
                .plus(SmsOptions.CONNECT_TIMEOUT.key(), connectTimeout)
                .plus(SmsOptions.READ_TIMEOUT.key(), readTimeout);
    }
}
