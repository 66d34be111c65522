package dev.notiflow.sinks;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class SendFunctionTest {

    /**
     * What the fake provider answers, and how many calls reached it; static because the factory is
     * serialized.
     */
    private static final AtomicInteger CALLS = new AtomicInteger();

    private static volatile String answer = "accept";

    private OneInputStreamOperatorTestHarness<SendRequest, SendOutcome> harness;

    @AfterEach
    void tearDown() throws Exception {
        if (harness != null) {
            harness.close();
        }
        CALLS.set(0);
        answer = "accept";
    }

    @Test
    void shouldPauseTheProviderAfterACredentialsRejection() throws Exception {
        answer = "credentials";
        harness =
                harness(
                        new SendFunction(Provider.APNS, FakeSender::new, 0, Duration.ofMinutes(1)),
                        1000);

        send("n-1");
        send("n-2");
        send("n-3");
        harness.endInput();

        assertThat(CALLS).hasValue(1);
        assertThat(outcomes())
                .extracting(
                        o -> o.request().notificationId(),
                        o -> o.result().status(),
                        o -> o.result().reason())
                .containsExactly(
                        tuple("n-1", SendStatus.RETRYABLE, SendFunction.CREDENTIALS_REJECTED),
                        tuple("n-2", SendStatus.RETRYABLE, SendFunction.CHANNEL_PAUSED),
                        tuple("n-3", SendStatus.RETRYABLE, SendFunction.CHANNEL_PAUSED));
        assertThat(outcomes().get(1).result().retryAfterMillis()).isPositive();
    }

    @Test
    void shouldTurnATimeoutIntoARetryableOutcome() throws Exception {
        answer = "never";
        harness =
                harness(
                        new SendFunction(Provider.SMTP, FakeSender::new, 0, Duration.ofMinutes(1)),
                        50);

        send("n-1");
        harness.setProcessingTime(Long.MAX_VALUE / 2);
        harness.endInput();

        assertThat(outcomes())
                .extracting(o -> o.result().status(), o -> o.result().reason())
                .containsExactly(tuple(SendStatus.RETRYABLE, SendFunction.TIMEOUT));
    }

    @Test
    void shouldKeepTheJobRunningWhenASenderBreaksItsContract() throws Exception {
        answer = "throw";
        harness =
                harness(
                        new SendFunction(Provider.FCM, FakeSender::new, 0, Duration.ofMinutes(1)),
                        1000);

        send("n-1");
        harness.endInput();

        assertThat(outcomes())
                .extracting(o -> o.result().status(), o -> o.result().reason())
                .containsExactly(tuple(SendStatus.RETRYABLE, SendFunction.SENDER_ERROR));
    }

    @Test
    void shouldSpaceSendsOutUnderARateLimitWithoutLosingAny() throws Exception {
        harness =
                harness(
                        new SendFunction(
                                Provider.TWILIO, FakeSender::new, 50, Duration.ofMinutes(1)),
                        10_000);
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            send("n-" + i);
        }
        harness.endInput();

        assertThat(outcomes())
                .hasSize(10)
                .allMatch(o -> o.result().status() == SendStatus.ACCEPTED);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(150));
    }

    private static OneInputStreamOperatorTestHarness<SendRequest, SendOutcome> harness(
            SendFunction fn, long timeoutMs) throws Exception {
        var factory =
                new AsyncWaitOperatorFactory<>(
                        fn, timeoutMs, 10, AsyncDataStream.OutputMode.UNORDERED);
        var h =
                new OneInputStreamOperatorTestHarness<>(
                        factory,
                        TypeInformation.of(SendRequest.class)
                                .createSerializer(new ExecutionConfig().getSerializerConfig()));
        h.open();
        return h;
    }

    private void send(String id) throws Exception {
        synchronized (harness.getCheckpointLock()) {
            harness.processElement(request(id), 0);
        }
    }

    private List<SendOutcome> outcomes() {
        return harness.extractOutputValues().stream()
                .sorted(java.util.Comparator.comparing(o -> o.request().notificationId()))
                .toList();
    }

    private static SendRequest request(String id) {
        return SendRequest.builder()
                .notificationId(id)
                .eventId("e")
                .userId("u")
                .type("t")
                .category("c")
                .channel(Channel.PUSH)
                .provider(Provider.APNS)
                .token("tok")
                .locale("en")
                .priority(Priority.NORMAL)
                .templateId("t")
                .data(Map.of())
                .build();
    }

    private static final class FakeSender implements ChannelSender {
        @Override
        public CompletableFuture<SendResult> send(SendRequest request) {
            CALLS.incrementAndGet();
            switch (answer) {
                case "credentials":
                    return CompletableFuture.completedFuture(
                            SendResult.retryable(
                                    SendFunction.CREDENTIALS_REJECTED,
                                    "403 InvalidProviderToken",
                                    null));
                case "never":
                    return new CompletableFuture<>();
                case "throw":
                    throw new IllegalStateException("bug");
                default:
                    return CompletableFuture.completedFuture(
                            SendResult.accepted("id-" + request.notificationId()));
            }
        }

        @Override
        public void close() {}
    }
}
