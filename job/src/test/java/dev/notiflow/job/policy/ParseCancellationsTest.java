package dev.notiflow.job.policy;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.OperatorMetrics;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.Rejection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class ParseCancellationsTest {

    private static final String TOPIC = "notification-cancellations";
    private static final int MAX_RECORD_BYTES = 128;
    private static final Instant NOW = Instant.parse("2026-11-22T08:00:00Z");

    private OperatorMetrics metrics;
    private OneInputStreamOperatorTestHarness<RawRecord, Cancellation> harness;
    private long offset;

    @BeforeEach
    void setUp() throws Exception {
        metrics = new OperatorMetrics();
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new ParseCancellations(MAX_RECORD_BYTES)),
                        metrics.environment());
        harness.open();
        harness.setProcessingTime(NOW.toEpochMilli());
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
        metrics.close();
    }

    @Test
    void shouldParseACancellationStampedWithWhenItWasRead() throws Exception {
        harness.processElement(record("e1", "{\"eventId\":\"e1\",\"reason\":\"changed\"}"), 0);
        harness.processElement(record(null, "{\"eventId\":\"e2\"}"), 0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        new Cancellation("e1", "changed", NOW), new Cancellation("e2", null, NOW));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
    }

    @Test
    void shouldSendBadInputToTheDlqWithItsBytesAndGoOn() throws Exception {
        RawRecord malformed = record("e1", "{\"eventId\":");
        RawRecord missing = record("e1", "{\"reason\":\"no id\"}");
        RawRecord oversized =
                record("e1", "{\"eventId\":\"e1\",\"reason\":\"" + "x".repeat(200) + "\"}");
        RawRecord otherKey = record("e9", "{\"eventId\":\"e1\"}");
        RawRecord tombstone = new RawRecord(TOPIC, 0, offset++, 0L, "e1".getBytes(), null);
        for (RawRecord r : List.of(malformed, missing, oversized, otherKey, tombstone)) {
            harness.processElement(r, 0);
        }
        harness.processElement(record("e3", "{\"eventId\":\"e3\"}"), 0);

        List<DeadLetter> dlq = new ArrayList<>();
        harness.getSideOutput(OutputTags.DEAD_LETTERS).forEach(r -> dlq.add(r.getValue()));
        assertThat(dlq)
                .extracting(
                        DeadLetter::kind,
                        DeadLetter::reason,
                        DeadLetter::sourceRef,
                        DeadLetter::failedAt)
                .containsExactly(
                        tuple(
                                DeadLetter.INPUT,
                                Rejection.MALFORMED_JSON,
                                malformed.sourceRef(),
                                NOW),
                        tuple(DeadLetter.INPUT, Rejection.MISSING_FIELD, missing.sourceRef(), NOW),
                        tuple(
                                DeadLetter.INPUT,
                                Rejection.RECORD_TOO_LARGE,
                                oversized.sourceRef(),
                                NOW),
                        tuple(DeadLetter.INPUT, Rejection.INVALID_FIELD, otherKey.sourceRef(), NOW),
                        tuple(
                                DeadLetter.INPUT,
                                Rejection.MALFORMED_JSON,
                                tombstone.sourceRef(),
                                NOW));
        assertThat(dlq.get(1).detail()).isEqualTo("eventId: is required");
        assertThat(dlq.get(3).detail()).isEqualTo("key: 'e9' is not the eventId 'e1'");
        assertThat(dlq.get(2).payloadBase64())
                .isEqualTo(Base64.getEncoder().encodeToString(oversized.value()));
        assertThat(harness.extractOutputValues())
                .extracting(Cancellation::eventId)
                .containsExactly("e3");
        assertThat(metrics.count("cancellationsRejected")).isEqualTo(5);
    }

    private RawRecord record(String key, String value) {
        return new RawRecord(
                TOPIC,
                0,
                offset++,
                0L,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }
}
