package dev.notiflow.model;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The user's time zone and quiet hours travel with every copy of a request. */
class SendRequestTest {

    private static final Instant T = Instant.parse("2026-11-22T00:00:00Z");
    private static final QuietHours HOURS = new QuietHours("22:00", "07:00");

    private final SendRequest request =
            new SendRequest(
                            "0123456789abcdef0123456789abcdef",
                            "e1",
                            "u1",
                            "order.shipped",
                            "order",
                            Channel.PUSH,
                            Provider.APNS,
                            Platform.IOS,
                            "tok",
                            "com.example",
                            null,
                            "en",
                            Priority.NORMAL,
                            "order_shipped",
                            Map.of(),
                            null,
                            1,
                            T,
                            T,
                            null,
                            null)
                    .withQuietHours("Europe/Berlin", HOURS);

    @Test
    void shouldKeepTheOlderConstructorsWithoutQuietHours() {
        SendRequest plain =
                new SendRequest(
                        "n",
                        "e1",
                        "u1",
                        "t",
                        "c",
                        Channel.EMAIL,
                        Provider.SMTP,
                        null,
                        null,
                        null,
                        "a@example.com",
                        "en",
                        Priority.LOW,
                        null,
                        Map.of(),
                        null,
                        1,
                        T,
                        T,
                        null,
                        null,
                        null,
                        null,
                        null);
        assertThat(plain.timeZone()).isNull();
        assertThat(plain.quietHours()).isNull();
    }

    @Test
    void shouldCarryTheZoneAndQuietHoursThroughEveryCopy() {
        SendRequest withFallback = request.withFallback(Channel.EMAIL, "a@example.com");
        for (SendRequest copy :
                new SendRequest[] {
                    request.withContent(new Content("t", "b", null, null, null)),
                    withFallback,
                    request.nextAttempt(T, "TIMEOUT"),
                    request.nextAttempt(T, "TIMEOUT").sameAttempt(),
                    withFallback.asFallback("FAILED")
                }) {
            assertThat(copy.timeZone()).isEqualTo("Europe/Berlin");
            assertThat(copy.quietHours()).isEqualTo(HOURS);
        }
    }
}
