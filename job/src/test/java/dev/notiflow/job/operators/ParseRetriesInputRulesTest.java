package dev.notiflow.job.operators;

import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;
import dev.notiflow.serde.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** The input rules of the retry topic: a repeated key and control characters in ids. */
class ParseRetriesInputRulesTest {

    private static final Instant NOT_BEFORE = Instant.parse("2026-11-22T09:00:00Z");

    @Test
    void shouldPassAGoodRetryAndSendBadOnesToTheDlqWithTheirReason() throws Exception {
        String good = new String(Json.toBytes(retry("n-1", "u-1")), StandardCharsets.UTF_8);
        // Valid whichever of the two values a lenient reader kept.
        String repeatedKey =
                good.replace("{\"request\":", "{\"notBefore\":\"" + NOT_BEFORE + "\",\"request\":");
        String nulUser = new String(Json.toBytes(retry("n-2", "u\u0000")), StandardCharsets.UTF_8);

        try (OneInputStreamOperatorTestHarness<RawRecord, ScheduledRetry> h =
                ProcessFunctionTestHarnesses.forProcessFunction(new ParseRetries())) {
            h.processElement(raw(0, good), 0L);
            h.processElement(raw(1, repeatedKey), 0L);
            h.processElement(raw(2, nulUser), 0L);
            h.processElement(raw(3, "[]"), 0L);

            assertThat(h.extractOutputValues()).containsExactly(retry("n-1", "u-1"));
            List<DeadLetter> dlq =
                    h.getSideOutput(OutputTags.DEAD_LETTERS).stream()
                            .map(r -> r.getValue())
                            .toList();
            assertThat(dlq)
                    .extracting(DeadLetter::sourceRef, DeadLetter::reason, DeadLetter::detail)
                    .containsExactly(
                            tuple(
                                    "notification-retry-0@1",
                                    "MALFORMED_JSON",
                                    "unreadable retry record"),
                            tuple(
                                    "notification-retry-0@2",
                                    "INVALID_FIELD",
                                    "request.userId: contains the control character U+0000 at index 1"),
                            tuple(
                                    "notification-retry-0@3",
                                    "MALFORMED_JSON",
                                    "unreadable retry record"));
        }
    }

    private static RawRecord raw(long offset, String json) {
        return new RawRecord(
                "notification-retry", 0, offset, 0L, null, json.getBytes(StandardCharsets.UTF_8));
    }

    private static ScheduledRetry retry(String id, String userId) {
        SendRequest r = Fixtures.emailRetryRequest(id, userId);
        return new ScheduledRetry(r, NOT_BEFORE);
    }
}
