package dev.notiflow.sinks.apns;

import dev.notiflow.model.SendResult;

import javax.net.ssl.SSLException;

import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Maps APNs answers and transport failures to {@link SendResult}s, following the reliability table:
 * 400 BadDeviceToken and 410 mark the token dead, other 400s are INVALID_REQUEST, 403
 * ExpiredProviderToken is retryable PROVIDER_TOKEN_EXPIRED, other 403s CREDENTIALS_REJECTED, 413
 * PAYLOAD_TOO_LARGE, 429 RATE_LIMITED, 5xx PROVIDER_UNAVAILABLE, transport failures
 * CONNECTION_ERROR.
 *
 * <p>Details carry only the status and Apple's reason text, never a token. Stateless and
 * thread-safe.
 */
public final class ApnsResults {

    private ApnsResults() {}

    /**
     * The result for a rejected notification.
     *
     * @param status the HTTP status APNs answered
     * @param reason Apple's reason text, e.g. {@code BadDeviceToken}, or {@code null}
     * @param invalidatedAt the 410 timestamp, or {@code null}
     * @param now the instant to use when a dead token comes without a timestamp
     */
    public static SendResult rejection(
            int status, String reason, Instant invalidatedAt, Instant now) {
        String detail = status + " " + (reason == null ? "(no reason)" : reason);
        switch (status) {
            case 400:
                if ("BadDeviceToken".equals(reason)) {
                    return SendResult.tokenDead("BAD_DEVICE_TOKEN", detail, now);
                }
                return SendResult.rejected("INVALID_REQUEST", detail);
            case 403:
                if ("ExpiredProviderToken".equals(reason)) {
                    return SendResult.retryable("PROVIDER_TOKEN_EXPIRED", detail, null);
                }
                return SendResult.retryable("CREDENTIALS_REJECTED", detail, null);
            case 404:
            case 405:
                return SendResult.rejected("CONFIGURATION_ERROR", detail);
            case 410:
                return SendResult.tokenDead(
                        "TOKEN_UNREGISTERED", detail, invalidatedAt != null ? invalidatedAt : now);
            case 413:
                return SendResult.rejected("PAYLOAD_TOO_LARGE", detail);
            case 429:
                return SendResult.retryable("RATE_LIMITED", detail, null);
            case 500:
            case 503:
                return SendResult.retryable("PROVIDER_UNAVAILABLE", detail, null);
            default:
                if (status >= 500) {
                    return SendResult.retryable("PROVIDER_UNAVAILABLE", detail, null);
                }
                return SendResult.retryable("PROVIDER_ERROR", detail, null);
        }
    }

    /** The result for a send that failed without an answer from APNs. */
    public static SendResult failure(Throwable error) {
        Throwable cause = unwrap(error);
        String detail = cause.getClass().getSimpleName();
        if (cause instanceof TimeoutException) {
            return SendResult.retryable("TIMEOUT", detail, null);
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return SendResult.retryable(
                        "CONNECTION_ERROR", "TLS failure: " + t.getClass().getSimpleName(), null);
            }
        }
        if (cause instanceof IOException) {
            return SendResult.retryable(
                    "CONNECTION_ERROR", detail + ": " + firstLine(cause.getMessage()), null);
        }
        if (cause instanceof IllegalStateException) {
            // Pushy's answer when the client is closed or not connected.
            return SendResult.retryable(
                    "CONNECTION_ERROR", detail + ": " + firstLine(cause.getMessage()), null);
        }
        return SendResult.retryable("PROVIDER_ERROR", detail, null);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
