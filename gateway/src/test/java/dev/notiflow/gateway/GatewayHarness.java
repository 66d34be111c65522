package dev.notiflow.gateway;

import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.postgres.PostgresExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starts a real gateway on a free port against the test's broker and database; HTTP helpers. */
final class GatewayHarness implements AutoCloseable {

    static final String SEND_KEY = "send-key-0123456789";
    static final String MANAGE_KEY = "manage-key-0123456789";
    static final String READ_KEY = "read-key-0123456789";
    static final String ALL_KEY = "all-key-0123456789";

    static final String TOPIC_EVENTS = "gw-events";
    static final String TOPIC_PREFERENCES = "gw-preferences";
    static final String TOPIC_DEVICES = "gw-devices";
    static final String TOPIC_TEMPLATES = "gw-templates";
    static final String TOPIC_ENGAGEMENT = "gw-engagement";

    static ApiKeys keys() {
        return ApiKeys.parse(
                String.join(
                        "\n",
                        ApiKeys.line(SEND_KEY, "send", "sender"),
                        ApiKeys.line(MANAGE_KEY, "manage", "manager"),
                        ApiKeys.line(READ_KEY, "read", "reader"),
                        ApiKeys.line(ALL_KEY, "send,manage,read", "all")),
                "test");
    }

    static void createTopics(KafkaExtension kafka) {
        kafka.kafka().createTopic(TOPIC_EVENTS, 2, false);
        kafka.kafka().createTopic(TOPIC_PREFERENCES, 1, true);
        kafka.kafka().createTopic(TOPIC_DEVICES, 1, true);
        kafka.kafka().createTopic(TOPIC_TEMPLATES, 1, true);
        kafka.kafka().createTopic(TOPIC_ENGAGEMENT, 1, false);
    }

    static Map<String, String> config(
            KafkaExtension kafka, PostgresExtension pg, Map<String, String> extra) {
        Map<String, String> c = new HashMap<>(pg.jdbcOptions());
        c.put("kafka.bootstrap-servers", kafka.bootstrapServers());
        c.put("gateway.port", "0");
        c.put("gateway.host", "127.0.0.1");
        c.put("gateway.instance-id", "it-" + System.nanoTime());
        c.put("gateway.rate-limit", "10000/s");
        c.put("topics.events", TOPIC_EVENTS);
        c.put("topics.preferences", TOPIC_PREFERENCES);
        c.put("topics.devices", TOPIC_DEVICES);
        c.put("topics.templates", TOPIC_TEMPLATES);
        c.put("topics.engagement", TOPIC_ENGAGEMENT);
        c.putAll(extra);
        return c;
    }

    final Gateway gateway;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    GatewayHarness(Map<String, String> config) throws Exception {
        gateway = new Gateway(config, keys()).start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port() + path);
    }

    HttpResponse<String> send(
            String method, String path, String key, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri(path))
                        .timeout(Duration.ofSeconds(30))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        gateway.close();
    }
}
