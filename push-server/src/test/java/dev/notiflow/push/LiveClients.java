package dev.notiflow.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Real clients of the push server: the JDK's WebSocket and an SSE reader over its HttpClient. */
final class LiveClients {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The job's side: a client of its own, as the job's sender is not the browsers' client. */
    static final HttpClient JOB =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_2)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();

    private LiveClients() {}

    /** A WebSocket client; received text frames parsed as JSON. */
    static final class Ws implements WebSocket.Listener {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket socket;
        private final StringBuilder partial = new StringBuilder();

        static Ws connect(int port, String query) throws Exception {
            Ws ws = new Ws();
            ws.socket =
                    HTTP.newWebSocketBuilder()
                            .buildAsync(
                                    URI.create("ws://127.0.0.1:" + port + "/v1/live/ws" + query),
                                    ws)
                            .get(5, TimeUnit.SECONDS);
            return ws;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }

        JsonNode next(long millis) throws InterruptedException {
            return messages.poll(millis, TimeUnit.MILLISECONDS);
        }

        void ack(String notificationId) {
            socket.sendText("{\"notificationId\":\"" + notificationId + "\"}", true).join();
        }
    }

    /** One SSE event. */
    record Event(String id, String event, JsonNode data) {}

    /** An SSE client reading the stream on its own thread. */
    static final class Sse implements AutoCloseable {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final int status;
        private final InputStream body;
        private final Thread reader;

        private Sse(HttpResponse<InputStream> response) {
            status = response.statusCode();
            body = response.body();
            reader = new Thread(this::read, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static Sse connect(int port, String token, String lastEventId) throws Exception {
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/live/sse"))
                            .header("Accept", "text/event-stream")
                            .GET();
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            return new Sse(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
        }

        private void read() {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String id = null;
                String event = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            events.add(new Event(id, event, JSON.readTree(data.toString())));
                        }
                        id = null;
                        event = null;
                        data.setLength(0);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (Exception e) {
                // closed
            }
        }

        Event next(long millis) throws InterruptedException {
            return events.poll(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() throws Exception {
            body.close();
            reader.interrupt();
        }
    }

    /**
     * The status of a GET, without reading the body: an accepted SSE request never ends, so a test
     * that wrongly gets one in fails on the status instead of waiting for the stream.
     */
    static int status(String url, String token) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> r =
                HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        r.body().close();
        return r.statusCode();
    }

    /** GET or POST with an optional bearer token; returns status and body. */
    static HttpResponse<String> request(String method, String url, String token, String body)
            throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A delivery as the job's sender posts it. */
    static CompletableFuture<HttpResponse<String>> deliver(
            int internalPort, String userId, String notificationId, String title) {
        return deliver(JOB, internalPort, userId, notificationId, title);
    }

    /** A delivery posted by {@code client} (its protocol version). */
    static CompletableFuture<HttpResponse<String>> deliver(
            HttpClient client,
            int internalPort,
            String userId,
            String notificationId,
            String title) {
        String body =
                "{\"userId\":\""
                        + userId
                        + "\",\"message\":{\"notificationId\":\""
                        + notificationId
                        + "\",\"eventId\":\"e-"
                        + notificationId
                        + "\",\"title\":\""
                        + title
                        + "\",\"body\":\"b\",\"data\":{\"k\":\"v\"}}}";
        HttpRequest r =
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:"
                                                + internalPort
                                                + "/internal/v1/deliver"))
                        .timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        return client.sendAsync(r, HttpResponse.BodyHandlers.ofString());
    }
}
