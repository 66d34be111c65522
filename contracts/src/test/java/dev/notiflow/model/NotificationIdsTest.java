package dev.notiflow.model;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class NotificationIdsTest {

    @Test
    void shouldBeDeterministic() {
        assertThat(NotificationIds.of("e1", "u1", Channel.PUSH, "tok"))
                .isEqualTo(NotificationIds.of("e1", "u1", Channel.PUSH, "tok"));
        assertThat(NotificationIds.ofDuplicate("e1", "notification-events-0@5"))
                .isEqualTo(NotificationIds.ofDuplicate("e1", "notification-events-0@5"));
        assertThat(NotificationIds.deviceRef("tok")).isEqualTo(NotificationIds.deviceRef("tok"));
    }

    @Test
    void shouldBeStableAcrossReleases() {
        // Sinks upsert on these ids: a changed function would duplicate rows after an upgrade.
        // Expected: SHA-256 over the NUL-terminated parts, first 32 (device: 16) hex digits.
        assertThat(NotificationIds.of("e1", "u1", Channel.EMAIL, null))
                .isEqualTo("89773774f6bc935802d0cae2e0c0be79");
        assertThat(NotificationIds.of("e1", "u1", Channel.PUSH, "tok"))
                .isEqualTo("774e7ce6aa6c15f60f5434e6c324c6b2");
        assertThat(NotificationIds.deviceRef("tok")).isEqualTo("c597fc46b4275adf");
    }

    @Test
    void shouldNotCarryAFailedCallIntoTheNextOnTheSameThread() {
        // The digest is reused per thread: a part that fails half-way must not leak its bytes.
        assertThatNullPointerException()
                .isThrownBy(() -> NotificationIds.of("e1", null, Channel.PUSH, "tok"));
        assertThat(NotificationIds.of("e1", "u1", Channel.PUSH, "tok"))
                .isEqualTo("774e7ce6aa6c15f60f5434e6c324c6b2");
    }

    @Test
    void shouldDifferPerDeviceChannelUserAndEvent() {
        List<String> ids =
                List.of(
                        NotificationIds.of("e1", "u1", Channel.PUSH, "tokA"),
                        NotificationIds.of("e1", "u1", Channel.PUSH, "tokB"),
                        NotificationIds.of("e1", "u1", Channel.PUSH, null),
                        NotificationIds.of("e1", "u1", Channel.SMS, null),
                        NotificationIds.of("e1", "u1", Channel.EMAIL, null),
                        NotificationIds.of("e1", "u2", Channel.EMAIL, null),
                        NotificationIds.of("e2", "u1", Channel.EMAIL, null),
                        NotificationIds.of("e1", "u1", null, null),
                        NotificationIds.ofDuplicate("e1", "notification-events-0@5"),
                        NotificationIds.ofDuplicate("e1", "notification-events-0@6"));

        assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
    }

    @Test
    void shouldNotConfuseFieldBoundaries() {
        assertThat(NotificationIds.of("e1", "u1", Channel.SMS, null))
                .isNotEqualTo(NotificationIds.of("e1u", "1", Channel.SMS, null))
                .isNotEqualTo(NotificationIds.of("e", "1u1", Channel.SMS, null));
    }

    @Test
    void shouldBe32LowerCaseHexDigits() {
        Set<String> ids =
                Set.of(
                        NotificationIds.of("e1", "u1", Channel.PUSH, "tok"),
                        NotificationIds.ofDuplicate("e1", null));

        assertThat(ids).allSatisfy(id -> assertThat(id).matches("[0-9a-f]{32}"));
    }

    @Test
    void deviceRefShouldBeAShortHashThatHidesTheToken() {
        String token = "80f1c3d2e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1";

        assertThat(NotificationIds.deviceRef(token))
                .matches("[0-9a-f]{16}")
                .doesNotContain(token.substring(0, 8));
        assertThat(NotificationIds.deviceRef(token))
                .isNotEqualTo(NotificationIds.deviceRef(token + "x"));
        assertThat(NotificationIds.deviceRef(null)).isNull();
    }
}
