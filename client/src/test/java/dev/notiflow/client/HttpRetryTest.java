package dev.notiflow.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HTTP transport's retry rule against a scripted remote peer (a JDK {@link HttpServer} that
 * answers from a list): 429 and 503 are retried, honouring {@code Retry-After}, with the same
 * idempotency key every time, within the policy's attempts and total time; other answers are not.
 */
class HttpRetryTest {

    /** One scripted answer: status, {@code Retry-After} (or null) and body. */
    private record Answer(int status, String retryAfter, String body) {}

    /** One request as the peer saw it. */
    private record Seen(long atNanos, String method, String path, String key, String auth) {}

    private HttpServer server;
    private final Deque<Answer> script = new ArrayDeque<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private synchronized void answer(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        seen.add(
                new Seen(
                        System.nanoTime(),
                        ex.getRequestMethod(),
                        ex.getRequestURI().getRawPath(),
                        ex.getRequestHeaders().getFirst("Idempotency-Key"),
                        ex.getRequestHeaders().getFirst("Authorization")));
        Answer a = script.isEmpty() ? new Answer(500, null, "{}") : script.poll();
        if (a.retryAfter() != null) {
            ex.getResponseHeaders().add("Retry-After", a.retryAfter());
        }
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(a.status(), body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private HttpNotiflowClient client(RetryPolicy policy) {
        return NotiflowClient.http(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .apiKey("k-123")
                .retryPolicy(policy)
                .build();
    }

    private static Event event(String id) {
        return Event.builder("order.shipped").eventId(id).userIds("u1").build();
    }

    @Test
    void shouldRetry429And503WithTheSameKeyAndHonourRetryAfter() {
        script.add(new Answer(429, "1", "{\"error\":\"rate limited\"}"));
        script.add(new Answer(503, null, "{\"error\":\"kafka unavailable\"}"));
        script.add(
                new Answer(
                        202,
                        null,
                        "{\"accepted\":[{\"index\":0,\"eventId\":\"e1\"}],\"rejected\":[]}"));
        RetryPolicy policy =
                new RetryPolicy(
                        4, Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofSeconds(1));

        SendResult result = client(policy).send(event("e1")).join();

        assertThat(result.items()).containsExactly(new SendResult.Item(0, "e1", true, null, null));
        assertThat(seen).hasSize(3);
        assertThat(seen)
                .allSatisfy(
                        s -> {
                            assertThat(s.method()).isEqualTo("POST");
                            assertThat(s.path()).isEqualTo("/v1/events");
                            assertThat(s.key()).isEqualTo("e1");
                            assertThat(s.auth()).isEqualTo("Bearer k-123");
                        });
        assertThat(Duration.ofNanos(seen.get(1).atNanos() - seen.get(0).atNanos()))
                .as("the wait Retry-After asked for")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void shouldGiveUpAfterTheLastAttemptWithTheLastAnswer() {
        for (int i = 0; i < 5; i++) {
            script.add(new Answer(503, "0", "{\"error\":\"kafka unavailable\"}"));
        }
        RetryPolicy policy =
                new RetryPolicy(
                        3, Duration.ofSeconds(20), Duration.ofMillis(10), Duration.ofMillis(10));

        assertThatThrownBy(() -> client(policy).sendBatch(List.of(event("a"), event("b"))).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        NotiflowException.class, e -> assertThat(e.status()).isEqualTo(503));
        assertThat(seen).hasSize(3);
        assertThat(seen.stream().map(Seen::key).distinct().toList())
                .as("one idempotency key for every attempt of the batch")
                .hasSize(1)
                .doesNotContainNull();
    }

    @Test
    void shouldNotStartAWaitThatEndsPastTheTotalTime() {
        script.add(new Answer(429, "3600", "{}"));
        script.add(new Answer(202, null, "{\"accepted\":[],\"rejected\":[]}"));
        RetryPolicy policy =
                new RetryPolicy(
                        5, Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofSeconds(1));

        long start = System.nanoTime();
        assertThatThrownBy(() -> client(policy).send(event("e2")).join())
                .cause()
                .isInstanceOfSatisfying(
                        NotiflowException.class, e -> assertThat(e.status()).isEqualTo(429));
        assertThat(seen).hasSize(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldNotRetryOtherAnswers() {
        script.add(new Answer(422, null, "{\"error\":\"idempotency key reused\"}"));
        script.add(new Answer(202, null, "{}"));

        assertThatThrownBy(() -> client(RetryPolicy.DEFAULT).deleteUser("u 1").join())
                .cause()
                .isInstanceOfSatisfying(
                        NotiflowException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(422);
                            assertThat(e.body()).contains("idempotency key reused");
                        });
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).method()).isEqualTo("DELETE");
        assertThat(seen.get(0).path()).isEqualTo("/v1/users/u%201");
    }

    @Test
    void shouldReadPerItemAnswersOfABatch() {
        script.add(
                new Answer(
                        202,
                        null,
                        "{\"accepted\":[{\"index\":1,\"eventId\":\"b\"}],"
                                + "\"rejected\":[{\"index\":0,\"reason\":\"INVALID_FIELD\",\"detail\":\"x\"}]}"));

        SendResult r = client(RetryPolicy.NONE).sendBatch(List.of(event("a"), event("b"))).join();

        assertThat(r.items())
                .containsExactly(
                        new SendResult.Item(0, "a", false, "INVALID_FIELD", "x"),
                        new SendResult.Item(1, "b", true, null, null));
    }
}
