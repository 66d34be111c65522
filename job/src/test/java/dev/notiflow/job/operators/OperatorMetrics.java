package dev.notiflow.job.operators;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A harness environment whose operator metrics a test can read back: Flink's intercepting metric
 * groups keep every metric an operator registers. A metric in key/value groups is named by the
 * values and its name, e.g. {@code push.marketing.throttled} for {@code addGroup("channel",
 * "push").addGroup("category", "marketing").counter("throttled")}. Close it after the harness.
 */
public final class OperatorMetrics implements AutoCloseable {

    private final Map<String, Metric> grouped = new ConcurrentHashMap<>();

    private final InterceptingOperatorMetricGroup operatorGroup =
            new InterceptingOperatorMetricGroup() {
                @Override
                public MetricGroup addGroup(String key, String value) {
                    return new Subgroup(value + ".");
                }
            };

    private final MockEnvironment environment =
            new MockEnvironmentBuilder()
                    .setMetricGroup(
                            new InterceptingTaskMetricGroup() {
                                @Override
                                public InternalOperatorMetricGroup getOrAddOperator(
                                        OperatorID id,
                                        String name,
                                        Map<String, String> attributes) {
                                    return operatorGroup;
                                }
                            })
                    .build();

    /** The environment to build the harness with. */
    public MockEnvironment environment() {
        return environment;
    }

    /** The count of a counter the operator registered; fails when it registered none. */
    public long count(String name) {
        Object metric = name.contains(".") ? grouped.get(name) : operatorGroup.get(name);
        if (!(metric instanceof Counter)) {
            throw new AssertionError("no counter " + name + " registered, found " + metric);
        }
        return ((Counter) metric).getCount();
    }

    /** A key/value group that records its metrics under its path. */
    private final class Subgroup extends UnregisteredMetricsGroup {
        private final String path;

        Subgroup(String path) {
            this.path = path;
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return new Subgroup(path + value + ".");
        }

        @Override
        public Counter counter(String name) {
            return counter(name, new SimpleCounter());
        }

        @Override
        public <C extends Counter> C counter(String name, C counter) {
            grouped.put(path + name, counter);
            return counter;
        }
    }

    @Override
    public void close() throws Exception {
        environment.close();
    }
}
