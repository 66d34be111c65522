package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scripts/run-local.sh --serve}: the whole stack behind the gateway. An event POSTed over
 * HTTP is sent by the job and its status, written by the delivery tables job, reads SENT through
 * {@code GET /v1/events/{id}}; a live notification to a WebSocket client holding a token the
 * gateway minted is SENT once the client acks it.
 */
class ServeITCase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anEventPostedOverHttpIsSentAndItsStatusReadsSent() throws Exception {
        try (ServeRun run = ServeRun.start(0, 0, Map.of())) {
            assertThat(call(run, "GET", "/readyz", null).statusCode()).isEqualTo(200);
            HttpResponse<String> profile =
                    call(
                            run,
                            "PUT",
                            "/v1/users/serve-user/preferences",
                            "{\"email\":\"serve@example.com\"}");
            assertThat(profile.statusCode()).as(profile.body()).isEqualTo(202);
            HttpResponse<String> posted =
                    call(
                            run,
                            "POST",
                            "/v1/events",
                            "{\"eventId\":\"serve-1\",\"type\":\"account.welcome\","
                                    + "\"userIds\":[\"serve-user\"],\"channels\":[\"email\"],"
                                    + "\"data\":{\"name\":\"Serve\"}}");
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
            assertThat(JSON.readTree(posted.body()).get("accepted")).hasSize(1);

            JsonNode n = awaitNotification(run, "serve-1");
            assertThat(n.get("channel").asText()).isEqualTo("email");
            assertThat(n.get("provider").asText()).isEqualTo("smtp");
            assertThat(n.get("status").asText()).as(n.toString()).isEqualTo("SENT");
            assertThat(n.get("attempts").asInt()).isEqualTo(1);

            // The live channel: a token from the gateway, a WebSocket to the push server, a
            // notification that is SENT once the client acks it.
            HttpResponse<String> liveProfile =
                    call(
                            run,
                            "PUT",
                            "/v1/users/live-user/preferences",
                            "{\"channels\":{\"live\":true}}");
            assertThat(liveProfile.statusCode()).as(liveProfile.body()).isEqualTo(202);
            HttpResponse<String> minted = call(run, "POST", "/v1/users/live-user/live-token", null);
            assertThat(minted.statusCode()).as(minted.body()).isEqualTo(200);
            String token = JSON.readTree(minted.body()).get("token").asText();
            BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
            WebSocket socket =
                    http.newWebSocketBuilder()
                            .header("Authorization", "Bearer " + token)
                            .buildAsync(
                                    URI.create("ws://127.0.0.1:" + run.livePort() + "/v1/live/ws"),
                                    new WebSocket.Listener() {
                                        private final StringBuilder text = new StringBuilder();

                                        @Override
                                        public CompletionStage<?> onText(
                                                WebSocket ws, CharSequence data, boolean last) {
                                            text.append(data);
                                            if (last) {
                                                try {
                                                    messages.add(JSON.readTree(text.toString()));
                                                } catch (Exception e) {
                                                    throw new IllegalStateException(e);
                                                }
                                                text.setLength(0);
                                            }
                                            ws.request(1);
                                            return null;
                                        }
                                    })
                            .get(30, TimeUnit.SECONDS);
            try {
                HttpResponse<String> livePosted =
                        call(
                                run,
                                "POST",
                                "/v1/events",
                                "{\"eventId\":\"serve-live-1\",\"type\":\"chat.message\","
                                        + "\"userIds\":[\"live-user\"],\"channels\":[\"live\"],"
                                        + "\"data\":{\"title\":\"Hi\",\"body\":\"there\"}}");
                assertThat(livePosted.statusCode()).as(livePosted.body()).isEqualTo(202);
                JsonNode message = null;
                while (message == null || !message.has("notificationId")) {
                    message = messages.poll(2, TimeUnit.MINUTES);
                    assertThat(message).as("a live message").isNotNull();
                }
                assertThat(message.get("eventId").asText()).isEqualTo("serve-live-1");
                assertThat(message.get("title").asText()).isEqualTo("Hi");
                socket.sendText(
                                "{\"notificationId\":\""
                                        + message.get("notificationId").asText()
                                        + "\"}",
                                true)
                        .get(10, TimeUnit.SECONDS);
                JsonNode live = awaitNotification(run, "serve-live-1");
                assertThat(live.get("channel").asText()).isEqualTo("live");
                assertThat(live.get("provider").asText()).isEqualTo("live");
                assertThat(live.get("status").asText()).as(live.toString()).isEqualTo("SENT");
            } finally {
                socket.abort();
            }
        }
    }

    /** The one notification of an event once the delivery table has it. */
    private JsonNode awaitNotification(ServeRun run, String eventId) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        JsonNode status = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = call(run, "GET", "/v1/events/" + eventId, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            status = JSON.readTree(r.body());
            if (status.get("notifications").size() > 0) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(status.get("notifications")).as(status.toString()).hasSize(1);
        return status.get("notifications").get(0);
    }

    private HttpResponse<String> call(ServeRun run, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(run.url() + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + run.apiKey())
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
