package dev.notiflow.job.deploy;

import org.apache.flink.configuration.Configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.job.Lanes;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Checks flink-conf/k8s/lanes.yaml against flinkdeployment.yaml: the router and one deployment per
 * lane, from the same image, jar and job ConfigMap, each with state of its own, and the lanes' send
 * rates that the ConfigMap's quota gives at the manifests' parallelism.
 */
class LaneManifestsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode single;
    private static JsonNode configMap;
    private static Map<String, JsonNode> lanes;

    @TempDir Path temp;

    @BeforeAll
    static void parse() throws IOException {
        List<JsonNode> base = readAll(DeployFiles.file("k8s/flinkdeployment.yaml"));
        single = kind(base, "FlinkDeployment").get(0);
        configMap = kind(base, "ConfigMap").get(0);
        lanes = new TreeMap<>();
        for (JsonNode d : kind(readAll(DeployFiles.file("k8s/lanes.yaml")), "FlinkDeployment")) {
            lanes.put(d.path("metadata").path("name").asText(), d);
        }
    }

    @Test
    void shouldDeployTheRouterAndOneSendingJobPerLane() {
        assertThat(lanes.keySet())
                .containsExactlyInAnyOrder(
                        "notiflow-router", "notiflow-high", "notiflow-normal", "notiflow-low");
        assertThat(job("notiflow-router").path("entryClass").asText())
                .isEqualTo("dev.notiflow.job.LaneRouterJob");
        List<String> singleArgs = texts(single.path("spec").path("job").path("args"));
        assertThat(texts(job("notiflow-router").path("args"))).isEqualTo(singleArgs);
        for (Priority lane : Priority.values()) {
            JsonNode job = job("notiflow-" + lane.wireName());
            assertThat(job.path("entryClass").asText())
                    .isEqualTo("dev.notiflow.job.NotificationJob");
            List<String> expected = new ArrayList<>(singleArgs);
            expected.addAll(List.of("--lane", lane.wireName()));
            assertThat(texts(job.path("args"))).isEqualTo(expected);
        }
        for (JsonNode d : lanes.values()) {
            JsonNode spec = d.path("spec");
            assertThat(spec.path("image").asText())
                    .isEqualTo(single.path("spec").path("image").asText());
            assertThat(spec.path("job").path("jarURI").asText())
                    .isEqualTo(single.path("spec").path("job").path("jarURI").asText());
            assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
            assertThat(spec.path("job").path("allowNonRestoredState").asBoolean(true)).isFalse();
            assertThat(spec.path("podTemplate").path("spec").path("volumes").toString())
                    .contains(configMap.path("metadata").path("name").asText());
            assertThat(conf(d).get("pipeline.max-parallelism"))
                    .isEqualTo(conf(single).get("pipeline.max-parallelism"));
            assertThat(conf(d).get("pipeline.auto-generate-uids")).isEqualTo("false");
        }
    }

    @Test
    void shouldGiveEachDeploymentStateOfItsOwn() {
        for (String key :
                List.of(
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "high-availability.storageDir")) {
            Set<String> dirs = new HashSet<>();
            dirs.add(conf(single).get(key));
            for (JsonNode d : lanes.values()) {
                assertThat(dirs.add(conf(d).get(key)))
                        .as("%s of %s is its own", key, d.path("metadata").path("name").asText())
                        .isTrue();
            }
        }
    }

    /**
     * Loads the ConfigMap's job.yaml with each lane's arguments: each lane has its own group and
     * transactional ids, and at the manifests' parallelism the lanes' FCM rates add up to the
     * quota, the high lane's being its reserved share.
     */
    @Test
    void shouldShareTheProviderQuotaAtTheManifestsParallelism() throws IOException {
        Path jobYaml = temp.resolve("job.yaml");
        Files.writeString(jobYaml, configMap.path("data").path("job.yaml").asText());
        Set<String> groups = new HashSet<>();
        Set<String> prefixes = new HashSet<>();
        double total = 0;
        double high = 0;
        Configuration any = null;
        for (Priority lane : Priority.values()) {
            JsonNode job = job("notiflow-" + lane.wireName());
            List<String> args = texts(job.path("args"));
            args.set(args.indexOf("--config") + 1, jobYaml.toString());
            Configuration shared = JobConfig.load(args.toArray(String[]::new));
            any = shared;
            int parallelism = job.path("parallelism").asInt();
            Configuration c = Lanes.laneConfig(shared, parallelism);
            groups.add(c.get(JobOptions.KAFKA_GROUP_ID));
            prefixes.add(c.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX));
            double laneRate = c.get(JobOptions.sendRateLimit(Provider.FCM)) * parallelism;
            total += laneRate;
            if (lane == Priority.HIGH) {
                high = laneRate;
            }
        }
        assertThat(groups).hasSize(3);
        assertThat(prefixes).hasSize(3);
        assertThat(any.get(LaneOptions.quota(Provider.FCM))).isEqualTo("600000/min");
        assertThat(total).as("FCM sends per second, all lanes").isCloseTo(10_000, within(1e-6));
        assertThat(high)
                .as("the high lane's FCM sends per second")
                .isCloseTo(10_000 * any.get(LaneOptions.HIGH_RESERVED_SHARE), within(1e-6));
    }

    private static JsonNode job(String name) {
        return lanes.get(name).path("spec").path("job");
    }

    private static Map<String, String> conf(JsonNode deployment) {
        Map<String, String> conf = new TreeMap<>();
        deployment
                .path("spec")
                .path("flinkConfiguration")
                .fields()
                .forEachRemaining(e -> conf.put(e.getKey(), e.getValue().asText()));
        return conf;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<JsonNode> kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    private static List<JsonNode> readAll(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }
}
