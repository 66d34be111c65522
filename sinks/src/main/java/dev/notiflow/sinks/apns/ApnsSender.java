package dev.notiflow.sinks.apns;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.DeliveryPriority;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.PushType;
import com.eatthepath.pushy.apns.util.ApnsPayloadBuilder;
import com.eatthepath.pushy.apns.util.SimpleApnsPayloadBuilder;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import dev.notiflow.model.Content;
import dev.notiflow.model.Priority;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Sends push notifications to iOS devices through one long-lived Pushy {@link ApnsClient} (several
 * HTTP/2 connections, see {@link ApnsOptions#CONNECTIONS}).
 *
 * <p>Each request becomes an alert notification: topic = the request's appId (else the configured
 * default topic), priority 10 for {@link Priority#HIGH} and 5 otherwise, {@code apns-expiration} =
 * now + {@link ApnsOptions#EXPIRATION}, {@code apns-id} = a name-based UUID of the notificationId
 * (so a replay carries the same id), no collapse id. The payload holds the title, the body, the
 * request's data as custom keys and {@code notificationId}; one over {@link
 * ApnsSettings#maxPayloadBytes()} bytes is REJECTED PAYLOAD_TOO_LARGE before sending.
 *
 * <p>Contract of {@link ChannelSender}: answers and transport failures are {@link SendResult}
 * values (see {@link ApnsResults}). In-flight sends are bounded by {@link
 * ApnsSettings#maxInFlight()}: beyond it a send is RETRYABLE SENDER_BUSY at once, because Pushy
 * itself would queue without bound. A send unanswered after {@link ApnsSettings#requestTimeout()}
 * is RETRYABLE TIMEOUT. Thread-safe; close once.
 */
public final class ApnsSender implements ChannelSender {

    private static final Logger LOG = LoggerFactory.getLogger(ApnsSender.class);
    private static final Pattern HEX_TOKEN = Pattern.compile("[0-9a-fA-F]+");

    private final ApnsClient client;
    private final EventLoopGroup eventLoop;
    private final ApnsSettings settings;
    private final Semaphore inFlight;
    private final Clock clock;
    private final SendResult timeoutResult;

    /**
     * Wraps a built client; the sender owns it and its event loop group and closes both.
     *
     * @param eventLoop the group the client runs on, or {@code null} when the client owns its own
     */
    public ApnsSender(
            ApnsClient client, EventLoopGroup eventLoop, ApnsSettings settings, Clock clock) {
        this.client = client;
        this.eventLoop = eventLoop;
        this.settings = settings;
        this.inFlight = new Semaphore(settings.maxInFlight());
        this.clock = clock;
        this.timeoutResult =
                SendResult.retryable(
                        "TIMEOUT",
                        "no answer in " + settings.requestTimeout().toMillis() + " ms",
                        null);
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        Instant now = clock.instant();
        String token = request.token();
        if (token == null || token.isBlank()) {
            return CompletableFuture.completedFuture(
                    SendResult.rejected("INVALID_REQUEST", "no device token"));
        }
        if (!HEX_TOKEN.matcher(token).matches()) {
            // Pushy would strip the non-hex characters and send to another token.
            return CompletableFuture.completedFuture(
                    SendResult.tokenDead(
                            "BAD_DEVICE_TOKEN", "device token is not hexadecimal", now));
        }
        String topic = request.appId() != null ? request.appId() : settings.defaultTopic();
        if (topic == null || topic.isBlank()) {
            return CompletableFuture.completedFuture(
                    SendResult.rejected(
                            "CONFIGURATION_ERROR",
                            "no topic: the device has no appId and apns.topic is not set"));
        }
        Content content = request.content();
        if (content == null || (content.title() == null && content.body() == null)) {
            return CompletableFuture.completedFuture(
                    SendResult.rejected("INVALID_REQUEST", "push content has no title or body"));
        }
        String payload = payload(request);
        int size = payload.getBytes(StandardCharsets.UTF_8).length;
        if (size > settings.maxPayloadBytes()) {
            return CompletableFuture.completedFuture(
                    SendResult.rejected(
                            "PAYLOAD_TOO_LARGE",
                            "payload " + size + " bytes exceeds " + settings.maxPayloadBytes()));
        }
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.completedFuture(
                    SendResult.retryable(
                            "SENDER_BUSY", settings.maxInFlight() + " sends in flight", null));
        }
        SimpleApnsPushNotification notification =
                new SimpleApnsPushNotification(
                        token,
                        topic,
                        payload,
                        now.plus(settings.expiration()),
                        request.priority() == Priority.HIGH
                                ? DeliveryPriority.IMMEDIATE
                                : DeliveryPriority.CONSERVE_POWER,
                        PushType.ALERT,
                        null,
                        apnsId(request.notificationId()));
        CompletableFuture<SendResult> result = new CompletableFuture<>();
        try {
            client.sendNotification(notification)
                    .whenComplete(
                            (response, error) ->
                                    result.complete(
                                            error != null
                                                    ? ApnsResults.failure(error)
                                                    : map(response)));
        } catch (RuntimeException e) {
            result.complete(ApnsResults.failure(e));
        }
        result.completeOnTimeout(
                timeoutResult, settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (LOG.isDebugEnabled()) {
            result.thenAccept(
                    r ->
                            LOG.debug(
                                    "APNs send {} to {}: {} {} {}",
                                    request.notificationId(),
                                    mask(token),
                                    r.status(),
                                    r.reason(),
                                    r.detail()));
        }
        // The caller sees the answer only once its slot is free again.
        return result.whenComplete((r, e) -> inFlight.release());
    }

    private SendResult map(PushNotificationResponse<SimpleApnsPushNotification> response) {
        if (response.isAccepted()) {
            return SendResult.accepted(
                    response.getApnsUniqueId().orElse(response.getApnsId()).toString());
        }
        return ApnsResults.rejection(
                response.getStatusCode(),
                response.getRejectionReason().orElse(null),
                response.getTokenInvalidationTimestamp().orElse(null),
                clock.instant());
    }

    /** The APNs JSON payload for a request. */
    static String payload(SendRequest request) {
        ApnsPayloadBuilder builder = new SimpleApnsPayloadBuilder();
        Content content = request.content();
        if (content.title() != null) {
            builder.setAlertTitle(content.title());
        }
        if (content.body() != null) {
            builder.setAlertBody(content.body());
        }
        Map<String, String> data = request.data();
        if (data != null) {
            for (Map.Entry<String, String> entry : data.entrySet()) {
                if (!"aps".equals(entry.getKey()) && !"notificationId".equals(entry.getKey())) {
                    builder.addCustomProperty(entry.getKey(), entry.getValue());
                }
            }
        }
        if (request.notificationId() != null) {
            builder.addCustomProperty("notificationId", request.notificationId());
        }
        return builder.build();
    }

    /** The {@code apns-id} of a notification: a name-based UUID, stable across replays. */
    public static UUID apnsId(String notificationId) {
        return notificationId == null
                ? null
                : UUID.nameUUIDFromBytes(notificationId.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends awaiting an answer now. */
    public int inFlight() {
        return settings.maxInFlight() - inFlight.availablePermits();
    }

    @Override
    public void close() {
        try {
            client.close().get(10, TimeUnit.SECONDS);
            LOG.info("APNs client for {}:{} closed", settings.host(), settings.port());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("APNs client did not close cleanly", e);
        } finally {
            if (eventLoop != null) {
                eventLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }
        }
    }

    static String mask(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() <= 4 ? "…" : value.substring(0, 4) + "…";
    }
}
