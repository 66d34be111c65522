package dev.notiflow.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Reads the job's configuration: a YAML file ({@code --config FILE}; nested keys are joined with
 * dots) and then {@code --key value} overrides. Flink's own keys (checkpointing, state backend) may
 * appear too and reach the execution environment.
 *
 * <pre>{@code
 * Configuration config = JobConfig.load(new String[] {"--config", "job.yaml", "--profile.wait", "10 s"});
 * }</pre>
 */
public final class JobConfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private JobConfig() {}

    public static Configuration load(String[] args) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            checkArgument(arg.startsWith("--"), "unexpected argument '%s': use --key value", arg);
            checkArgument(i + 1 < args.length, "argument %s has no value", arg);
            String key = arg.substring(2);
            String value = args[++i];
            if (key.equals("config")) {
                values.putAll(readYaml(Path.of(value)));
            } else {
                overrides.put(key, value);
            }
        }
        values.putAll(overrides);
        return Configuration.fromMap(values);
    }

    /** Flattens a YAML file to dotted keys with string values. */
    public static Map<String, String> readYaml(Path file) throws IOException {
        checkArgument(Files.isRegularFile(file), "config file %s does not exist", file);
        JsonNode root = YAML.readTree(file.toFile());
        Map<String, String> out = new LinkedHashMap<>();
        if (root != null && !root.isNull()) {
            checkArgument(root.isObject(), "config file %s must hold a YAML mapping", file);
            flatten("", root, out);
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            node.fields()
                    .forEachRemaining(
                            e ->
                                    flatten(
                                            prefix.isEmpty()
                                                    ? e.getKey()
                                                    : prefix + "." + e.getKey(),
                                            e.getValue(),
                                            out));
        } else if (node.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode item : node) {
                b.append(b.length() == 0 ? "" : ";").append(item.asText());
            }
            out.put(prefix, b.toString());
        } else if (!node.isNull()) {
            out.put(prefix, node.asText());
        }
    }

    /** The value of a required option, or an error naming its key. */
    public static <T> T required(Configuration config, ConfigOption<T> option) {
        T value = config.get(option);
        checkArgument(
                value != null && !(value instanceof String && ((String) value).isBlank()),
                "%s is required (%s)",
                option.key(),
                option.description());
        return value;
    }
}
