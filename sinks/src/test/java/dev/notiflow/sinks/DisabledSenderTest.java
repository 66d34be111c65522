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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class DisabledSenderTest {

    @ParameterizedTest
    @EnumSource(Provider.class)
    void shouldRejectAtOnceAsChannelDisabledWithoutMarkingTheTokenDead(Provider provider) {
        try (ChannelSender sender = DisabledSender.FACTORY.create()) {
            CompletableFuture<SendResult> result = sender.send(request("n-1", provider));

            assertThat(result).isCompleted();
            assertThat(result.join())
                    .isEqualTo(
                            new SendResult(
                                    SendStatus.REJECTED,
                                    DisabledSender.CHANNEL_DISABLED,
                                    provider + " is not configured in this deployment",
                                    null,
                                    null,
                                    null));
            assertThat(result.join().tokenDead()).isFalse();
        }
    }

    @Test
    void shouldCreateADisabledSenderFromItsFactory() {
        try (ChannelSender sender = DisabledSender.FACTORY.create()) {
            assertThat(sender).isInstanceOf(DisabledSender.class).hasToString("disabled");
        }
    }

    /**
     * A request in flight in a savepoint taken while the provider was enabled reaches the disabled
     * sender's operator after the restore: each such request ends REJECTED (so FAILED, with a dead
     * letter, downstream), and a rejection never pauses the operator for the ones after it.
     */
    @Test
    void shouldAnswerEveryRequestReachingTheSendOperatorAsChannelDisabled() throws Exception {
        var harness =
                new OneInputStreamOperatorTestHarness<>(
                        new AsyncWaitOperatorFactory<>(
                                new SendFunction(
                                        Provider.APNS,
                                        DisabledSender.FACTORY,
                                        0,
                                        Duration.ofMinutes(1)),
                                1000,
                                10,
                                AsyncDataStream.OutputMode.UNORDERED),
                        TypeInformation.of(SendRequest.class)
                                .createSerializer(new ExecutionConfig().getSerializerConfig()));
        harness.open();
        synchronized (harness.getCheckpointLock()) {
            harness.processElement(request("n-1", Provider.APNS), 0);
            harness.processElement(request("n-2", Provider.APNS), 0);
        }
        harness.endInput();

        List<SendOutcome> outcomes =
                harness.extractOutputValues().stream()
                        .sorted(Comparator.comparing(o -> o.request().notificationId()))
                        .toList();
        harness.close();

        assertThat(outcomes)
                .extracting(o -> o.request().notificationId())
                .containsExactly("n-1", "n-2");
        assertThat(outcomes)
                .extracting(SendOutcome::result)
                .containsOnly(
                        SendResult.rejected(
                                DisabledSender.CHANNEL_DISABLED,
                                "APNS is not configured in this deployment"));
    }

    private static SendRequest request(String id, Provider provider) {
        return SendRequest.builder()
                .notificationId(id)
                .eventId("e-1")
                .userId("u-1")
                .type("order.shipped")
                .category("order")
                .channel(
                        provider == Provider.TWILIO
                                ? Channel.SMS
                                : provider == Provider.SMTP ? Channel.EMAIL : Channel.PUSH)
                .provider(provider)
                .token("tok-1")
                .locale("en")
                .priority(Priority.NORMAL)
                .templateId("order.shipped")
                .data(Map.of())
                .build();
    }
}
