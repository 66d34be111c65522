package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The benchmark's generated input: exact totals, the asked-for mix, the same on every call. */
class BenchmarkWorkloadTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldImplyExactlyTheAskedNotificationsWithTheBatchShare() throws Exception {
        BenchmarkWorkload w = new BenchmarkWorkload(5000, BenchmarkWorkload.DeviceMix.IOS, 7);
        BenchmarkWorkload.Events gen = w.new Events("e-", 100_003, 0.9, false);
        long total = 0;
        long inBatches = 0;
        while (gen.hasNext()) {
            BenchmarkWorkload.Event e = gen.next(Instant.EPOCH);
            JsonNode event = JSON.readTree(e.json());
            int implied = 0;
            for (JsonNode user : event.path("userIds")) {
                implied += w.devices(user.asText());
            }
            assertThat(implied).as(e.eventId()).isEqualTo(e.notifications());
            assertThat(event.path("userIds").size()).isIn(1, BenchmarkWorkload.BATCH_RECIPIENTS);
            if (event.path("userIds").size() > 1) {
                inBatches += implied;
            }
            total += implied;
        }
        assertThat(total).isEqualTo(100_003).isEqualTo(gen.notifications);
        assertThat(gen.iosNotifications).isEqualTo(total);
        // Batches stop before they could overshoot: at most one batch's worth short of 90%.
        assertThat((double) inBatches)
                .isCloseTo(90_003, within(3.0 * BenchmarkWorkload.BATCH_RECIPIENTS));
    }

    @Test
    void shouldComeOutExactForAnyTotalAndSeed() {
        for (int seed = 1; seed <= 20; seed++) {
            BenchmarkWorkload w =
                    new BenchmarkWorkload(4000, BenchmarkWorkload.DeviceMix.MIXED, seed);
            long asked = 20_000L + seed;
            BenchmarkWorkload.Events gen = w.new Events("e-", asked, 0.9, false);
            long total = 0;
            while (gen.hasNext()) {
                total += gen.next(Instant.EPOCH).notifications();
            }
            assertThat(total).as("seed " + seed).isEqualTo(asked);
        }
    }

    @Test
    void shouldGiveEveryUserOneToThreeDevicesAndSplitAMixedMixAboutEvenly() {
        BenchmarkWorkload w = new BenchmarkWorkload(20_000, BenchmarkWorkload.DeviceMix.MIXED, 42);
        long devices = 0;
        long ios = 0;
        int[] byCount = new int[4];
        for (int u = 0; u < w.users; u++) {
            int n = w.devices(u);
            assertThat(n).isBetween(1, 3);
            byCount[n]++;
            for (int d = 0; d < n; d++) {
                devices++;
                ios += w.ios(u, d) ? 1 : 0;
            }
        }
        assertThat(devices).isEqualTo(w.allDevices());
        assertThat((double) ios / devices).isCloseTo(0.5, within(0.02));
        for (int n = 1; n <= 3; n++) {
            assertThat(byCount[n] / 20_000.0).isCloseTo(1 / 3.0, within(0.02));
        }
    }

    @Test
    void shouldGenerateTheSameEventsEveryTime() {
        BenchmarkWorkload w = new BenchmarkWorkload(3000, BenchmarkWorkload.DeviceMix.MIXED, 1);
        assertThat(events(w)).isEqualTo(events(w));
        assertThat(events(w))
                .isNotEqualTo(
                        events(new BenchmarkWorkload(3000, BenchmarkWorkload.DeviceMix.MIXED, 2)));
    }

    @Test
    void shouldPutTheAudienceEventFirstAndCountEveryDeviceForIt() throws Exception {
        BenchmarkWorkload w = new BenchmarkWorkload(2000, BenchmarkWorkload.DeviceMix.ANDROID, 3);
        BenchmarkWorkload.Events gen = w.new Events("e-", w.allDevices() + 500, 0.5, true);
        BenchmarkWorkload.Event first = gen.next(Instant.EPOCH);
        JsonNode event = JSON.readTree(first.json());
        assertThat(event.path("audience").path("all").asBoolean()).isTrue();
        assertThat(event.has("userIds")).isFalse();
        assertThat((long) first.notifications()).isEqualTo(w.allDevices());
        long rest = 0;
        while (gen.hasNext()) {
            rest += gen.next(Instant.EPOCH).notifications();
        }
        assertThat(rest).isEqualTo(500);
        assertThat(gen.audienceEvents).isEqualTo(1);
        assertThat(gen.iosNotifications).isZero();
        assertThatThrownBy(() -> w.new Events("e-", w.allDevices() - 1, 0.5, true))
                .hasMessageContaining("--audience");
    }

    private static List<String> events(BenchmarkWorkload w) {
        List<String> all = new ArrayList<>();
        BenchmarkWorkload.Events gen = w.new Events("e-", 20_000, 0.9, false);
        while (gen.hasNext()) {
            all.add(new String(gen.next(Instant.EPOCH).json()));
        }
        return all;
    }
}
