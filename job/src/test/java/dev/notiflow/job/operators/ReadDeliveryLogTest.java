package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static dev.notiflow.job.operators.Fixtures.ONE_MINUTE_LATER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReadDeliveryLogTest {

    private static final String TOPIC = "notification-deliveries";
    private static final String UNREADABLE = "deliveryLogUnreadable";
    private static final Delivery SENT =
            new Delivery(
                    "n-1",
                    "e-1",
                    "u-1",
                    "order.shipped",
                    "order",
                    Channel.PUSH,
                    Provider.APNS,
                    Platform.IOS,
                    "86afbaed6e0a2d2d",
                    DeliveryStatus.SENT,
                    null,
                    null,
                    1,
                    Priority.HIGH,
                    "apns-1",
                    BEGINNING,
                    BEGINNING,
                    BEGINNING.plusSeconds(1),
                    ONE_MINUTE_LATER);

    private OperatorMetrics metrics;
    private ReadDeliveryLog function;
    private OneInputStreamOperatorTestHarness<RawRecord, Delivery> harness;

    @BeforeEach
    void setUp() throws Exception {
        metrics = new OperatorMetrics();
        function = new ReadDeliveryLog();
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new StreamFlatMap<>(function), metrics.environment());
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
        metrics.close();
    }

    @Test
    void shouldReadBackADeliveryTheJobWrote() throws Exception {
        harness.processElement(InputRecords.bytes(TOPIC, null, Json.toBytes(SENT)), 0);

        assertThat(harness.extractOutputValues()).containsExactly(SENT);
        assertThat(metrics.count(UNREADABLE)).isZero();
    }

    @Test
    void shouldSkipATombstoneWithoutCountingIt() throws Exception {
        harness.processElement(InputRecords.json(TOPIC, "n-1", null), 0);

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(metrics.count(UNREADABLE)).isZero();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"notificationId\":",
                "[]",
                "null",
                "{\"notificationId\":\"n-1\",\"status\":\"LOST\"}",
                // readable JSON, but no row the delivery table can hold
                "{}",
                "{\"notificationId\":\"n-1\",\"eventId\":\"e-1\",\"status\":\"SENT\"}"
            })
    void shouldCountAndSkipAnUnreadableRecordAndKeepReading(String value) throws Exception {
        harness.processElement(InputRecords.json(TOPIC, "n-0", value), 0);
        harness.processElement(InputRecords.bytes(TOPIC, null, Json.toBytes(SENT)), 0);

        assertThat(harness.extractOutputValues()).containsExactly(SENT);
        assertThat(metrics.count(UNREADABLE)).isEqualTo(1);
    }

    /** The table sink is chained to this operator: its failure must fail the task, not vanish. */
    @Test
    void shouldNotMistakeAFailureDownstreamForAnUnreadableRecord() {
        IllegalStateException sinkFailure = new IllegalStateException("table sink failed");
        Collector<Delivery> failingSink =
                new Collector<>() {
                    @Override
                    public void collect(Delivery record) {
                        throw sinkFailure;
                    }

                    @Override
                    public void close() {}
                };

        assertThatThrownBy(
                        () ->
                                function.flatMap(
                                        InputRecords.bytes(TOPIC, null, Json.toBytes(SENT)),
                                        failingSink))
                .isSameAs(sinkFailure);
        assertThat(metrics.count(UNREADABLE)).isZero();
    }
}
