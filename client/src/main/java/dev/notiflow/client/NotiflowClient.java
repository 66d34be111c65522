package dev.notiflow.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Engagement;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The notiflow client for upstream services: sends events, and writes preferences, devices and
 * templates, over HTTP (the gateway) or straight to Kafka, with the same typed requests. Every
 * request is validated when it is built, by the same parsers the job uses ({@link
 * ValidationException} with the DLQ's reason), so a bad event fails on the caller's side.
 *
 * <pre>{@code
 * try (NotiflowClient client =
 *         NotiflowClient.http(URI.create("https://notify.example.com"))
 *                 .apiKey(System.getenv("NOTIFLOW_API_KEY"))
 *                 .retryPolicy(RetryPolicy.DEFAULT)
 *                 .build()) {
 *     Event e = Event.builder("order.shipped").eventId("order-123-shipped").userIds("u1")
 *             .data("orderId", "123").build();
 *     SendResult r = client.send(e).join();
 * }
 * }</pre>
 *
 * <p>Every method is asynchronous and returns at once; a future fails with {@link
 * NotiflowException} when the request did not succeed. Implementations are thread-safe and meant to
 * be long-lived, one per process; {@link #close()} releases their connections.
 */
public interface NotiflowClient extends AutoCloseable {

    /**
     * A builder of a client over the gateway at {@code baseUri} (e.g. {@code http://host:8080}).
     */
    static HttpNotiflowClient.Builder http(URI baseUri) {
        return new HttpNotiflowClient.Builder(baseUri);
    }

    /** A builder of a client that writes straight to the Kafka cluster at {@code bootstrap}. */
    static KafkaNotiflowClient.Builder kafka(String bootstrapServers) {
        return new KafkaNotiflowClient.Builder(bootstrapServers);
    }

    /** Enqueues one event. Its {@code eventId} is the idempotency key of every retry. */
    CompletableFuture<SendResult> send(Event event);

    /**
     * Enqueues a batch of events, with one answer per event. Over Kafka the batch is one
     * transaction: all of it is enqueued, or nothing.
     */
    CompletableFuture<SendResult> sendBatch(List<Event> events);

    /** Writes (replaces) a user's profile. */
    CompletableFuture<Void> putPreferences(Preferences preferences);

    /** Registers (or updates) a device. */
    CompletableFuture<Void> putDevice(Device device);

    /** Unregisters a device. */
    CompletableFuture<Void> deleteDevice(String userId, String token);

    /**
     * Erases a user: the profile and its devices. Over HTTP the gateway tombstones every device it
     * knows; over Kafka it is the profile's tombstone (the job drops the user's devices with it),
     * see {@link KafkaNotiflowClient#deleteUser(String, List)} to tombstone the devices too.
     */
    CompletableFuture<Void> deleteUser(String userId);

    /** Writes (replaces) a template for one locale. */
    CompletableFuture<Void> putTemplate(Template template);

    /** Deletes a template for one locale. */
    CompletableFuture<Void> deleteTemplate(String templateId, String locale);

    /**
     * Reports an engagement step of a notification (delivered, opened, clicked, dismissed); {@code
     * at} is when it happened, or {@code null} for now.
     */
    CompletableFuture<Void> reportEngagement(
            String notificationId, Engagement.Event event, Instant at);

    /**
     * The delivery status of every notification of an event, as the gateway's {@code GET
     * /v1/events/{eventId}} answers it. HTTP only: over Kafka the future fails with {@link
     * UnsupportedOperationException}.
     */
    CompletableFuture<JsonNode> eventStatus(String eventId);

    /** Releases the connections; requests still in flight may fail. */
    @Override
    void close();
}
