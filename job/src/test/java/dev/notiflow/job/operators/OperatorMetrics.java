package dev.notiflow.job.operators;

import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

import java.util.Map;

/**
 * A harness environment whose operator metrics a test can read back: Flink's intercepting metric
 * groups keep every metric an operator registers. Close it after the harness.
 */
final class OperatorMetrics implements AutoCloseable {

    private final InterceptingOperatorMetricGroup operatorGroup =
            new InterceptingOperatorMetricGroup();

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
    MockEnvironment environment() {
        return environment;
    }

    /** The count of a counter the operator registered; fails when it registered none. */
    long count(String name) {
        Object metric = operatorGroup.get(name);
        if (!(metric instanceof Counter)) {
            throw new AssertionError("no counter " + name + " registered, found " + metric);
        }
        return ((Counter) metric).getCount();
    }

    @Override
    public void close() throws Exception {
        environment.close();
    }
}
