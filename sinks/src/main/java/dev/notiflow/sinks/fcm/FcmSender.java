package dev.notiflow.sinks.fcm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.firebase.FirebaseApp;
import com.google.firebase.messaging.AndroidConfig;
import com.google.firebase.messaging.FirebaseMessaging;
import com.google.firebase.messaging.Message;
import com.google.firebase.messaging.Notification;
import com.google.firebase.messaging.WebpushConfig;
import dev.notiflow.model.Content;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Sends push notifications to Android and web devices through firebase-admin's {@code sendAsync} on
 * one {@link FirebaseApp} of its own (a unique name per sender, deleted on close).
 *
 * <p>Each request becomes one message to its token with the title and body as notification, the
 * request's data plus {@code notificationId} as data; {@link Platform#ANDROID} adds an android
 * config (priority high for {@link Priority#HIGH}, else normal; ttl), {@link Platform#WEB} a
 * webpush config ({@code Urgency} and {@code TTL} headers). A notification and data over {@link
 * FcmSettings#maxPayloadBytes()} bytes is REJECTED PAYLOAD_TOO_LARGE before sending.
 *
 * <p>Contract of {@link ChannelSender}: errors are {@link SendResult} values (see {@link
 * FcmResults}). firebase-admin retries a 503 itself, at most 4 times with exponential backoff
 * (about 7.5 s in all), and not at all when Retry-After exceeds 60 s; only then does the send end
 * as PROVIDER_UNAVAILABLE. In-flight sends are bounded by {@link FcmSettings#maxInFlight()}
 * (beyond: RETRYABLE SENDER_BUSY at once) and run on {@link FcmSettings#threads()} threads; a send
 * unanswered after {@link FcmSettings#requestTimeout()} is RETRYABLE TIMEOUT. Thread-safe; close
 * once.
 */
public final class FcmSender implements ChannelSender {

    private static final Logger LOG = LoggerFactory.getLogger(FcmSender.class);
    // Counts an emoji as its 4 UTF-8 bytes, not as two escaped surrogates.
    private static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                    .build();

    private final FirebaseApp app;
    private final FirebaseMessaging messaging;
    private final FcmSettings settings;
    private final Semaphore inFlight;
    private final Clock clock;

    /** Wraps an initialized app; the sender owns it and deletes it on close. */
    public FcmSender(FirebaseApp app, FcmSettings settings, Clock clock) {
        this.app = app;
        this.messaging = FirebaseMessaging.getInstance(app);
        this.settings = settings;
        this.inFlight = new Semaphore(settings.maxInFlight());
        this.clock = clock;
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        String token = request.token();
        if (token == null || token.isBlank()) {
            return done(SendResult.rejected("INVALID_REQUEST", "no registration token"));
        }
        Content content = request.content();
        if (content == null || (content.title() == null && content.body() == null)) {
            return done(
                    SendResult.rejected("INVALID_REQUEST", "push content has no title or body"));
        }
        Map<String, String> data = data(request);
        int size = payloadSize(content, data);
        if (size > settings.maxPayloadBytes()) {
            return done(
                    SendResult.rejected(
                            "PAYLOAD_TOO_LARGE",
                            "payload " + size + " bytes exceeds " + settings.maxPayloadBytes()));
        }
        Message message;
        try {
            message = message(request, token, content, data);
        } catch (IllegalArgumentException e) {
            // firebase-admin validates fields (e.g. reserved data keys) while building.
            return done(SendResult.rejected("INVALID_REQUEST", "message rejected by the client"));
        }
        if (!inFlight.tryAcquire()) {
            return done(
                    SendResult.retryable(
                            "SENDER_BUSY", settings.maxInFlight() + " sends in flight", null));
        }
        CompletableFuture<SendResult> result = new CompletableFuture<>();
        try {
            ApiFuture<String> future = messaging.sendAsync(message);
            ApiFutures.addCallback(
                    future,
                    new ApiFutureCallback<String>() {
                        @Override
                        public void onSuccess(String name) {
                            result.complete(SendResult.accepted(name));
                        }

                        @Override
                        public void onFailure(Throwable error) {
                            result.complete(FcmResults.failure(error, clock.instant()));
                        }
                    },
                    MoreExecutors.directExecutor());
        } catch (RejectedExecutionException e) {
            result.complete(SendResult.retryable("SENDER_BUSY", "FCM executor is full", null));
        } catch (IllegalStateException e) {
            result.complete(SendResult.retryable("CONNECTION_ERROR", "FCM client closed", null));
        }
        result.completeOnTimeout(
                SendResult.retryable(
                        "TIMEOUT",
                        "no answer in " + settings.requestTimeout().toMillis() + " ms",
                        null),
                settings.requestTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        if (LOG.isDebugEnabled()) {
            result.thenAccept(
                    r ->
                            LOG.debug(
                                    "FCM send {} to {}: {} {} {}",
                                    request.notificationId(),
                                    mask(token),
                                    r.status(),
                                    r.reason(),
                                    r.detail()));
        }
        // The caller sees the answer only once its slot is free again.
        return result.whenComplete((r, e) -> inFlight.release());
    }

    private Message message(
            SendRequest request, String token, Content content, Map<String, String> data) {
        Message.Builder builder =
                Message.builder()
                        .setToken(token)
                        .setNotification(
                                Notification.builder()
                                        .setTitle(content.title())
                                        .setBody(content.body())
                                        .build())
                        .putAllData(data);
        boolean high = request.priority() == Priority.HIGH;
        if (request.platform() == Platform.WEB) {
            builder.setWebpushConfig(
                    WebpushConfig.builder()
                            .putHeader("Urgency", high ? "high" : "normal")
                            .putHeader("TTL", Long.toString(settings.ttl().toSeconds()))
                            .build());
        } else if (request.platform() == Platform.ANDROID || request.platform() == null) {
            builder.setAndroidConfig(
                    AndroidConfig.builder()
                            .setPriority(
                                    high
                                            ? AndroidConfig.Priority.HIGH
                                            : AndroidConfig.Priority.NORMAL)
                            .setTtl(settings.ttl().toMillis())
                            .build());
        }
        return builder.build();
    }

    private static Map<String, String> data(SendRequest request) {
        Map<String, String> data = new java.util.LinkedHashMap<>();
        if (request.data() != null) {
            request.data()
                    .forEach(
                            (key, value) -> {
                                if (key != null && value != null) {
                                    data.put(key, value);
                                }
                            });
        }
        if (request.notificationId() != null) {
            data.put("notificationId", request.notificationId());
        }
        return data;
    }

    /** UTF-8 bytes of the notification and data as JSON: what FCM counts against its limit. */
    static int payloadSize(Content content, Map<String, String> data) {
        ObjectNode counted = MAPPER.createObjectNode();
        ObjectNode notification = counted.putObject("notification");
        if (content.title() != null) {
            notification.put("title", content.title());
        }
        if (content.body() != null) {
            notification.put("body", content.body());
        }
        ObjectNode dataNode = counted.putObject("data");
        data.forEach(dataNode::put);
        try {
            return MAPPER.writeValueAsBytes(counted).length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a JSON tree", e);
        }
    }

    /** Sends running or waiting for a thread now. */
    public int inFlight() {
        return settings.maxInFlight() - inFlight.availablePermits();
    }

    /** The name of this sender's FirebaseApp. */
    public String appName() {
        return app.getName();
    }

    @Override
    public void close() {
        try {
            app.delete();
            LOG.info("FCM app {} deleted", app.getName());
        } catch (RuntimeException e) {
            LOG.warn("FCM app did not close cleanly", e);
        }
    }

    private static CompletableFuture<SendResult> done(SendResult result) {
        return CompletableFuture.completedFuture(result);
    }

    static String mask(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() <= 4 ? "…" : value.substring(0, 4) + "…";
    }
}
