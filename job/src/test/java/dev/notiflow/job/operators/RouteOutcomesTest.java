package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.SendFunction;
import dev.notiflow.sinks.live.LiveSender;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class RouteOutcomesTest {

    private static final Instant ATTEMPTED = Instant.parse("2026-11-22T09:00:00Z");
    private static final int MAX_ATTEMPTS = 3;

    @Test
    void shouldRecordSentForAnAcceptedSend() throws Exception {
        var harness = harness();
        harness.processElement(outcome(1, SendResult.accepted("apns-1")), 0);
        Delivery d = harness.extractOutputValues().get(0);
        assertThat(d.status()).isEqualTo(DeliveryStatus.SENT);
        assertThat(d.attempts()).isEqualTo(1);
        assertThat(d.providerMessageId()).isEqualTo("apns-1");
        assertThat(d.device()).hasSize(16).doesNotContain("tok");
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
    }

    @Test
    void shouldFailAndInvalidateADeadToken() throws Exception {
        var harness = harness();
        harness.processElement(
                outcome(
                        1,
                        SendResult.tokenDead("TOKEN_UNREGISTERED", "410 Unregistered", ATTEMPTED)),
                0);
        assertThat(harness.extractOutputValues())
                .extracting(Delivery::status, Delivery::reason)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                DeliveryStatus.FAILED, "TOKEN_UNREGISTERED"));
        assertThat(harness.getSideOutput(OutputTags.TOKEN_INVALIDATIONS))
                .extracting(r -> r.getValue().token(), r -> r.getValue().invalidatedAt())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("tok-1", ATTEMPTED));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).hasSize(1);
    }

    @Test
    void shouldScheduleARetryWithBackoffUntilTheLastAttempt() throws Exception {
        var harness = harness();
        Instant before = Instant.now();
        harness.processElement(
                outcome(1, SendResult.retryable("PROVIDER_UNAVAILABLE", "503", null)), 0);
        List<ScheduledRetry> retries = retries(harness);
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(retries).hasSize(1);
        ScheduledRetry retry = retries.get(0);
        assertThat(retry.request().attempt()).isEqualTo(2);
        assertThat(retry.request().lastReason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(retry.request().firstAttemptAt()).isEqualTo(ATTEMPTED);
        assertThat(retry.notBefore())
                .isBetween(before.plusMillis(500), Instant.now().plusMillis(1000));

        harness.processElement(
                outcome(MAX_ATTEMPTS, SendResult.retryable("PROVIDER_UNAVAILABLE", "503", null)),
                0);
        assertThat(harness.extractOutputValues())
                .extracting(Delivery::status, Delivery::reason, Delivery::attempts)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                DeliveryStatus.EXHAUSTED, "PROVIDER_UNAVAILABLE", MAX_ATTEMPTS));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).hasSize(1);
    }

    @Test
    void shouldHonourALaterRetryAfter() throws Exception {
        var harness = harness();
        Instant before = Instant.now();
        harness.processElement(outcome(1, SendResult.retryable("RATE_LIMITED", "429", 30_000L)), 0);
        assertThat(retries(harness).get(0).notBefore()).isAfterOrEqualTo(before.plusSeconds(30));
    }

    @Test
    void shouldNotUseUpAnAttemptWhileTheChannelIsPaused() throws Exception {
        var harness = harness();
        harness.processElement(
                outcome(
                        MAX_ATTEMPTS,
                        SendResult.retryable(SendFunction.CHANNEL_PAUSED, "paused", 5_000L)),
                0);
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(retries(harness).get(0).request().attempt()).isEqualTo(MAX_ATTEMPTS);
    }

    @Test
    void shouldSendTheFallbackOnceTheNotificationFails() throws Exception {
        var harness = harness();
        SendOutcome dead = outcome(1, SendResult.tokenDead("TOKEN_UNREGISTERED", "410", ATTEMPTED));
        SendOutcome withFallback =
                new SendOutcome(
                        dead.request().withFallback(Channel.SMS, "+14155552671"),
                        dead.result(),
                        ATTEMPTED,
                        5);

        harness.processElement(withFallback, 0);

        assertThat(harness.extractOutputValues())
                .extracting(Delivery::status)
                .containsExactly(DeliveryStatus.FAILED);
        SendRequest fallback = retries(harness).get(0).request();
        assertThat(fallback.channel()).isEqualTo(Channel.SMS);
        assertThat(fallback.provider()).isEqualTo(Provider.TWILIO);
        assertThat(fallback.address()).isEqualTo("+14155552671");
        assertThat(fallback.token()).isNull();
        assertThat(fallback.attempt()).isEqualTo(1);
        assertThat(fallback.fallbackOf()).isEqualTo("n-1");
        assertThat(fallback.fallbackChannel()).isNull();
        assertThat(fallback.lastReason()).isEqualTo("FALLBACK after push TOKEN_UNREGISTERED");

        harness.processElement(
                new SendOutcome(fallback, SendResult.accepted("SM1"), ATTEMPTED, 5), 0);
        assertThat(harness.extractOutputValues().get(1).detail()).isEqualTo("fallback for n-1");
    }

    @Test
    void shouldSkipANotConnectedLiveNotificationAndSendItsFallback() throws Exception {
        var harness = harness();
        SendOutcome base = outcome(1, SendResult.rejected(LiveSender.NOT_CONNECTED, "none"));
        SendRequest live =
                base.request().toBuilder()
                        .channel(Channel.LIVE)
                        .provider(Provider.LIVE)
                        .platform(null)
                        .token(null)
                        .build()
                        .withFallback(Channel.EMAIL, "u1@example.com");

        harness.processElement(new SendOutcome(live, base.result(), ATTEMPTED, 5), 0);

        assertThat(harness.extractOutputValues())
                .extracting(Delivery::status, Delivery::reason)
                .containsExactly(tuple(DeliveryStatus.SKIPPED, LiveSender.NOT_CONNECTED));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).as("no DLQ record").isNull();
        SendRequest fallback = retries(harness).get(0).request();
        assertThat(fallback.channel()).isEqualTo(Channel.EMAIL);
        assertThat(fallback.lastReason()).isEqualTo("FALLBACK after live NOT_CONNECTED");
    }

    private static OneInputStreamOperatorTestHarness<SendOutcome, Delivery> harness()
            throws Exception {
        Map<Provider, PipelineSettings.SendSettings> settings = new EnumMap<>(Provider.class);
        for (Provider p : Provider.values()) {
            settings.put(
                    p,
                    new PipelineSettings.SendSettings(
                            Duration.ofSeconds(5),
                            10,
                            0,
                            MAX_ATTEMPTS,
                            Duration.ofSeconds(1),
                            Duration.ofMinutes(1)));
        }
        ProcessFunction<SendOutcome, Delivery> fn = new RouteOutcomes(settings);
        return ProcessFunctionTestHarnesses.forProcessFunction(fn);
    }

    private static List<ScheduledRetry> retries(
            OneInputStreamOperatorTestHarness<SendOutcome, Delivery> h) {
        return h.getSideOutput(OutputTags.RETRIES).stream().map(r -> r.getValue()).toList();
    }

    private static SendOutcome outcome(int attempt, SendResult result) {
        SendRequest r =
                SendRequest.builder()
                        .notificationId("n-1")
                        .eventId("e-1")
                        .userId("u-1")
                        .type("order.shipped")
                        .category("order")
                        .channel(Channel.PUSH)
                        .provider(Provider.APNS)
                        .platform(Platform.IOS)
                        .token("tok-1")
                        .appId("com.example.app")
                        .locale("en")
                        .priority(Priority.HIGH)
                        .templateId("order.shipped")
                        .data(Map.of())
                        .attempt(attempt)
                        .createdAt(ATTEMPTED)
                        .receivedAt(ATTEMPTED)
                        .firstAttemptAt(attempt == 1 ? null : ATTEMPTED)
                        .build();
        return new SendOutcome(r, result, ATTEMPTED, 12);
    }
}
