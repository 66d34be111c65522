package dev.notiflow.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the gateway's configuration like the job's: a YAML file ({@code --config FILE}; nested keys
 * are joined with dots) and then {@code --key value} overrides, checked by {@link
 * GatewayOptions#validate}.
 */
public final class GatewayConfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private GatewayConfig() {}

    public static Map<String, String> load(String[] args) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException(
                        "unexpected argument '" + arg + "': use --key value");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("argument " + arg + " has no value");
            }
            String key = arg.substring(2);
            String value = args[++i];
            if (key.equals("config")) {
                values.putAll(readYaml(Path.of(value)));
            } else {
                overrides.put(key, value);
            }
        }
        values.putAll(overrides);
        GatewayOptions.validate(values);
        return values;
    }

    static Map<String, String> readYaml(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        }
        JsonNode root = YAML.readTree(file.toFile());
        Map<String, String> out = new LinkedHashMap<>();
        if (root != null && !root.isNull()) {
            if (!root.isObject()) {
                throw new IllegalArgumentException(
                        "config file " + file + " must hold a YAML mapping");
            }
            flatten("", root, out);
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            node.properties()
                    .forEach(
                            e ->
                                    flatten(
                                            prefix.isEmpty()
                                                    ? e.getKey()
                                                    : prefix + "." + e.getKey(),
                                            e.getValue(),
                                            out));
        } else if (!node.isNull()) {
            out.put(prefix, node.asText());
        }
    }
}
