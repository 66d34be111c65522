package dev.notiflow.job.policy;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;

import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.operators.OperatorMetrics;
import dev.notiflow.model.Audience;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Priority;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class ScheduleEventsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T08:59:00Z");
    private static final Duration HORIZON = Duration.ofDays(30);

    private final List<OperatorMetrics> allMetrics = new ArrayList<>();
    private final List<
                    KeyedTwoInputHarness<
                            Integer, NotificationEvent, Cancellation, NotificationEvent>>
            harnesses = new ArrayList<>();

    @TempDir Path rocksDb;

    private KeyedTwoInputHarness<Integer, NotificationEvent, Cancellation, NotificationEvent>
            harness;
    private OperatorMetrics metrics;
    private int slots;
    private PolicyHarness<NotificationEvent> outputs;

    @AfterEach
    void tearDown() throws Exception {
        for (var h : harnesses) {
            h.close();
        }
        for (var m : allMetrics) {
            m.close();
        }
    }

    @Test
    void shouldReleaseAFutureEventAtItsSendAtAndNotBefore() throws Exception {
        open(8, 100);
        Instant sendAt = NOW.plusSeconds(60).plusMillis(500);
        send(event("e1", sendAt, "u1", "u2"));

        assertThat(released()).isEmpty();
        at(sendAt.minusMillis(1));
        assertThat(released()).isEmpty();
        at(sendAt);
        assertThat(released()).isEmpty(); // due on the next whole second, never before sendAt
        at(Instant.parse("2026-11-22T09:00:01Z"));
        assertThat(released()).containsExactly("e1");
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(metrics.count("scheduled")).isEqualTo(1);
        assertThat(metrics.count("released")).isEqualTo(1);

        at(NOW.plusSeconds(3600));
        assertThat(released()).isEmpty();
    }

    @Test
    void shouldPassAPastOrAbsentSendAtAtOnceWithoutATimer() throws Exception {
        open(8, 100);
        send(event("past", NOW.minusSeconds(1), "u1"));
        send(event("now", NOW, "u1"));
        send(event("none", null, "u1"));

        assertThat(released()).containsExactly("past", "now", "none");
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(metrics.count("scheduled")).isZero();
    }

    /** A thousand events due within the same second are one timer per slot, not a thousand. */
    @Test
    void shouldCoalesceTimersPerSlotAndSecond() throws Exception {
        open(4, 10_000);
        Instant nine = Instant.parse("2026-11-22T09:00:00Z");
        for (int i = 0; i < 1000; i++) {
            send(event("e" + i, nine.minusMillis(999).plusMillis(i % 1000), "u" + i));
        }
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(4);
        for (int i = 0; i < 10; i++) {
            send(event("late" + i, nine.plusMillis(1 + i), "u" + i));
        }
        assertThat(harness.numProcessingTimeTimers()).isLessThanOrEqualTo(8);

        at(nine);
        assertThat(released()).hasSize(1000);
        at(nine.plusSeconds(1));
        assertThat(released()).hasSize(10);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    /** At most release-batch events per slot per timer; the rest follow one resolution later. */
    @Test
    void shouldReleaseABurstInPacedBatches() throws Exception {
        open(1, 10);
        Instant nine = Instant.parse("2026-11-22T09:00:00Z");
        for (int i = 0; i < 35; i++) {
            send(event("e" + i, nine, "u" + i));
        }
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

        at(nine);
        assertThat(released())
                .containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
        at(nine.plusMillis(999));
        assertThat(released()).isEmpty();
        at(nine.plusSeconds(1));
        assertThat(released()).hasSize(10).startsWith("e10");
        // A timer that fires late still paces: the next batch waits one resolution from now.
        at(nine.plusSeconds(30));
        assertThat(released()).hasSize(10).startsWith("e20");
        at(nine.plusSeconds(30).plusMillis(999));
        assertThat(released()).isEmpty();
        at(nine.plusSeconds(31));
        assertThat(released()).containsExactly("e30", "e31", "e32", "e33", "e34");
        assertThat(metrics.count("released")).isEqualTo(35);
    }

    @Test
    void shouldCancelAHeldEventWithOneRecordPerUser() throws Exception {
        open(8, 100);
        Instant sendAt = NOW.plusSeconds(60);
        send(event("e1", sendAt, "u1", "u2"));
        at(NOW.plusSeconds(10));
        cancel("e1", "order cancelled");

        List<Delivery> records = records();
        assertThat(records)
                .extracting(
                        Delivery::notificationId,
                        Delivery::userId,
                        Delivery::channel,
                        Delivery::status,
                        Delivery::reason,
                        Delivery::detail,
                        Delivery::finalAt)
                .containsExactly(
                        tuple(
                                NotificationIds.of("e1", "u1", null, null),
                                "u1",
                                null,
                                DeliveryStatus.SKIPPED,
                                ScheduleEvents.CANCELLED,
                                "cancelled before its sendAt " + sendAt + ": order cancelled",
                                NOW.plusSeconds(10)),
                        tuple(
                                NotificationIds.of("e1", "u2", null, null),
                                "u2",
                                null,
                                DeliveryStatus.SKIPPED,
                                ScheduleEvents.CANCELLED,
                                "cancelled before its sendAt " + sendAt + ": order cancelled",
                                NOW.plusSeconds(10)));
        at(sendAt.plusSeconds(1));
        assertThat(released()).isEmpty();
        assertThat(metrics.count("cancelled")).isEqualTo(1);

        // A repeated cancel changes nothing.
        cancel("e1", null);
        assertThat(records()).isEmpty();
        assertThat(metrics.count("cancelTooLate")).isZero();
    }

    @Test
    void shouldCancelAHeldAudienceEventWithOneRecord() throws Exception {
        open(8, 100);
        NotificationEvent audience =
                withAudience(
                        event("a1", NOW.plusSeconds(60)), new Audience(true, null, null, null));
        send(audience);
        cancel("a1", null);

        assertThat(records())
                .extracting(Delivery::userId, Delivery::reason)
                .containsExactly(tuple(null, ScheduleEvents.CANCELLED));
        at(NOW.plusSeconds(61));
        assertThat(released()).isEmpty();
    }

    @Test
    void shouldCountACancelAfterTheReleaseAndChangeNothing() throws Exception {
        open(8, 100);
        send(event("e1", NOW.plusSeconds(5), "u1"));
        at(NOW.plusSeconds(5));
        assertThat(released()).containsExactly("e1");

        cancel("e1", "too late");

        assertThat(records()).isEmpty();
        assertThat(released()).isEmpty();
        assertThat(metrics.count("cancelTooLate")).isEqualTo(1);
        assertThat(metrics.count("cancelled")).isZero();
    }

    @Test
    void shouldCancelAnEventWhoseCancelCameFirstUntilTheHorizon() throws Exception {
        open(8, 100);
        cancel("early", "changed our mind");
        assertThat(metrics.count("cancelsRemembered")).isEqualTo(1);
        at(NOW.plusSeconds(30));
        send(event("early", NOW.plusSeconds(600), "u1"));

        assertThat(records())
                .extracting(Delivery::userId, Delivery::reason)
                .containsExactly(tuple("u1", ScheduleEvents.CANCELLED));
        assertThat(harness.numProcessingTimeTimers()).isZero();
        at(NOW.plusSeconds(601));
        assertThat(released()).isEmpty();

        // Past the horizon the cancel is forgotten.
        cancel("forgotten", null);
        at(NOW.plus(HORIZON).plusSeconds(602));
        send(event("forgotten", NOW.plus(HORIZON).plusSeconds(700), "u1"));
        assertThat(records()).isEmpty();
        at(NOW.plus(HORIZON).plusSeconds(700));
        assertThat(released()).containsExactly("forgotten");
    }

    /** Held events, due lists and remembered cancels survive a snapshot and restore on RocksDB. */
    @Test
    void shouldRestoreHeldEventsAndCancelsFromASnapshotOnRocksDb() throws Exception {
        open(4, 2);
        Instant due = NOW.plusSeconds(120);
        for (int i = 0; i < 6; i++) {
            send(event("e" + i, due, "u" + i));
        }
        send(event("gone", due, "u9"));
        cancel("gone", null);
        cancel("later", null);
        records();
        OperatorSubtaskState snapshot = harness.snapshot(1, NOW.toEpochMilli());
        harness.close();
        harnesses.remove(harness);

        open(4, 2, snapshot);
        assertThat(harness.numProcessingTimeTimers()).isBetween(1, 4);
        at(due.minusMillis(1));
        assertThat(released()).isEmpty();
        at(due);
        List<String> first = released();
        at(due.plusSeconds(1));
        List<String> all = new ArrayList<>(first);
        all.addAll(released());
        at(due.plusSeconds(2));
        all.addAll(released());
        assertThat(all).containsExactlyInAnyOrder("e0", "e1", "e2", "e3", "e4", "e5");
        assertThat(first).hasSizeLessThanOrEqualTo(4 * 2);

        send(event("later", due.plusSeconds(60), "u1"));
        assertThat(records())
                .extracting(Delivery::eventId, Delivery::reason)
                .containsExactly(tuple("later", ScheduleEvents.CANCELLED));
        cancel("e0", null);
        assertThat(metrics.count("cancelTooLate")).isEqualTo(1);
    }

    @Test
    void shouldValidateTheScheduleSettingsAtStartNamingTheKey() {
        Configuration config = new Configuration();
        assertThat(PipelineSettings.from(config).schedule())
                .isEqualTo(
                        new PipelineSettings.ScheduleSettings(
                                Duration.ofDays(30), Duration.ofSeconds(1), 128, 200));

        config.set(JobOptions.SCHEDULE_SLOTS, 200);
        assertThatThrownBy(() -> PipelineSettings.from(config))
                .hasMessageContaining("schedule.slots")
                .hasMessageContaining("job.max-parallelism");
        config.set(JobOptions.SCHEDULE_SLOTS, 256);
        assertThat(PipelineSettings.from(config).schedule().slots()).isEqualTo(256);

        config.set(JobOptions.SCHEDULE_RELEASE_BATCH, 0);
        assertThatThrownBy(() -> PipelineSettings.from(config))
                .hasMessageContaining("schedule.release-batch");
        config.set(JobOptions.SCHEDULE_RELEASE_BATCH, 10);

        config.set(JobOptions.SCHEDULE_TIMER_RESOLUTION, Duration.ZERO);
        assertThatThrownBy(() -> PipelineSettings.from(config))
                .hasMessageContaining("schedule.timer-resolution");
        config.set(JobOptions.SCHEDULE_TIMER_RESOLUTION, Duration.ofDays(31));
        assertThatThrownBy(() -> PipelineSettings.from(config))
                .hasMessageContaining("schedule.timer-resolution")
                .hasMessageContaining("schedule.max-horizon");
    }

    // --- helpers

    private void open(int slots, int batch) throws Exception {
        open(slots, batch, null);
    }

    private void open(int slots, int batch, OperatorSubtaskState restore) throws Exception {
        this.slots = slots;
        int n = slots;
        metrics = new OperatorMetrics();
        allMetrics.add(metrics);
        var h =
                new KeyedTwoInputHarness<
                        Integer, NotificationEvent, Cancellation, NotificationEvent>(
                        new KeyedCoProcessOperator<>(
                                new ScheduleEvents(
                                        new PipelineSettings.ScheduleSettings(
                                                HORIZON, Duration.ofSeconds(1), slots, batch))),
                        e -> ScheduleEvents.slot(e.eventId(), n),
                        c -> ScheduleEvents.slot(c.eventId(), n),
                        Types.INT,
                        metrics.environment());
        outputs = PolicyHarness.open(h, rocksDb, NOW.toEpochMilli(), restore);
        harnesses.add(h);
        harness = h;
    }

    private void at(Instant t) throws Exception {
        harness.setStateTtlProcessingTime(t.toEpochMilli());
        harness.setProcessingTime(t.toEpochMilli());
    }

    private void send(NotificationEvent e) throws Exception {
        harness.processElement1(e, harness.getProcessingTime());
    }

    private void cancel(String eventId, String reason) throws Exception {
        Instant now = Instant.ofEpochMilli(harness.getProcessingTime());
        harness.processElement2(
                new Cancellation(eventId, reason, now), harness.getProcessingTime());
    }

    /** The event ids released since the last call. */
    private List<String> released() {
        return outputs.newOutput().stream().map(NotificationEvent::eventId).toList();
    }

    /** The delivery records since the last call. */
    private List<Delivery> records() {
        return outputs.newDeliveries();
    }

    private static NotificationEvent event(String eventId, Instant sendAt, String... userIds) {
        return new NotificationEvent(
                eventId,
                "news.daily",
                "news",
                List.of(userIds),
                "news.daily",
                Map.of(),
                null,
                Priority.NORMAL,
                sendAt,
                NOW,
                NOW,
                "notification-events-0@" + Math.abs(eventId.hashCode()),
                null);
    }

    private static NotificationEvent withAudience(NotificationEvent e, Audience audience) {
        return new NotificationEvent(
                e.eventId(),
                e.type(),
                e.category(),
                List.of(),
                e.templateId(),
                e.data(),
                e.channels(),
                e.priority(),
                e.sendAt(),
                e.createdAt(),
                e.receivedAt(),
                e.sourceRef(),
                audience);
    }
}
