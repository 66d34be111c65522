package dev.notiflow.sinks.fcm;

import com.google.auth.Retryable;
import com.google.firebase.ErrorCode;
import com.google.firebase.IncomingHttpResponse;
import com.google.firebase.messaging.FirebaseMessagingException;
import com.google.firebase.messaging.MessagingErrorCode;
import dev.notiflow.model.SendResult;

import javax.net.ssl.SSLException;

import java.io.IOException;
import java.net.HttpRetryException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Maps firebase-admin's errors to {@link SendResult}s, following the reliability table: 404
 * UNREGISTERED and an INVALID_ARGUMENT about the registration token mark the token dead, other
 * INVALID_ARGUMENTs are INVALID_REQUEST, 403 SENDER_ID_MISMATCH is permanent, 429 QUOTA_EXCEEDED is
 * RATE_LIMITED with its Retry-After, 500/503 PROVIDER_UNAVAILABLE, THIRD_PARTY_AUTH_ERROR and 401
 * CREDENTIALS_REJECTED, socket timeouts TIMEOUT and other I/O failures CONNECTION_ERROR.
 *
 * <p>Details carry the HTTP status and error codes only, never the token or Google's message text
 * (which may quote request fields). Stateless and thread-safe.
 */
public final class FcmResults {

    private FcmResults() {}

    /**
     * The result for a failed send.
     *
     * @param now the instant a dead token is reported dead at (FCM gives no timestamp)
     */
    public static SendResult failure(Throwable error, Instant now) {
        Throwable cause = unwrap(error);
        if (cause instanceof FirebaseMessagingException) {
            return fromFirebase((FirebaseMessagingException) cause, now);
        }
        if (cause instanceof RejectedExecutionException) {
            return SendResult.retryable("SENDER_BUSY", "FCM executor is full", null);
        }
        return fromTransport(cause, cause.getClass().getSimpleName());
    }

    private static SendResult fromFirebase(FirebaseMessagingException e, Instant now) {
        MessagingErrorCode fcmCode = e.getMessagingErrorCode();
        ErrorCode code = e.getErrorCode();
        IncomingHttpResponse response = e.getHttpResponse();
        int status = response != null ? response.getStatusCode() : 0;
        Long retryAfter = response != null ? retryAfterMillis(response.getHeaders(), now) : null;
        String detail =
                (status > 0 ? status + " " : "")
                        + (code != null ? code.name() : "UNKNOWN")
                        + (fcmCode != null && !fcmCode.name().equals(String.valueOf(code))
                                ? " " + fcmCode.name()
                                : "");
        if (fcmCode != null) {
            switch (fcmCode) {
                case UNREGISTERED:
                    return SendResult.tokenDead("TOKEN_UNREGISTERED", detail, now);
                case INVALID_ARGUMENT:
                    return invalidArgument(e, detail, now);
                case SENDER_ID_MISMATCH:
                    return SendResult.rejected("SENDER_ID_MISMATCH", detail);
                case QUOTA_EXCEEDED:
                    return SendResult.retryable("RATE_LIMITED", detail, retryAfter);
                case THIRD_PARTY_AUTH_ERROR:
                    return SendResult.retryable("CREDENTIALS_REJECTED", detail, null);
                case INTERNAL:
                case UNAVAILABLE:
                    return SendResult.retryable("PROVIDER_UNAVAILABLE", detail, retryAfter);
                default:
                    break;
            }
        }
        if (status == 0) {
            return fromTransport(e.getCause() != null ? e.getCause() : e, detail);
        }
        if (status == 400 || code == ErrorCode.INVALID_ARGUMENT) {
            return invalidArgument(e, detail, now);
        }
        if (status == 401 || status == 403 || code == ErrorCode.UNAUTHENTICATED) {
            return SendResult.retryable("CREDENTIALS_REJECTED", detail, null);
        }
        if (status == 404) {
            // Not found without UNREGISTERED: the project or the URL is wrong, not the token.
            return SendResult.rejected("CONFIGURATION_ERROR", detail);
        }
        if (status == 429) {
            return SendResult.retryable("RATE_LIMITED", detail, retryAfter);
        }
        if (status >= 500) {
            return SendResult.retryable("PROVIDER_UNAVAILABLE", detail, retryAfter);
        }
        return SendResult.retryable("PROVIDER_ERROR", detail, retryAfter);
    }

    private static SendResult invalidArgument(
            FirebaseMessagingException e, String detail, Instant now) {
        String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        if (message.contains("registration token")) {
            return SendResult.tokenDead(
                    "BAD_DEVICE_TOKEN", detail + " (invalid registration token)", now);
        }
        return SendResult.rejected("INVALID_REQUEST", detail);
    }

    private static SendResult fromTransport(Throwable cause, String detail) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof HttpRetryException && ((HttpRetryException) t).responseCode() == 401) {
                // HttpURLConnection turns a 401 to a streamed POST into this exception.
                return SendResult.retryable("CREDENTIALS_REJECTED", "401 UNAUTHENTICATED", null);
            }
            if (t instanceof SocketTimeoutException) {
                return SendResult.retryable("TIMEOUT", "read or connect timed out", null);
            }
            if (t instanceof SSLException) {
                return SendResult.retryable(
                        "CONNECTION_ERROR", "TLS failure: " + t.getClass().getSimpleName(), null);
            }
            if (t instanceof Retryable && t instanceof IOException) {
                // google-auth's token endpoint failure: permanent means the credentials are bad.
                return ((Retryable) t).isRetryable()
                        ? SendResult.retryable(
                                "CONNECTION_ERROR", "OAuth token endpoint unavailable", null)
                        : SendResult.retryable(
                                "CREDENTIALS_REJECTED", "OAuth token request rejected", null);
            }
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return SendResult.retryable(
                        "CONNECTION_ERROR", detail + ": " + t.getClass().getSimpleName(), null);
            }
        }
        return SendResult.retryable("PROVIDER_ERROR", detail, null);
    }

    /** The Retry-After header (seconds or an HTTP date) in millis, or {@code null}. */
    static Long retryAfterMillis(Map<String, Object> headers, Instant now) {
        if (headers == null) {
            return null;
        }
        Object value = null;
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            if ("retry-after".equalsIgnoreCase(header.getKey())) {
                value = header.getValue();
            }
        }
        if (value instanceof List && !((List<?>) value).isEmpty()) {
            value = ((List<?>) value).get(0);
        }
        if (value == null) {
            return null;
        }
        String text = value.toString().trim();
        try {
            long seconds = Long.parseLong(text);
            return seconds < 0 ? null : seconds * 1000;
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at =
                        ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return Math.max(0, Duration.between(now, at).toMillis());
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
