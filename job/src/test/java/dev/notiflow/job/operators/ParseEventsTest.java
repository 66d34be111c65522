package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.Rejection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ParseEventsTest {

    private static final String TOPIC = "notification-events";
    private static final int MAX_RECORD_BYTES = 256;
    private static final String VALID =
            "{\"eventId\":\"e1\",\"type\":\"order.shipped\",\"userIds\":[\"u1\",\"u2\",\"u1\"],"
                    + "\"channels\":[\"push\",\"email\"],\"priority\":\"high\","
                    + "\"data\":{\"orderId\":\"123\"},\"createdAt\":\"2026-11-21T21:59:00Z\"}";

    private OperatorMetrics metrics;
    private OneInputStreamOperatorTestHarness<RawRecord, NotificationEvent> harness;

    @BeforeEach
    void setUp() throws Exception {
        metrics = new OperatorMetrics();
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new ParseEvents(MAX_RECORD_BYTES)),
                        metrics.environment());
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
        metrics.close();
    }

    @Test
    void shouldEmitAValidEventAndNothingElse() throws Exception {
        harness.processElement(InputRecords.json(TOPIC, "e1", VALID), 0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        new NotificationEvent(
                                "e1",
                                "order.shipped",
                                "order",
                                List.of("u1", "u2"),
                                "order.shipped",
                                Map.of("orderId", "123"),
                                List.of(Channel.PUSH, Channel.EMAIL),
                                Priority.HIGH,
                                null,
                                Instant.parse("2026-11-21T21:59:00Z"),
                                Fixtures.BEGINNING,
                                "notification-events-2@42",
                                null));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
        assertThat(metrics.count("eventsRejected")).isZero();
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                arguments(
                        "not JSON",
                        utf8("{\"eventId\": \"broken\","),
                        Rejection.MALFORMED_JSON,
                        "Unexpected end-of-input within/between Object entries",
                        true),
                arguments(
                        "a tombstone",
                        null,
                        Rejection.MALFORMED_JSON,
                        "value is null: events have no tombstones",
                        true),
                arguments(
                        "an array",
                        utf8("[1]"),
                        Rejection.MALFORMED_JSON,
                        "value must be a JSON object, was ARRAY",
                        true),
                arguments(
                        "invalid UTF-8",
                        new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'},
                        Rejection.INVALID_ENCODING,
                        "value is not valid UTF-8",
                        false),
                arguments(
                        "a record over the size limit",
                        utf8(VALID.replace("123", "1".repeat(MAX_RECORD_BYTES))),
                        Rejection.RECORD_TOO_LARGE,
                        "record has "
                                + (VALID.length() - 3 + MAX_RECORD_BYTES)
                                + " bytes, the limit is "
                                + MAX_RECORD_BYTES,
                        true),
                arguments(
                        "no type",
                        utf8("{\"eventId\":\"e1\",\"userIds\":[\"u1\"]}"),
                        Rejection.MISSING_FIELD,
                        "type: is required",
                        true),
                arguments(
                        "no recipients",
                        utf8("{\"eventId\":\"e1\",\"type\":\"t\",\"userIds\":[]}"),
                        Rejection.INVALID_FIELD,
                        "userIds: must not be empty",
                        true),
                arguments(
                        "an unknown channel",
                        utf8(VALID.replace("\"email\"", "\"fax\"")),
                        Rejection.UNKNOWN_CHANNEL,
                        "channels: 'fax' is not one of push, sms, email, live",
                        true),
                arguments(
                        "an unknown priority",
                        utf8(VALID.replace("\"high\"", "\"urgent\"")),
                        Rejection.UNKNOWN_PRIORITY,
                        "priority: 'urgent' is not one of high, normal, low",
                        true),
                arguments(
                        "a timestamp without offset",
                        utf8(VALID.replace("21:59:00Z", "21:59:00")),
                        Rejection.INVALID_TIMESTAMP,
                        "createdAt: '2026-11-21T21:59:00' is not an ISO-8601 timestamp with"
                                + " offset",
                        true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void shouldSendARecordThatBreaksTheContractToTheDlqWithItsBytes(
            String what, byte[] value, String reason, String detail, boolean utf8)
            throws Exception {
        RawRecord record = InputRecords.bytes(TOPIC, utf8("e1"), value);
        Instant before = Instant.now();

        harness.processElement(record, 0);

        assertThat(harness.extractOutputValues()).isEmpty();
        DeadLetter dead = onlyDeadLetter();
        assertThat(dead.failedAt()).isBetween(before, Instant.now());
        assertThat(dead)
                .isEqualTo(InputRecords.deadLetter(record, reason, detail, utf8, dead.failedAt()));
        assertThat(metrics.count("eventsRejected")).isEqualTo(1);
    }

    /**
     * schedule.max-horizon: a sendAt further ahead of now than the horizon is INVALID_FIELD naming
     * the field; one within it passes.
     */
    @Test
    void shouldSendASendAtBeyondTheHorizonToTheDlq() throws Exception {
        try (OperatorMetrics horizonMetrics = new OperatorMetrics();
                OneInputStreamOperatorTestHarness<RawRecord, NotificationEvent> h =
                        new OneInputStreamOperatorTestHarness<>(
                                new ProcessOperator<>(
                                        new ParseEvents(
                                                MAX_RECORD_BYTES, java.time.Duration.ofDays(30))),
                                horizonMetrics.environment())) {
            h.open();
            Instant now = Fixtures.BEGINNING;
            h.setProcessingTime(now.toEpochMilli());
            String within = now.plus(java.time.Duration.ofDays(30)).toString();
            String beyond = now.plus(java.time.Duration.ofDays(30)).plusMillis(1).toString();
            RawRecord ok =
                    InputRecords.json(
                            TOPIC,
                            "in",
                            "{\"eventId\":\"in\",\"type\":\"news.daily\",\"userIds\":[\"u1\"],"
                                    + "\"sendAt\":\""
                                    + within
                                    + "\"}");
            RawRecord tooFar =
                    InputRecords.json(
                            TOPIC,
                            "far",
                            "{\"eventId\":\"far\",\"type\":\"news.daily\",\"userIds\":[\"u1\"],"
                                    + "\"sendAt\":\""
                                    + beyond
                                    + "\"}");

            h.processElement(ok, 0);
            h.processElement(tooFar, 0);

            assertThat(h.extractOutputValues())
                    .extracting(NotificationEvent::eventId)
                    .containsExactly("in");
            List<DeadLetter> dlq = new java.util.ArrayList<>();
            h.getSideOutput(OutputTags.DEAD_LETTERS).forEach(r -> dlq.add(r.getValue()));
            assertThat(dlq).hasSize(1);
            assertThat(dlq.get(0).reason()).isEqualTo(Rejection.INVALID_FIELD);
            assertThat(dlq.get(0).detail())
                    .isEqualTo(
                            "sendAt: "
                                    + beyond
                                    + " is more than schedule.max-horizon (PT720H) ahead");
            assertThat(dlq.get(0).payload()).contains("\"far\"");
            assertThat(horizonMetrics.count("eventsRejected")).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepParsingAfterABadRecord() throws Exception {
        harness.processElement(InputRecords.json(TOPIC, null, "{"), 0);
        harness.processElement(InputRecords.json(TOPIC, null, VALID), 0);
        harness.processElement(InputRecords.json(TOPIC, null, "[]"), 0);

        assertThat(harness.extractOutputValues())
                .extracting(NotificationEvent::eventId)
                .containsExactly("e1");
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS))
                .extracting(r -> r.getValue().payload())
                .containsExactly("{", "[]");
        assertThat(metrics.count("eventsRejected")).isEqualTo(2);
    }

    private DeadLetter onlyDeadLetter() {
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).hasSize(1);
        return harness.getSideOutput(OutputTags.DEAD_LETTERS).peek().getValue();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
