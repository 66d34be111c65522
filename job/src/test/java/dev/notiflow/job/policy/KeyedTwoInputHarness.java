package dev.notiflow.job.policy;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * A keyed two-input harness on a given environment (Flink's {@code
 * KeyedTwoInputStreamOperatorTestHarness} builds its own), so that {@code OperatorMetrics} can read
 * back the operator's counters. It keys both inputs as the keyed harness does.
 */
final class KeyedTwoInputHarness<K, IN1, IN2, OUT> extends AbstractStreamOperatorTestHarness<OUT> {

    private final TwoInputStreamOperator<IN1, IN2, OUT> operator;

    KeyedTwoInputHarness(
            TwoInputStreamOperator<IN1, IN2, OUT> operator,
            KeySelector<IN1, K> key1,
            KeySelector<IN2, K> key2,
            TypeInformation<K> keyType,
            MockEnvironment environment)
            throws Exception {
        super(operator, environment);
        this.operator = operator;
        config.setStatePartitioner(0, key1);
        config.setStatePartitioner(1, key2);
        config.setStateKeySerializer(
                keyType.createSerializer(executionConfig.getSerializerConfig()));
        config.serializeAllConfigs();
    }

    void processElement1(IN1 value, long timestamp) throws Exception {
        StreamRecord<IN1> record = new StreamRecord<>(value, timestamp);
        operator.setKeyContextElement1(record);
        operator.processElement1(record);
    }

    void processElement2(IN2 value, long timestamp) throws Exception {
        StreamRecord<IN2> record = new StreamRecord<>(value, timestamp);
        operator.setKeyContextElement2(record);
        operator.processElement2(record);
    }
}
