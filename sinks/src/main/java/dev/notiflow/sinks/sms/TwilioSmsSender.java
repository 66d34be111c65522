package dev.notiflow.sinks.sms;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import com.twilio.exception.ApiException;
import com.twilio.exception.TwilioException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.api.v2010.account.MessageCreator;
import com.twilio.type.PhoneNumber;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Sends SMS through the Twilio Messages API with twilio-java.
 *
 * <p>Before any HTTP call it checks that the address is a valid E.164 number (libphonenumber) and
 * that the text fits {@code sms.max-segments} segments and Twilio's 1600 characters (see {@link
 * SmsSegments}); it rejects otherwise. Twilio's answers map to {@link SendResult} values:
 *
 * <table>
 *   <caption>Twilio answer to outcome</caption>
 *   <tr><th>answer</th><th>outcome</th></tr>
 *   <tr><td>201</td><td>ACCEPTED, provider id = message SID</td></tr>
 *   <tr><td>21211, 21614</td><td>REJECTED INVALID_CONTACT</td></tr>
 *   <tr><td>21610</td><td>REJECTED RECIPIENT_UNSUBSCRIBED</td></tr>
 *   <tr><td>429 or 20429</td><td>RETRYABLE RATE_LIMITED (+ Retry-After)</td></tr>
 *   <tr><td>401 or 20003</td><td>RETRYABLE CREDENTIALS_REJECTED</td></tr>
 *   <tr><td>5xx</td><td>RETRYABLE PROVIDER_UNAVAILABLE (+ Retry-After)</td></tr>
 *   <tr><td>any other code</td><td>RETRYABLE PROVIDER_ERROR</td></tr>
 *   <tr><td>connect/IO failure</td><td>RETRYABLE CONNECTION_ERROR, or TIMEOUT</td></tr>
 * </table>
 *
 * <p>twilio-java calls block, so sends run on this sender's own bounded pool ({@code
 * sms.max-concurrent-requests} threads, {@code sms.max-queued} waiting); beyond that a send
 * completes at once with RETRYABLE SENDER_BUSY, and one that waited longer than {@code
 * sms.max-queue-wait} is answered SENDER_BUSY without being sent. twilio-java's static executor is
 * not used. The Messages API has no idempotency key, so a retry after a timeout may send twice.
 *
 * <p>Thread-safe and long-lived: create one per task through {@link TwilioSmsSenderFactory} and
 * {@link #close()} it with the task.
 */
public final class TwilioSmsSender implements ChannelSender {

    private static final Logger LOG = LoggerFactory.getLogger(TwilioSmsSender.class);
    private static final Pattern E164 = Pattern.compile("\\+[1-9]\\d{1,14}");

    private final SmsSettings settings;
    private final TwilioHttpClient http;
    private final TwilioRestClient client;
    private final ThreadPoolExecutor executor;
    private final PhoneNumberUtil phoneNumbers = PhoneNumberUtil.getInstance();

    /**
     * Builds the client and its pool.
     *
     * @param settings validated settings
     * @param secret the auth token, or the API key secret when {@code settings.apiKeySid()} is set
     */
    public TwilioSmsSender(SmsSettings settings, String secret) {
        this.settings = settings;
        this.http =
                TwilioHttpClient.create(
                        settings.baseUrl(),
                        settings.connectTimeout(),
                        settings.readTimeout(),
                        settings.maxConcurrentRequests());
        TwilioRestClient.Builder builder =
                settings.apiKeySid() != null
                        ? new TwilioRestClient.Builder(settings.apiKeySid(), secret)
                                .accountSid(settings.accountSid())
                        : new TwilioRestClient.Builder(settings.accountSid(), secret);
        this.client = builder.httpClient(http).build();
        this.executor =
                new ThreadPoolExecutor(
                        settings.maxConcurrentRequests(),
                        settings.maxConcurrentRequests(),
                        60,
                        TimeUnit.SECONDS,
                        new ArrayBlockingQueue<>(settings.maxQueued()),
                        daemonThreads("twilio-sms"),
                        new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
        LOG.info(
                "Twilio SMS sender ready: base URL {}, {} concurrent requests, {} queued",
                settings.baseUrl(),
                settings.maxConcurrentRequests(),
                settings.maxQueued());
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        SendResult invalid = validate(request);
        if (invalid != null) {
            LOG.debug(
                    "SMS {} to {} rejected before sending: {}",
                    request.notificationId(),
                    mask(request.address()),
                    invalid.reason());
            return CompletableFuture.completedFuture(invalid);
        }
        long queuedAt = System.nanoTime();
        try {
            return CompletableFuture.supplyAsync(() -> sendIfNotStale(request, queuedAt), executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(
                    SendResult.retryable(
                            "SENDER_BUSY",
                            executor.isShutdown()
                                    ? "sender closed"
                                    : "SMS send queue full (" + settings.maxQueued() + " waiting)",
                            null));
        }
    }

    /** The reason to reject before any HTTP call, or {@code null} when the request may go. */
    private SendResult validate(SendRequest request) {
        String address = request.address();
        if (address == null || !E164.matcher(address).matches() || !validNumber(address)) {
            return SendResult.rejected("INVALID_CONTACT", "not a valid E.164 phone number");
        }
        String text = request.content() == null ? null : request.content().text();
        if (text == null || text.isBlank()) {
            return SendResult.rejected("INVALID_REQUEST", "empty SMS text");
        }
        SmsSegments.Count count = SmsSegments.count(text);
        if (count.segments() > settings.maxSegments()
                || count.characters() > SmsOptions.MAX_BODY_CHARS) {
            return SendResult.rejected(
                    "PAYLOAD_TOO_LARGE",
                    count.encoding()
                            + ", "
                            + count.characters()
                            + " characters in "
                            + count.segments()
                            + " segments (max "
                            + settings.maxSegments()
                            + " segments, "
                            + SmsOptions.MAX_BODY_CHARS
                            + " characters)");
        }
        return null;
    }

    private boolean validNumber(String address) {
        try {
            Phonenumber.PhoneNumber number = phoneNumbers.parse(address, null);
            return phoneNumbers.isValidNumber(number);
        } catch (NumberParseException e) {
            return false;
        }
    }

    /**
     * Sends unless the request waited longer than {@code sms.max-queue-wait} for a slot: the job's
     * own timeout counts that wait too, and an SMS sent after the job gave up on it would be sent
     * again by its retry (the Messages API has no idempotency key).
     */
    private SendResult sendIfNotStale(SendRequest request, long queuedAt) {
        long waited = System.nanoTime() - queuedAt;
        if (waited > settings.maxQueueWait().toNanos()) {
            return SendResult.retryable(
                    "SENDER_BUSY",
                    "waited " + waited / 1_000_000 + " ms for a request slot, not sent",
                    null);
        }
        return sendNow(request);
    }

    private SendResult sendNow(SendRequest request) {
        http.resetLast();
        PhoneNumber to = new PhoneNumber(request.address());
        String body = request.content().text();
        MessageCreator creator =
                settings.from() != null
                        ? Message.creator(to, new PhoneNumber(settings.from()), body)
                        : Message.creator(to, settings.messagingServiceSid(), body);
        if (settings.from() != null && settings.messagingServiceSid() != null) {
            creator.setMessagingServiceSid(settings.messagingServiceSid());
        }
        try {
            Message message = creator.create(client);
            LOG.debug(
                    "SMS {} to {} accepted as {}",
                    request.notificationId(),
                    mask(request.address()),
                    message.getSid());
            return SendResult.accepted(message.getSid());
        } catch (TwilioException e) {
            SendResult result = classify(e, http.lastResponse());
            LOG.debug(
                    "SMS {} to {} not accepted: {} {} ({})",
                    request.notificationId(),
                    mask(request.address()),
                    result.status(),
                    result.reason(),
                    result.detail());
            return result;
        } catch (RuntimeException e) {
            LOG.warn(
                    "SMS {} failed unexpectedly: {}",
                    request.notificationId(),
                    e.getClass().getName());
            return SendResult.retryable(
                    "PROVIDER_ERROR", "unexpected " + e.getClass().getSimpleName(), null);
        }
    }

    /**
     * Maps a twilio-java exception and the HTTP response behind it (when there was one) to an
     * outcome. Visible for tests.
     */
    static SendResult classify(TwilioException e, TwilioHttpClient.LastResponse response) {
        Integer code = e instanceof ApiException ? ((ApiException) e).getCode() : null;
        Integer status = e instanceof ApiException ? ((ApiException) e).getStatusCode() : null;
        if (response != null && (status == null || status == 0)) {
            status = response.status();
        }
        Long retryAfter = response == null ? null : response.retryAfterMillis();
        if (status == null || status == 0) {
            return transportFailure(e);
        }
        if (status >= 200 && status < 300) {
            // Twilio took the message but its answer did not parse: it is sent; never resend it.
            return SendResult.accepted(null);
        }
        String detail = "HTTP " + status + (code != null ? ", Twilio error " + code : "");
        if (code != null) {
            switch (code) {
                case 21211:
                case 21614:
                    return SendResult.rejected("INVALID_CONTACT", detail);
                case 21610:
                    return SendResult.rejected("RECIPIENT_UNSUBSCRIBED", detail);
                case 20429:
                    return SendResult.retryable("RATE_LIMITED", detail, retryAfter);
                case 20003:
                    return SendResult.retryable("CREDENTIALS_REJECTED", detail, null);
                default:
                    break;
            }
        }
        if (status == 429) {
            return SendResult.retryable("RATE_LIMITED", detail, retryAfter);
        }
        if (status == 401) {
            return SendResult.retryable("CREDENTIALS_REJECTED", detail, null);
        }
        if (status >= 500) {
            return SendResult.retryable("PROVIDER_UNAVAILABLE", detail, retryAfter);
        }
        return SendResult.retryable("PROVIDER_ERROR", detail, retryAfter);
    }

    private static SendResult transportFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedIOException) {
                return SendResult.retryable(
                        "TIMEOUT", "no answer in time: " + t.getClass().getSimpleName(), null);
            }
            if (t instanceof IOException) {
                return SendResult.retryable(
                        "CONNECTION_ERROR",
                        t.getClass().getSimpleName() + ": " + t.getMessage(),
                        null);
            }
        }
        return SendResult.retryable(
                "CONNECTION_ERROR", "no response: " + e.getClass().getSimpleName(), null);
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        http.close();
        LOG.info("Twilio SMS sender closed");
    }

    /** Masks a phone number for logs: the first 4 characters and an ellipsis. */
    static String mask(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() <= 4 ? "…" : value.substring(0, 4) + "…";
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        ClassLoader loader = TwilioSmsSender.class.getClassLoader();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        };
    }
}
