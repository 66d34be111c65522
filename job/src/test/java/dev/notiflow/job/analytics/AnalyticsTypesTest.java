package dev.notiflow.job.analytics;

import org.apache.flink.types.PojoTestUtils;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The analytics state and record types are Flink POJOs, and the key drops nothing. */
class AnalyticsTypesTest {

    private static final Instant CREATED = Instant.parse("2026-11-22T09:00:00Z");

    @Test
    void shouldSerializeStateAndRecordTypesAsPojosWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(LatencyHistogram.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(MetricKey.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(DeliveryMetric.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.notiflow.model.Engagement.class);
    }

    @Test
    void shouldKeyByWireNamesAndEmptyStringsForMissingDimensions() {
        Delivery push =
                new Delivery(
                        "n1",
                        "e1",
                        "u1",
                        "order.shipped",
                        "order",
                        Channel.PUSH,
                        Provider.APNS,
                        Platform.IOS,
                        "dev",
                        DeliveryStatus.FAILED,
                        "BAD_DEVICE_TOKEN",
                        null,
                        1,
                        Priority.HIGH,
                        null,
                        CREATED,
                        null,
                        null,
                        CREATED.plusSeconds(2));
        Delivery duplicate =
                new Delivery(
                        "n2",
                        "e1",
                        null,
                        "order.shipped",
                        null,
                        null,
                        null,
                        null,
                        null,
                        DeliveryStatus.SKIPPED,
                        "DUPLICATE_EVENT",
                        null,
                        0,
                        Priority.NORMAL,
                        null,
                        null,
                        CREATED,
                        null,
                        CREATED.plusSeconds(3));

        assertThat(MetricKey.of(push))
                .isEqualTo(new MetricKey("push", "apns", "order", "FAILED", "BAD_DEVICE_TOKEN"));
        assertThat(MetricKey.of(duplicate))
                .isEqualTo(new MetricKey("", "", "", "SKIPPED", "DUPLICATE_EVENT"));
        assertThat(DeliveryMetricsFunctions.latencyMs(push)).isEqualTo(2_000L);
        assertThat(DeliveryMetricsFunctions.latencyMs(duplicate)).isEqualTo(3_000L);
        assertThat(new DeliveryMetricsFunctions.FinalAtTimestamps().extractTimestamp(push, 0L))
                .isEqualTo(CREATED.plusSeconds(2).toEpochMilli());
    }
}
