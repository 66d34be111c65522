package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps {@code scripts/bench.sh --scenario live} working: a small run (200 connections, a short
 * lifetime) against a real push server in its own JVM must write the report and charts, and its
 * figures must agree: every client connected and registered, got the one message once, and
 * reconnected after its goaway; percentiles in order. It asserts counts and consistency, never a
 * speed.
 */
class BenchmarkLiveITCase {

    private static final int CONNECTIONS = 200;
    private static final int LIFETIME = 6;
    private static final int DITHER = 3;

    @TempDir Path out;

    @Test
    void shouldPushToEveryClientOnceAndCountEveryReconnect() throws Exception {
        BenchmarkLive.run(
                new String[] {
                    "--connections", Integer.toString(CONNECTIONS),
                    "--sse-share", "0.1",
                    "--lifetime", Integer.toString(LIFETIME),
                    "--dither", Integer.toString(DITHER),
                    "--warm-up", "20",
                    "--server-heap", "256m",
                    "--out", out.toString()
                });

        for (String file : List.of("report.json", "report.md", "latency.png", "reconnects.png")) {
            assertThat(out.resolve(file)).as(file).isNotEmptyFile();
        }
        byte[] png = Files.readAllBytes(out.resolve("reconnects.png"));
        assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
        JsonNode r = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(r.path("problems")).as(r.path("problems").toString()).isEmpty();
        assertThat(r.path("ok").asBoolean()).isTrue();

        assertThat(r.at("/connect/connected").asInt()).isEqualTo(CONNECTIONS);
        assertThat(r.at("/connect/failed").asInt()).isZero();
        assertThat(r.at("/connect/sse").asInt()).isEqualTo(CONNECTIONS / 10);
        assertThat(r.at("/connect/websocket").asInt()).isEqualTo(CONNECTIONS - CONNECTIONS / 10);
        assertThat(sum(r.at("/connect/perSecondSeries"))).isEqualTo(CONNECTIONS);
        assertThat(r.at("/registry/usersWithAConnection").asInt()).isEqualTo(CONNECTIONS);
        assertThat(r.at("/registry/members").asInt()).isEqualTo(CONNECTIONS);
        assertThat(r.at("/registry/serverOpenConnections").asInt()).isEqualTo(CONNECTIONS);

        JsonNode push = r.path("push");
        assertThat(push.path("sent").asInt()).isEqualTo(CONNECTIONS);
        assertThat(push.path("received").asInt()).isEqualTo(CONNECTIONS);
        assertThat(push.path("missing").asInt()).isZero();
        assertThat(push.path("duplicates").asInt()).isZero();
        assertThat(push.path("unexpected").asInt()).isZero();
        assertThat(push.at("/statuses/ACCEPTED").asInt()).isEqualTo(CONNECTIONS);
        JsonNode toClient = push.path("sendToClientMs");
        JsonNode toAnswer = push.path("sendToAckAnswerMs");
        for (JsonNode l : List.of(toClient, toAnswer)) {
            assertThat(l.path("count").asInt()).isEqualTo(CONNECTIONS);
            assertThat(l.path("p50").asDouble()).isPositive();
            assertThat(l.path("p95").asDouble()).isGreaterThanOrEqualTo(l.path("p50").asDouble());
            assertThat(l.path("p99").asDouble()).isGreaterThanOrEqualTo(l.path("p95").asDouble());
            assertThat(l.path("max").asDouble()).isGreaterThanOrEqualTo(l.path("p99").asDouble());
            assertThat(l.path("percentiles")).hasSize(100);
        }
        // Each answer follows its client's receipt (the ack), so every order statistic does too.
        for (String p : List.of("p50", "p95", "p99", "max")) {
            assertThat(toAnswer.path(p).asDouble())
                    .as(p)
                    .isGreaterThanOrEqualTo(toClient.path(p).asDouble());
        }

        assertThat(r.at("/registryAfterDeploy/usersWithAConnection").asInt())
                .isEqualTo(CONNECTIONS);
        assertThat(r.at("/registryAfterDeploy/members").asInt()).isEqualTo(CONNECTIONS);
        for (String wave : List.of("drain", "lifetime")) {
            JsonNode w = r.path("reconnect").path(wave);
            assertThat(w.path("goaways").asInt()).as(wave).isEqualTo(CONNECTIONS);
            assertThat(w.path("reconnects").asInt()).as(wave).isEqualTo(CONNECTIONS);
            assertThat(sum(w.path("perSecondSeries"))).as(wave).isEqualTo(CONNECTIONS);
            assertThat(w.path("peakPerSecond").asInt()).as(wave).isBetween(1, CONNECTIONS);
            assertThat(w.at("/goawayToReconnectMs/count").asInt()).isEqualTo(CONNECTIONS);
        }
        // On the successor a connection lives at least the lifetime less the dither.
        assertThat(r.at("/reconnect/lifetime/firstSecond").asInt())
                .isGreaterThanOrEqualTo(LIFETIME - DITHER);
        assertThat(r.at("/reconnect/lifetime/serverGoaways/total").asInt())
                .isGreaterThanOrEqualTo(CONNECTIONS);
        assertThat(sum(r.at("/reconnect/lifetime/serverGoaways/perSecondSeries")))
                .isEqualTo(r.at("/reconnect/lifetime/serverGoaways/total").asInt());
        assertThat(Files.readAllLines(out.resolve("clients.csv"))).hasSize(CONNECTIONS + 1);
        assertThat(r.at("/successorMetrics/notiflow_live_goaways_total").asInt())
                .isGreaterThanOrEqualTo(CONNECTIONS);
        assertThat(r.at("/successorMetrics/notiflow_live_forced_closes_total").asInt()).isZero();

        for (String side : List.of("server", "client")) {
            JsonNode m = r.at("/memory/" + side);
            assertThat(m.at("/beforeConnections/heapUsedBytes").asLong()).as(side).isPositive();
            assertThat(m.at("/withConnections/rssBytes").asLong()).as(side).isPositive();
            assertThat(m.at("/perConnection").has("heapBytes")).as(side).isTrue();
        }
        assertThat(Files.readString(out.resolve("report.md")))
                .contains("All checks passed")
                .contains("memory per connection");
    }

    private static int sum(JsonNode series) {
        int s = 0;
        for (JsonNode v : series) {
            s += v.asInt();
        }
        return s;
    }
}
