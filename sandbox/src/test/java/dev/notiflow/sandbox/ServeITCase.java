package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scripts/run-local.sh --serve}: the whole stack behind the gateway. An event POSTed over
 * HTTP is sent by the job and its status, written by the delivery tables job, reads SENT through
 * {@code GET /v1/events/{id}}.
 */
class ServeITCase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anEventPostedOverHttpIsSentAndItsStatusReadsSent() throws Exception {
        try (ServeRun run = ServeRun.start(0, Map.of())) {
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

            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            JsonNode status = null;
            while (System.nanoTime() < deadline) {
                HttpResponse<String> r = call(run, "GET", "/v1/events/serve-1", null);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                status = JSON.readTree(r.body());
                if (status.get("notifications").size() > 0) {
                    break;
                }
                Thread.sleep(500);
            }
            assertThat(status.get("notifications")).as(status.toString()).hasSize(1);
            JsonNode n = status.get("notifications").get(0);
            assertThat(n.get("channel").asText()).isEqualTo("email");
            assertThat(n.get("provider").asText()).isEqualTo("smtp");
            assertThat(n.get("status").asText()).as(n.toString()).isEqualTo("SENT");
            assertThat(n.get("attempts").asInt()).isEqualTo(1);
        }
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
