package dev.notiflow.job.operators;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendRequest;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class RetrySchedulerTest {

    private static final long NOW = 1_000_000L;

    @Test
    void shouldReleaseARetryOnlyAtItsNotBeforeTimeAndClearState() throws Exception {
        var harness = harness();
        harness.processElement(retry("n-1", NOW + 5_000), 0);
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

        harness.setProcessingTime(NOW + 4_999);
        assertThat(harness.extractOutputValues()).isEmpty();

        harness.setProcessingTime(NOW + 5_000);
        assertThat(harness.extractOutputValues())
                .extracting(SendRequest::notificationId)
                .containsExactly("n-1");
        assertThat(harness.numKeyedStateEntries()).isZero();
        harness.close();
    }

    @Test
    void shouldSendAReplayedRetryOnce() throws Exception {
        var harness = harness();
        harness.processElement(retry("n-1", NOW + 5_000), 0);
        harness.processElement(retry("n-1", NOW + 5_000), 0);
        harness.setProcessingTime(NOW + 10_000);
        assertThat(harness.extractOutputValues()).hasSize(1);
        harness.close();
    }

    @Test
    void shouldReleaseAnOverdueRetryAtOnce() throws Exception {
        var harness = harness();
        harness.processElement(retry("n-1", NOW - 1), 0);
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
        harness.close();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, ScheduledRetry, SendRequest>
            harness() throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new RetryScheduler()),
                        (ScheduledRetry r) -> r.request().notificationId(),
                        Types.STRING);
        h.setProcessingTime(NOW);
        h.open();
        return h;
    }

    private static ScheduledRetry retry(String id, long notBefore) {
        SendRequest r = Fixtures.emailRetryRequest(id, "u-1");
        return new ScheduledRetry(r, Instant.ofEpochMilli(notBefore));
    }
}
