package dev.notiflow.serde;

import dev.notiflow.model.Engagement;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

class EngagementParserTest {

    private static final String TOPIC = "notification-engagement";
    private static final int MAX = 64 * 1024;
    private static final Instant RECEIVED = Instant.parse("2026-11-22T00:00:06Z");

    @Test
    void shouldTakeTheReceivedTimeWhenTheDeviceGaveNone() throws Exception {
        Engagement e =
                EngagementParser.parse(
                        RawRecords.keyed(
                                TOPIC,
                                "n1",
                                "{\"notificationId\":\"n1\",\"event\":\"clicked\",\"receivedAt\":\""
                                        + RECEIVED
                                        + "\"}"),
                        MAX);

        assertThat(e)
                .isEqualTo(
                        new Engagement("n1", Engagement.Event.CLICKED, RECEIVED, null, RECEIVED));
    }

    @Test
    void shouldRejectAKeyThatIsNotTheNotificationId() {
        assertRejected(
                RawRecords.keyed(
                        TOPIC,
                        "n2",
                        "{\"notificationId\":\"n1\",\"event\":\"opened\",\"receivedAt\":\"2026-11-22T00:00:06Z\"}"),
                Rejection.INVALID_FIELD,
                "key: 'n2' is not the notificationId 'n1'");
    }

    @Test
    void shouldRejectATombstoneAndAnUnknownStep() {
        assertRejected(RawRecords.keyed(TOPIC, "n1", null), Rejection.MALFORMED_JSON, null);
        assertRejected(
                RawRecords.value(
                        TOPIC,
                        "{\"notificationId\":\"n1\",\"event\":\"sent\",\"receivedAt\":\"2026-11-22T00:00:06Z\"}"),
                Rejection.INVALID_FIELD,
                "event: 'sent' is not one of delivered, opened, clicked, dismissed");
        assertRejected(
                RawRecords.value(TOPIC, "{\"notificationId\":\"n1\",\"event\":\"opened\"}"),
                Rejection.MISSING_FIELD,
                "receivedAt: is required");
    }

    private static void assertRejected(
            dev.notiflow.model.RawRecord record, String reason, String detail) {
        assertThatThrownBy(() -> EngagementParser.parse(record, MAX))
                .asInstanceOf(type(InvalidRecordException.class))
                .satisfies(
                        e -> {
                            assertThat(e.rejection().reason()).isEqualTo(reason);
                            if (detail != null) {
                                assertThat(e.rejection().detail()).isEqualTo(detail);
                            }
                        });
    }
}
