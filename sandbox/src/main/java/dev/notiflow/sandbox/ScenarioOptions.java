package dev.notiflow.sandbox;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --key value} options of a benchmark scenario ({@code scripts/bench.sh --scenario NAME
 * ...}): only the keys given as defaults are known, {@code --scenario} itself is skipped, and
 * {@code out} defaults to {@code sandbox/target/bench/<name>-<UTC time>}.
 */
final class ScenarioOptions {

    private ScenarioOptions() {}

    static Map<String, String> parse(String name, Map<String, String> defaults, String[] args) {
        Map<String, String> opts = new LinkedHashMap<>(defaults);
        opts.put(
                "out",
                "sandbox/target/bench/"
                        + name
                        + "-"
                        + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                                .format(ZonedDateTime.now(ZoneOffset.UTC)));
        for (int i = 0; i < args.length; i++) {
            String key = args[i].replaceFirst("^--", "");
            if (key.equals("scenario")) {
                i++;
                continue;
            }
            if (!opts.containsKey(key) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown or incomplete option " + args[i]);
            }
            opts.put(key, args[++i]);
        }
        return opts;
    }
}
