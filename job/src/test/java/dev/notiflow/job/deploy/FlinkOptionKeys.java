package dev.notiflow.job.deploy;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The current (not deprecated) keys of the Flink options our configuration files use, to catch
 * typos and keys that Flink 2 renamed: such a key is silently ignored by Flink.
 */
final class FlinkOptionKeys {

    private static final List<Class<?>> OPTION_CLASSES =
            List.of(
                    CoreOptions.class,
                    JobManagerOptions.class,
                    TaskManagerOptions.class,
                    StateBackendOptions.class,
                    CheckpointingOptions.class,
                    RestartStrategyOptions.class,
                    PipelineOptions.class,
                    RestOptions.class,
                    WebOptions.class,
                    MetricOptions.class,
                    HighAvailabilityOptions.class,
                    RocksDBOptions.class);

    /** Keys whose suffix is user-defined, such as a metrics reporter's name. */
    private static final List<String> DYNAMIC_PREFIXES = List.of("metrics.reporter.");

    private FlinkOptionKeys() {}

    static Set<String> known() {
        Set<String> keys = new HashSet<>();
        for (Class<?> options : OPTION_CLASSES) {
            keys.addAll(keysOf(options));
        }
        return keys;
    }

    /** Public static ConfigOption fields of a class, without deprecated ones. */
    static Set<String> keysOf(Class<?> options) {
        Set<String> keys = new HashSet<>();
        for (Field field : options.getFields()) {
            if (Modifier.isStatic(field.getModifiers())
                    && ConfigOption.class.isAssignableFrom(field.getType())
                    && !field.isAnnotationPresent(Deprecated.class)) {
                try {
                    keys.add(((ConfigOption<?>) field.get(null)).key());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return keys;
    }

    /** The keys in {@code keys} that are neither known nor under one of the allowed prefixes. */
    static Set<String> unknown(Set<String> keys, List<String> extraPrefixes) {
        Set<String> known = known();
        return keys.stream()
                .filter(k -> !known.contains(k))
                .filter(k -> DYNAMIC_PREFIXES.stream().noneMatch(k::startsWith))
                .filter(k -> extraPrefixes.stream().noneMatch(k::startsWith))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }
}
