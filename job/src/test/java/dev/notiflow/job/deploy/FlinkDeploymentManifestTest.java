package dev.notiflow.job.deploy;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobConfig;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.model.Provider;
import dev.notiflow.sinks.apns.ApnsOptions;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.sinks.live.LiveOptions;
import dev.notiflow.sinks.sms.SmsOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Parses the Kubernetes manifests in flink-conf/k8s (the Flink Kubernetes Operator's
 * FlinkDeployment with its job ConfigMap, and the example Secrets) and checks what upgrades,
 * secrets and autoscaling rely on.
 */
class FlinkDeploymentManifestTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern FLINK_VERSION = Pattern.compile("v(\\d+)_(\\d+)");

    private static List<JsonNode> manifests;
    private static List<JsonNode> secrets;
    private static JsonNode deployment;
    private static JsonNode spec;
    private static Map<String, String> flinkConfiguration;

    @TempDir Path temp;

    @BeforeAll
    static void parse() throws IOException {
        manifests = readAll(DeployFiles.file("k8s/flinkdeployment.yaml"));
        secrets = readAll(DeployFiles.file("k8s/secrets.example.yaml"));
        deployment = only(manifests, "FlinkDeployment");
        spec = deployment.path("spec");
        flinkConfiguration = new LinkedHashMap<>();
        spec.path("flinkConfiguration")
                .fields()
                .forEachRemaining(e -> flinkConfiguration.put(e.getKey(), e.getValue().asText()));
    }

    @Test
    void shouldDeclareAFlinkDeploymentForFlink2() {
        assertThat(deployment.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
        Matcher version = FLINK_VERSION.matcher(spec.path("flinkVersion").asText());
        assertThat(version.matches()).as("flinkVersion %s", spec.path("flinkVersion")).isTrue();
        assertThat(Integer.parseInt(version.group(1))).isGreaterThanOrEqualTo(2);
        assertThat(spec.path("image").asText()).isNotBlank();
    }

    @Test
    void shouldRunTheShadedJarAndUpgradeThroughSavepoints() {
        JsonNode job = spec.path("job");
        assertThat(job.path("jarURI").asText())
                .isEqualTo("local:///opt/flink/usrlib/notiflow-job.jar");
        assertThat(job.path("entryClass").asText()).isEqualTo("dev.notiflow.job.NotificationJob");
        assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(job.path("allowNonRestoredState").asBoolean(true)).isFalse();
        assertThat(flinkConfiguration)
                .containsKey("execution.checkpointing.savepoint-dir")
                .containsKey("execution.checkpointing.dir");
    }

    @Test
    void shouldKeepStateCompatibleAcrossUpgrades() {
        Configuration config = Configuration.fromMap(flinkConfiguration);

        assertThat(config.get(PipelineOptions.AUTO_GENERATE_UIDS)).isFalse();
        assertThat(config.get(PipelineOptions.GENERIC_TYPES)).isFalse();
        assertThat(config.get(PipelineOptions.MAX_PARALLELISM))
                .isEqualTo(JobOptions.MAX_PARALLELISM.defaultValue());
        assertThat(config.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(config.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(config.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isNotBlank();
    }

    @Test
    void shouldUseOnlyCurrentFlinkKeys() {
        assertThat(
                        FlinkOptionKeys.unknown(
                                flinkConfiguration.keySet(),
                                List.of("kubernetes.operator.", "job.autoscaler.")))
                .isEmpty();
    }

    @Test
    void shouldEnableTheAutoscaler() {
        assertThat(flinkConfiguration)
                .containsEntry("job.autoscaler.enabled", "true")
                .containsKeys(
                        "job.autoscaler.metrics.window",
                        "job.autoscaler.utilization.target",
                        "job.autoscaler.stabilization.interval",
                        "job.autoscaler.catch-up.duration");
        double target =
                Double.parseDouble(flinkConfiguration.get("job.autoscaler.utilization.target"));
        assertThat(target).isBetween(0.3, 0.9);
    }

    @Test
    void shouldPassTheMountedJobConfigAsTheOnlyArgument() throws IOException {
        List<String> args = texts(spec.path("job").path("args"));
        assertThat(args).hasSize(2).first().isEqualTo("--config");
        String configPath = args.get(1);

        JsonNode mount = mountContaining(configPath).orElseThrow();
        JsonNode volume = volume(mount.path("name").asText());
        String configMapName = volume.path("configMap").path("name").asText();
        JsonNode configMap = only(manifests, "ConfigMap");
        assertThat(configMap.path("metadata").path("name").asText()).isEqualTo(configMapName);
        String fileName = Path.of(configPath).getFileName().toString();
        assertThat(configMap.path("data").has(fileName)).isTrue();
    }

    @Test
    void shouldHoldAJobConfigTheJobCanLoad() throws IOException {
        Path jobYaml = temp.resolve("job.yaml");
        Files.writeString(
                jobYaml, only(manifests, "ConfigMap").path("data").path("job.yaml").asText());

        assertThat(JobConfig.readYaml(jobYaml).keySet()).isSubsetOf(JobOptionKeys.known());
        Configuration config = JobConfig.load(new String[] {"--config", jobYaml.toString()});
        assertThat(config.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS)).isNotBlank();
        assertThat(config.get(JobOptions.MAX_PARALLELISM))
                .as("job.max-parallelism must equal pipeline.max-parallelism")
                .isEqualTo(Integer.parseInt(flinkConfiguration.get("pipeline.max-parallelism")));

        // The start-up validation, with FCM's credentials as the deployment mounts them.
        config.set(FcmOptions.CREDENTIALS_FILE, "/opt/notiflow/secrets/fcm/service-account.json");
        PipelineSettings.from(config);
        Gateways gateways = ProviderGateways.fromConfig(config);
        assertThat(gateways.enabledProviders()).containsExactlyInAnyOrder(Provider.values());
        assertThat(config.get(LedgerOptions.ENABLED)).as("the send ledger ships on").isTrue();
        assertThat(PipelineSettings.from(config).throttle().rules())
                .as("the shipped throttle rules are the default")
                .extracting(r -> r.text())
                .containsExactly("marketing:*<=3/1h", "marketing:*<=10/1d");
        assertThat(gateways.factory(Provider.SMTP)).isInstanceOf(LedgeredSenderFactory.class);
    }

    @Test
    void shouldReadProviderPasswordsFromSecretsAsEnvironmentVariables() {
        Map<String, JsonNode> env = new LinkedHashMap<>();
        mainContainer().path("env").forEach(e -> env.put(e.path("name").asText(), e));

        for (String name :
                List.of(
                        SmsOptions.AUTH_TOKEN_ENV.defaultValue(),
                        EmailOptions.SMTP_PASSWORD_ENV.defaultValue(),
                        LiveOptions.REDIS_PASSWORD_ENV.defaultValue())) {
            assertThat(env).containsKey(name);
            JsonNode ref = env.get(name).path("valueFrom").path("secretKeyRef");
            assertThat(ref.isMissingNode()).as("%s comes from a secretKeyRef", name).isFalse();
            assertThat(secretKeys(ref.path("name").asText()))
                    .as("Secret %s in secrets.example.yaml", ref.path("name").asText())
                    .contains(ref.path("key").asText());
        }
        assertThat(env.values())
                .as("no literal value for a password or token")
                .allSatisfy(
                        e -> {
                            if (e.path("name").asText().matches(".*(PASSWORD|TOKEN|SECRET).*")) {
                                assertThat(e.has("value")).isFalse();
                            }
                        });
    }

    @Test
    void shouldMountTheApnsKeyAndFcmServiceAccountFromSecrets() throws IOException {
        Path jobYaml = temp.resolve("job.yaml");
        Files.writeString(
                jobYaml, only(manifests, "ConfigMap").path("data").path("job.yaml").asText());
        Configuration config = JobConfig.load(new String[] {"--config", jobYaml.toString()});

        assertMountedFromSecret(config.get(ApnsOptions.SIGNING_KEY_FILE), "notiflow-apns");

        String credentialsEnv = config.get(FcmOptions.CREDENTIALS_ENV);
        String credentials =
                StreamSupport.stream(mainContainer().path("env").spliterator(), false)
                        .filter(e -> e.path("name").asText().equals(credentialsEnv))
                        .map(e -> e.path("value").asText())
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no env " + credentialsEnv));
        assertMountedFromSecret(credentials, "notiflow-fcm");
    }

    @Test
    void shouldMaskPersonalDataInTheOperatorLogConfiguration() throws IOException {
        String operatorLog4j =
                spec.path("logConfiguration").path("log4j-console.properties").asText();
        List<String> masks =
                Files.readAllLines(DeployFiles.file("log4j-console.properties")).stream()
                        .filter(
                                l ->
                                        l.startsWith("property.mask")
                                                || l.startsWith("property.pattern"))
                        .collect(Collectors.toList());

        assertThat(masks).hasSize(6);
        assertThat(operatorLog4j.lines().map(String::strip)).containsAll(masks);
        assertThat(operatorLog4j).contains("appender.console.layout.pattern = ${pattern}");
    }

    /**
     * The delivery tables job runs beside the sending job: same image, jar, ConfigMap and
     * arguments, its own entry class, checkpoints and HA storage, and the JDBC password from the
     * Secret the job configuration names.
     */
    @Test
    void shouldDeployTheDeliveryTablesJobBesideTheSendingJob() throws IOException {
        JsonNode tables =
                only(readAll(DeployFiles.file("k8s/delivery-tables.yaml")), "FlinkDeployment");
        JsonNode tablesSpec = tables.path("spec");
        JsonNode job = tablesSpec.path("job");
        assertThat(job.path("entryClass").asText()).isEqualTo("dev.notiflow.job.DeliveryTablesJob");
        assertThat(job.path("jarURI").asText()).isEqualTo(spec.path("job").path("jarURI").asText());
        assertThat(job.path("args")).isEqualTo(spec.path("job").path("args"));
        assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(job.path("allowNonRestoredState").asBoolean(true)).isFalse();
        assertThat(tablesSpec.path("image").asText()).isEqualTo(spec.path("image").asText());
        assertThat(tables.path("metadata").path("name").asText())
                .isNotEqualTo(deployment.path("metadata").path("name").asText());

        Map<String, String> conf = new LinkedHashMap<>();
        tablesSpec
                .path("flinkConfiguration")
                .fields()
                .forEachRemaining(e -> conf.put(e.getKey(), e.getValue().asText()));
        for (String own :
                List.of(
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "high-availability.storageDir")) {
            assertThat(conf.get(own))
                    .as(own)
                    .isNotBlank()
                    .isNotEqualTo(flinkConfiguration.get(own));
        }
        assertThat(conf)
                .containsEntry("pipeline.auto-generate-uids", "false")
                .containsEntry(
                        "pipeline.max-parallelism",
                        flinkConfiguration.get("pipeline.max-parallelism"));
        assertThat(FlinkOptionKeys.unknown(conf.keySet(), List.of("kubernetes.operator.")))
                .isEmpty();

        JsonNode container = tablesSpec.path("podTemplate").path("spec").path("containers").get(0);
        String configPath = texts(job.path("args")).get(1);
        JsonNode mount = null;
        for (JsonNode m : container.path("volumeMounts")) {
            if (Path.of(configPath).startsWith(Path.of(m.path("mountPath").asText()))) {
                mount = m;
            }
        }
        assertThat(mount).as("a mount holding %s", configPath).isNotNull();
        String configMap = null;
        for (JsonNode v : tablesSpec.path("podTemplate").path("spec").path("volumes")) {
            if (v.path("name").asText().equals(mount.path("name").asText())) {
                configMap = v.path("configMap").path("name").asText();
            }
        }
        assertThat(configMap)
                .isEqualTo(only(manifests, "ConfigMap").path("metadata").path("name").asText());

        Path jobYaml = temp.resolve("job.yaml");
        Files.writeString(
                jobYaml, only(manifests, "ConfigMap").path("data").path("job.yaml").asText());
        Configuration config = JobConfig.load(new String[] {"--config", jobYaml.toString()});
        assertThat(JdbcOptions.enabled(config)).as("jdbc.url in the job ConfigMap").isTrue();
        String passwordEnv = config.get(JdbcOptions.PASSWORD_ENV);
        JsonNode ref = null;
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(passwordEnv)) {
                ref = e.path("valueFrom").path("secretKeyRef");
            }
        }
        assertThat(ref).as("env %s from a secretKeyRef", passwordEnv).isNotNull();
        assertThat(secretKeys(ref.path("name").asText())).contains(ref.path("key").asText());
    }

    private void assertMountedFromSecret(String file, String secretName) {
        JsonNode mount =
                mountContaining(file).orElseThrow(() -> new AssertionError("no mount for " + file));
        JsonNode volume = volume(mount.path("name").asText());
        assertThat(volume.path("secret").path("secretName").asText()).isEqualTo(secretName);
        String relative =
                Path.of(mount.path("mountPath").asText()).relativize(Path.of(file)).toString();
        List<String> items = new ArrayList<>();
        volume.path("secret").path("items").forEach(i -> items.add(i.path("path").asText()));
        assertThat(items).contains(relative);
        String key =
                StreamSupport.stream(volume.path("secret").path("items").spliterator(), false)
                        .filter(i -> i.path("path").asText().equals(relative))
                        .map(i -> i.path("key").asText())
                        .findFirst()
                        .orElseThrow();
        assertThat(secretKeys(secretName)).contains(key);
    }

    private static JsonNode mainContainer() {
        for (JsonNode c : spec.path("podTemplate").path("spec").path("containers")) {
            if (c.path("name").asText().equals("flink-main-container")) {
                return c;
            }
        }
        throw new AssertionError("podTemplate has no flink-main-container");
    }

    private static Optional<JsonNode> mountContaining(String file) {
        for (JsonNode m : mainContainer().path("volumeMounts")) {
            if (Path.of(file).startsWith(Path.of(m.path("mountPath").asText()))) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    private static JsonNode volume(String name) {
        for (JsonNode v : spec.path("podTemplate").path("spec").path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no volume " + name);
    }

    private static List<String> secretKeys(String secretName) {
        for (JsonNode s : secrets) {
            if (s.path("kind").asText().equals("Secret")
                    && s.path("metadata").path("name").asText().equals(secretName)) {
                List<String> keys = new ArrayList<>();
                s.path("stringData").fieldNames().forEachRemaining(keys::add);
                s.path("data").fieldNames().forEachRemaining(keys::add);
                return keys;
            }
        }
        throw new AssertionError("no Secret " + secretName + " in secrets.example.yaml");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode only(List<JsonNode> docs, String kind) {
        List<JsonNode> found =
                docs.stream()
                        .filter(d -> d.path("kind").asText().equals(kind))
                        .collect(Collectors.toList());
        assertThat(found).as("documents of kind %s", kind).hasSize(1);
        return found.get(0);
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
