package dev.notiflow.job.operators;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DedupeEventsTest {

    private static final Duration TTL = Duration.ofDays(7);

    private KeyedOneInputStreamOperatorTestHarness<String, NotificationEvent, NotificationEvent>
            harness;

    @BeforeEach
    void setUp() throws Exception {
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new DedupeEvents(TTL)),
                        NotificationEvent::eventId,
                        Types.STRING);
        harness.setStateTtlProcessingTime(0);
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    @Test
    void shouldPassFirstOccurrenceAndSkipRepeatAsDuplicate() throws Exception {
        NotificationEvent first = Fixtures.event("e1", null, "u1", "u2");
        harness.processElement(first, 0);
        harness.processElement(Fixtures.event("e1", null, "u1", "u2"), 1);

        assertThat(harness.extractOutputValues()).containsExactly(first);
        List<Delivery> skipped = sideOutput();
        assertThat(skipped).hasSize(1);
        Delivery dup = skipped.get(0);
        assertThat(dup.status()).isEqualTo(DeliveryStatus.SKIPPED);
        assertThat(dup.reason()).isEqualTo("DUPLICATE_EVENT");
        assertThat(dup.userId()).isNull();
        assertThat(dup.channel()).isNull();
        assertThat(dup.eventId()).isEqualTo("e1");
    }

    @Test
    void shouldRememberEventIdsUntilTheTtlExpires() throws Exception {
        harness.processElement(Fixtures.event("e1", null, "u1"), 0);
        harness.setStateTtlProcessingTime(TTL.toMillis() - 1);
        harness.processElement(Fixtures.event("e1", null, "u1"), 1);
        assertThat(sideOutput()).hasSize(1);

        harness.setStateTtlProcessingTime(TTL.toMillis() + 1);
        harness.processElement(Fixtures.event("e1", null, "u1"), 2);
        assertThat(harness.extractOutputValues()).hasSize(2);
        assertThat(sideOutput()).hasSize(1);
    }

    @Test
    void shouldKeepOneStateEntryPerDistinctEventId() throws Exception {
        harness.processElement(Fixtures.event("e1", null, "u1"), 0);
        harness.processElement(Fixtures.event("e2", null, "u1"), 0);
        harness.processElement(Fixtures.event("e1", null, "u1"), 0);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
    }

    private List<Delivery> sideOutput() {
        var records = harness.getSideOutput(OutputTags.DELIVERIES);
        return records == null ? List.of() : records.stream().map(r -> r.getValue()).toList();
    }
}
