package dev.notiflow.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Engagement;
import dev.notiflow.serde.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A {@link NotiflowClient} over the gateway's HTTP API, with the JDK's {@link HttpClient} and a
 * Bearer API key: {@code POST /v1/events} (one event, or {@code {"events": [...]}}), {@code PUT
 * /v1/users/{userId}/preferences}, {@code PUT|DELETE /v1/users/{userId}/devices/{token}}, {@code
 * DELETE /v1/users/{userId}}, {@code PUT|DELETE /v1/templates/{templateId}/{locale}}, {@code GET
 * /v1/events/{eventId}} and {@code POST /v1/notifications/{notificationId}/events}.
 *
 * <p>Every request carries an {@code Idempotency-Key}: the eventId for one event, a random key
 * drawn once per call for a batch or any other write, the same on every retry, so a retry after a
 * lost answer is never a second notification. Answers {@code 429} and {@code 503}, and failures
 * without an answer, are retried by the {@link RetryPolicy} (honouring {@code Retry-After}); other
 * answers outside 2xx fail the future with {@link NotiflowException} at once, except a {@code 409}
 * with {@code Retry-After}: the gateway is still enqueueing an earlier attempt of the same key,
 * whose answer the next attempt gets.
 *
 * <p>Thread-safe and long-lived. Waits between attempts run on the common pool's delayed executor:
 * no thread is blocked while waiting.
 */
public final class HttpNotiflowClient implements NotiflowClient {

    private static final Logger LOG = LoggerFactory.getLogger(HttpNotiflowClient.class);

    /** The header that makes a repeated request answer the same result without enqueueing again. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final URI base;
    private final String apiKey;
    private final RetryPolicy retry;
    private final Duration requestTimeout;
    private final HttpClient http;

    private HttpNotiflowClient(Builder b) {
        String s = b.baseUri.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.apiKey = b.apiKey;
        this.retry = b.retry;
        this.requestTimeout = b.requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(b.connectTimeout).build();
    }

    @Override
    public CompletableFuture<SendResult> send(Event event) {
        return call("POST", "/v1/events", event.json(), event.eventId())
                .thenApply(r -> results(r, List.of(event)));
    }

    @Override
    public CompletableFuture<SendResult> sendBatch(List<Event> events) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode array = body.putArray("events");
        for (Event e : events) {
            array.add(readTree(e.json()));
        }
        return call("POST", "/v1/events", Json.toBytes(body), UUID.randomUUID().toString())
                .thenApply(r -> results(r, events));
    }

    @Override
    public CompletableFuture<Void> putPreferences(Preferences p) {
        return write("PUT", "/v1/users/" + segment(p.userId()) + "/preferences", p.json());
    }

    @Override
    public CompletableFuture<Void> putDevice(Device d) {
        return write(
                "PUT",
                "/v1/users/" + segment(d.userId()) + "/devices/" + segment(d.token()),
                d.json());
    }

    @Override
    public CompletableFuture<Void> deleteDevice(String userId, String token) {
        return write("DELETE", "/v1/users/" + segment(userId) + "/devices/" + segment(token), null);
    }

    @Override
    public CompletableFuture<Void> deleteUser(String userId) {
        return write("DELETE", "/v1/users/" + segment(userId), null);
    }

    @Override
    public CompletableFuture<Void> putTemplate(Template t) {
        return write(
                "PUT",
                "/v1/templates/" + segment(t.templateId()) + "/" + segment(t.locale()),
                t.json());
    }

    @Override
    public CompletableFuture<Void> deleteTemplate(String templateId, String locale) {
        return write(
                "DELETE", "/v1/templates/" + segment(templateId) + "/" + segment(locale), null);
    }

    @Override
    public CompletableFuture<Void> reportEngagement(
            String notificationId, Engagement.Event event, Instant at) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        try {
            // the same checks as the topic's parser, before anything is sent
            Engagements.record(notificationId, event, at, Instant.now());
        } catch (ValidationException e) {
            return CompletableFuture.failedFuture(e);
        }
        body.put("event", event.wireName());
        if (at != null) {
            body.put("at", at.toString());
        }
        return write(
                "POST",
                "/v1/notifications/" + segment(notificationId) + "/events",
                Json.toBytes(body));
    }

    @Override
    public CompletableFuture<JsonNode> eventStatus(String eventId) {
        return call("GET", "/v1/events/" + segment(eventId), null, null)
                .thenApply(r -> readTree(r.body().getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        // HttpClient.close() exists from Java 21 on; on 17 its connections end with the client.
        if (http instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing the HTTP client", e);
            }
        }
    }

    private CompletableFuture<Void> write(String method, String path, byte[] body) {
        return call(method, path, body, UUID.randomUUID().toString()).thenApply(r -> null);
    }

    /**
     * One request with its retries: completes with the first answer in 2xx, fails with {@link
     * NotiflowException} on any other final answer or failure.
     */
    CompletableFuture<HttpResponse<String>> call(
            String method, String path, byte[] body, String idempotencyKey) {
        HttpRequest.Builder rb =
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(requestTimeout)
                        .header("Accept", "application/json")
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            rb.header("Content-Type", "application/json");
        }
        if (apiKey != null) {
            rb.header("Authorization", "Bearer " + apiKey);
        }
        if (idempotencyKey != null) {
            rb.header(IDEMPOTENCY_KEY, idempotencyKey);
        }
        HttpRequest request = rb.build();
        CompletableFuture<HttpResponse<String>> done = new CompletableFuture<>();
        attempt(request, 1, System.nanoTime(), done);
        return done;
    }

    private void attempt(
            HttpRequest request,
            int attempt,
            long startNanos,
            CompletableFuture<HttpResponse<String>> done) {
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .whenComplete(
                        (response, error) -> {
                            if (error == null && response.statusCode() / 100 == 2) {
                                done.complete(response);
                                return;
                            }
                            Duration wait = null;
                            if (error != null) {
                                Throwable cause =
                                        error instanceof CompletionException
                                                ? error.getCause()
                                                : error;
                                if (cause instanceof IOException) {
                                    wait = retry.backoff(attempt);
                                }
                            } else if (response.statusCode() == 429
                                    || response.statusCode() == 503) {
                                wait = retryAfter(response).orElseGet(() -> retry.backoff(attempt));
                            } else if (response.statusCode() == 409) {
                                // the same key still being enqueued (an earlier attempt whose
                                // answer was lost): wait for it when the gateway says how long
                                wait = retryAfter(response).orElse(null);
                            }
                            long elapsed = System.nanoTime() - startNanos;
                            if (wait != null
                                    && attempt < retry.maxAttempts()
                                    && elapsed + wait.toNanos() <= retry.maxTotal().toNanos()) {
                                LOG.debug(
                                        "{} {}: attempt {} answered {}, retrying in {}",
                                        request.method(),
                                        request.uri().getPath(),
                                        attempt,
                                        error != null ? error : response.statusCode(),
                                        wait);
                                CompletableFuture.delayedExecutor(
                                                wait.toMillis(), TimeUnit.MILLISECONDS)
                                        .execute(
                                                () ->
                                                        attempt(
                                                                request,
                                                                attempt + 1,
                                                                startNanos,
                                                                done));
                                return;
                            }
                            done.completeExceptionally(failure(request, attempt, response, error));
                        });
    }

    private static NotiflowException failure(
            HttpRequest request, int attempts, HttpResponse<String> response, Throwable error) {
        String what = request.method() + " " + request.uri().getPath();
        if (response != null) {
            return new NotiflowException(
                    response.statusCode(),
                    response.body(),
                    what
                            + " answered "
                            + response.statusCode()
                            + " after "
                            + attempts
                            + " attempt(s): "
                            + response.body(),
                    null);
        }
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        return new NotiflowException(
                0, null, what + " failed after " + attempts + " attempt(s): " + cause, cause);
    }

    /** {@code Retry-After} as seconds or as an HTTP date; empty when absent or unreadable. */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        Optional<String> value = response.headers().firstValue("Retry-After");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String v = value.get().trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at =
                        ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(Instant.now(), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /**
     * The per-item answer of {@code POST /v1/events}: an {@code accepted} list (eventIds, or
     * objects with {@code index} and {@code eventId}) and a {@code rejected} list (objects with
     * {@code index}, {@code reason} and {@code detail}).
     */
    static SendResult results(HttpResponse<String> response, List<Event> events) {
        JsonNode body = readTree(response.body().getBytes(StandardCharsets.UTF_8));
        Map<Integer, SendResult.Item> byIndex = new HashMap<>();
        Map<String, Integer> indexOf = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            indexOf.putIfAbsent(events.get(i).eventId(), i);
        }
        for (JsonNode a : body.path("accepted")) {
            String id = a.isTextual() ? a.textValue() : a.path("eventId").asText(null);
            int index = a.has("index") ? a.get("index").asInt() : indexOf.getOrDefault(id, -1);
            if (index >= 0) {
                byIndex.put(index, new SendResult.Item(index, id, true, null, null));
            }
        }
        for (JsonNode r : body.path("rejected")) {
            int index = r.path("index").asInt(-1);
            String id =
                    r.hasNonNull("eventId")
                            ? r.get("eventId").asText()
                            : index >= 0 && index < events.size()
                                    ? events.get(index).eventId()
                                    : null;
            byIndex.put(
                    index,
                    new SendResult.Item(
                            index,
                            id,
                            false,
                            r.path("reason").asText(null),
                            r.path("detail").asText(null)));
        }
        List<SendResult.Item> items = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            SendResult.Item item = byIndex.get(i);
            if (item == null) {
                throw new NotiflowException(
                        response.statusCode(),
                        response.body(),
                        "the gateway's answer has no result for event " + i,
                        null);
            }
            items.add(item);
        }
        return new SendResult(items);
    }

    private static JsonNode readTree(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new NotiflowException(0, null, "unreadable JSON: " + e.getMessage(), e);
        }
    }

    /** One path segment, percent-encoded (a space is {@code %20}, never {@code +}). */
    static String segment(String value) {
        Objects.requireNonNull(value, "path segment");
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Builds an {@link HttpNotiflowClient}; not thread-safe.
     *
     * <pre>{@code
     * HttpNotiflowClient client = NotiflowClient.http(URI.create("http://localhost:8080"))
     *         .apiKey(System.getenv("NOTIFLOW_API_KEY"))
     *         .retryPolicy(new RetryPolicy(3, Duration.ofSeconds(10),
     *                 Duration.ofMillis(100), Duration.ofSeconds(2)))
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private final URI baseUri;
        private String apiKey;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);

        Builder(URI baseUri) {
            this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
        }

        /** The API key, sent as {@code Authorization: Bearer <key>}. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public Builder retryPolicy(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** The longest wait for one answer; a timeout counts as a failure without an answer. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public HttpNotiflowClient build() {
            return new HttpNotiflowClient(this);
        }
    }
}
