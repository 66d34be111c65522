package dev.notiflow.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks flink-conf/k8s/gateway.yaml: its ConfigMap holds only known gateway keys with valid
 * values, the files it names are where the Deployment mounts its Secrets, the probes and the
 * Service reach the configured port, and the keys Secret parses.
 */
class GatewayManifestTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static List<JsonNode> docs;

    @TempDir Path temp;

    @BeforeAll
    static void parse() throws IOException {
        Path file = Path.of("..", "flink-conf", "k8s", "gateway.yaml");
        docs = new ArrayList<>();
        try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(file.toFile())) {
            YAML.readValues(p, JsonNode.class).forEachRemaining(docs::add);
        }
    }

    static JsonNode kind(String kind) {
        return docs.stream()
                .filter(d -> d.path("kind").asText().equals(kind))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void configMapHoldsValidGatewayKeysAndTheDeploymentMountsWhatTheyName() throws Exception {
        JsonNode deployment = kind("Deployment");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.subList(0, 2).get(0)).isEqualTo("--config");
        assertThat(args).containsSubsequence("--gateway.instance-id", "$(POD_NAME)");

        Path yaml = temp.resolve("gateway.yaml");
        Files.writeString(yaml, kind("ConfigMap").path("data").path("gateway.yaml").asText());
        List<String> cli = new ArrayList<>(List.of("--config", yaml.toString()));
        cli.addAll(args.subList(2, args.size()));
        Map<String, String> config = GatewayConfig.load(cli.toArray(String[]::new));

        String configPath = args.get(1);
        assertThat(mountedFile(pod, container, configPath))
                .isEqualTo("configMap:notiflow-gateway-config:gateway.yaml");
        String keysFile = GatewayOptions.API_KEYS_FILE.required(config);
        assertThat(mountedFile(pod, container, keysFile))
                .isEqualTo("secret:notiflow-gateway-keys:api-keys");
        assertThat(mountedFile(pod, container, GatewayOptions.JDBC_PASSWORD_FILE.required(config)))
                .isEqualTo("secret:notiflow-jdbc:password");

        JsonNode keys = kind("Secret");
        assertThat(keys.path("metadata").path("name").asText()).isEqualTo("notiflow-gateway-keys");
        assertThat(
                        ApiKeys.parse(keys.path("stringData").path("api-keys").asText(), "secret")
                                .find("REPLACE-ME"))
                .isNotNull();

        int port = GatewayOptions.PORT.get(config);
        JsonNode ports = container.path("ports").get(0);
        assertThat(ports.path("containerPort").asInt()).isEqualTo(port);
        String portName = ports.path("name").asText();
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/healthz");
        assertThat(container.path("livenessProbe").path("httpGet").path("port").asText())
                .isEqualTo(portName);
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/readyz");
        assertThat(container.path("readinessProbe").path("httpGet").path("port").asText())
                .isEqualTo(portName);
        JsonNode service = kind("Service");
        assertThat(service.path("spec").path("ports").get(0).path("targetPort").asText())
                .isEqualTo(portName);
        assertThat(service.path("spec").path("selector"))
                .isEqualTo(deployment.path("spec").path("selector").path("matchLabels"));
    }

    @Test
    void anUnknownOrBadKeyIsNamedAtStart() throws Exception {
        Path yaml = temp.resolve("bad.yaml");
        Files.writeString(
                yaml,
                "kafka.bootstrap-servers: k:9092\njdbc.url: jdbc:postgresql://x/y\ngateway:\n  rate-limit: lots\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> GatewayConfig.load(new String[] {"--config", yaml.toString()}))
                .hasMessageStartingWith("gateway.rate-limit:");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () ->
                                GatewayConfig.load(
                                        new String[] {
                                            "--config",
                                            yaml.toString(),
                                            "--gateway.rate-limit",
                                            "5/s",
                                            "--gateway.max-bach",
                                            "3"
                                        }))
                .hasMessageStartingWith("gateway.max-bach: unknown");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> GatewayConfig.load(new String[] {"--gateway.rate-limit", "5/s"}))
                .hasMessageStartingWith("kafka.bootstrap-servers is required");
    }

    /** What the container sees at {@code path}: "kind:name:key" of the volume mounted above it. */
    private static String mountedFile(JsonNode pod, JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            String dir = m.path("mountPath").asText();
            if (path.startsWith(dir + "/")) {
                String key = path.substring(dir.length() + 1);
                for (JsonNode v : pod.path("volumes")) {
                    if (v.path("name").asText().equals(m.path("name").asText())) {
                        if (v.has("configMap")) {
                            return "configMap:"
                                    + v.path("configMap").path("name").asText()
                                    + ":"
                                    + key;
                        }
                        return "secret:" + v.path("secret").path("secretName").asText() + ":" + key;
                    }
                }
            }
        }
        return "not mounted";
    }
}
