package dev.notiflow.sinks;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class FailoverSenderTest {

    private static final SendRequest REQUEST =
            SendRequest.builder()
                    .notificationId("n-1")
                    .eventId("e")
                    .userId("u")
                    .type("t")
                    .category("c")
                    .channel(Channel.EMAIL)
                    .provider(Provider.SMTP)
                    .address("u@example.com")
                    .locale("en")
                    .priority(Priority.NORMAL)
                    .templateId("t")
                    .data(Map.of())
                    .build();

    @Test
    void shouldUseTheSecondaryWhenThePrimaryEndpointFailsTransiently() {
        Fixed secondary = new Fixed(SendResult.accepted("relay-2"));
        FailoverSender sender =
                new FailoverSender(
                        new Fixed(SendResult.retryable("SMTP_TRANSIENT", "RCPT 451 4.3.0", null)),
                        secondary);

        SendResult result = sender.send(REQUEST).join();

        assertThat(result.providerMessageId()).isEqualTo("relay-2");
        assertThat(secondary.calls).hasValue(1);
    }

    @Test
    void shouldNotFailOverRejectionsOrRateLimits() {
        Fixed secondary = new Fixed(SendResult.accepted("relay-2"));
        SendResult rejected =
                new FailoverSender(
                                new Fixed(SendResult.rejected("RECIPIENT_REJECTED", "550")),
                                secondary)
                        .send(REQUEST)
                        .join();
        SendResult limited =
                new FailoverSender(
                                new Fixed(SendResult.retryable("RATE_LIMITED", "429", 1000L)),
                                secondary)
                        .send(REQUEST)
                        .join();

        assertThat(rejected.reason()).isEqualTo("RECIPIENT_REJECTED");
        assertThat(limited.reason()).isEqualTo("RATE_LIMITED");
        assertThat(secondary.calls).hasValue(0);
    }

    private static final class Fixed implements ChannelSender {
        final SendResult result;
        final AtomicInteger calls = new AtomicInteger();

        Fixed(SendResult result) {
            this.result = result;
        }

        @Override
        public CompletableFuture<SendResult> send(SendRequest request) {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture(result);
        }

        @Override
        public void close() {}
    }
}
