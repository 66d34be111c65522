package dev.notiflow.job.operators;

import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.Collector;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.PushDevice;
import dev.notiflow.model.PushFallback;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;
import dev.notiflow.serde.Json;
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

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static dev.notiflow.job.operators.Fixtures.ONE_MINUTE_LATER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ParseRetriesTest {

    private static final String TOPIC = "notification-retry";
    private static final ScheduledRetry RETRY =
            new ScheduledRetry(
                    SendRequest.builder()
                            .notificationId("n-1")
                            .eventId("e-1")
                            .userId("u-1")
                            .type("order.shipped")
                            .category("order")
                            .channel(Channel.EMAIL)
                            .provider(Provider.SMTP)
                            .address("u1@example.com")
                            .locale("en")
                            .priority(Priority.NORMAL)
                            .templateId("order.shipped")
                            .data(Map.of("orderId", "123"))
                            .content(new Content("Hi", "Body", "Hi", "Body", "<p>Body</p>"))
                            .attempt(2)
                            .createdAt(BEGINNING)
                            .receivedAt(BEGINNING)
                            .firstAttemptAt(BEGINNING)
                            .lastReason("SMTP_TRANSIENT")
                            .fallbackChannel(Channel.SMS)
                            .fallbackAddress("+14155552671")
                            .build(),
                    ONE_MINUTE_LATER);

    private ParseRetries function;
    private OneInputStreamOperatorTestHarness<RawRecord, ScheduledRetry> harness;

    @BeforeEach
    void setUp() throws Exception {
        function = new ParseRetries();
        harness = ProcessFunctionTestHarnesses.forProcessFunction(function);
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    @Test
    void shouldReadBackARetryTheJobWrote() throws Exception {
        harness.processElement(InputRecords.bytes(TOPIC, utf8("n-1"), Json.toBytes(RETRY)), 0);

        assertThat(harness.extractOutputValues()).containsExactly(RETRY);
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
    }

    @Test
    void shouldReadBackTheDevicesOfALiveRetryWithAPushFallback() throws Exception {
        ScheduledRetry live =
                new ScheduledRetry(
                        RETRY.request().toBuilder()
                                .channel(Channel.LIVE)
                                .provider(Provider.LIVE)
                                .address(null)
                                .lastReason("ACK_TIMEOUT")
                                .build()
                                .withPushFallback(
                                        new PushFallback(
                                                List.of(
                                                        new PushDevice(
                                                                "ios-1", Platform.IOS, "app"),
                                                        new PushDevice(
                                                                "fcm:1", Platform.ANDROID, null)),
                                                Channel.EMAIL,
                                                "u1@example.com")),
                        ONE_MINUTE_LATER);

        harness.processElement(InputRecords.bytes(TOPIC, utf8("n-1"), Json.toBytes(live)), 0);
        harness.processElement(
                InputRecords.bytes(
                        TOPIC,
                        utf8("n-1"),
                        utf8(Json.toText(live).replace("ios-1", "ios\\u00001"))),
                0);

        assertThat(harness.extractOutputValues()).containsExactly(live);
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS))
                .extracting(r -> r.getValue().reason(), r -> r.getValue().detail())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                Rejection.INVALID_FIELD,
                                "request.pushFallback.devices.token: contains the control"
                                        + " character U+0000 at index 3"));
    }

    static Stream<Arguments> unreadable() {
        String retry = Json.toText(RETRY);
        return Stream.of(
                arguments("a tombstone", null),
                arguments("not JSON", "{\"request\":"),
                arguments("JSON null", "null"),
                arguments("a request of the wrong type", "{\"request\":5,\"notBefore\":null}"),
                arguments("no request", "{\"notBefore\":\"2026-11-21T22:01:00Z\"}"),
                arguments(
                        "no notBefore",
                        retry.replace("\"notBefore\":\"2026-11-21T22:01:00Z\"", "\"x\":1")),
                arguments(
                        "a notBefore that is no time",
                        retry.replace("2026-11-21T22:01:00Z", "soon")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void shouldSendAnUnreadableRetryToTheDlq(String what, String value) throws Exception {
        RawRecord record = InputRecords.json(TOPIC, "n-1", value);
        Instant before = Instant.now();

        harness.processElement(record, 0);

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).hasSize(1);
        DeadLetter dead = harness.getSideOutput(OutputTags.DEAD_LETTERS).peek().getValue();
        assertThat(dead.failedAt()).isBetween(before, Instant.now());
        assertThat(dead)
                .isEqualTo(
                        InputRecords.deadLetter(
                                record,
                                Rejection.MALFORMED_JSON,
                                "unreadable retry record",
                                true,
                                dead.failedAt()));
    }

    @Test
    void shouldKeepReadingAfterAnUnreadableRetry() throws Exception {
        harness.processElement(InputRecords.json(TOPIC, "n-0", "{}"), 0);
        harness.processElement(InputRecords.bytes(TOPIC, utf8("n-1"), Json.toBytes(RETRY)), 0);

        assertThat(harness.extractOutputValues()).containsExactly(RETRY);
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS))
                .extracting(r -> r.getValue().key())
                .containsExactly("n-0");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A failure after a readable retry is the downstream's, not a dead letter. */
    @Test
    void shouldNotTurnAFailureDownstreamIntoADeadLetter() {
        IllegalStateException downstream = new IllegalStateException("downstream failed");
        Collector<ScheduledRetry> failing =
                new Collector<>() {
                    @Override
                    public void collect(ScheduledRetry record) {
                        throw downstream;
                    }

                    @Override
                    public void close() {}
                };

        assertThatThrownBy(
                        () ->
                                function.processElement(
                                        InputRecords.bytes(TOPIC, utf8("n-1"), Json.toBytes(RETRY)),
                                        null,
                                        failing))
                .isSameAs(downstream);
    }
}
