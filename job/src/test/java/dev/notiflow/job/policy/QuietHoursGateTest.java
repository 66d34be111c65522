package dev.notiflow.job.policy;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;

import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.model.Cancellation;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.QuietHours;
import dev.notiflow.model.SendRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuietHoursGateTest {

    private static final QuietHours NIGHT = new QuietHours("22:00", "07:00");

    private final List<
                    KeyedBroadcastOperatorTestHarness<
                            String, SendRequest, Cancellation, SendRequest>>
            harnesses = new ArrayList<>();

    @TempDir Path rocksDb;

    private KeyedBroadcastOperatorTestHarness<String, SendRequest, Cancellation, SendRequest>
            harness;
    private PolicyHarness<SendRequest> outputs;

    @AfterEach
    void tearDown() throws Exception {
        for (var h : harnesses) {
            h.close();
        }
    }

    @Test
    void shouldHoldANotificationAcrossMidnightUntilTheWindowEndsInTheUsersZone() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null); // 23:30 in Berlin
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).isEmpty();

        at("2026-11-23T05:59:59Z"); // 06:59:59 in Berlin
        assertThat(passed()).isEmpty();
        at("2026-11-23T06:00:00Z"); // 07:00 in Berlin
        List<SendRequest> out = harness.extractOutputValues();
        assertThat(out).hasSize(1);
        // Released unchanged.
        assertThat(out.get(0))
                .isEqualTo(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(records()).isEmpty();
    }

    @Test
    void shouldPassANotificationOutsideTheWindow() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T06:00:00Z", null); // 07:00 in Berlin
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).containsExactly("e1");
        at("2026-11-22T20:59:59Z"); // 21:59:59 in Berlin
        send(email("e2", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).containsExactly("e2");
        at("2026-11-22T21:00:00Z"); // 22:00 in Berlin: the window starts
        send(email("e3", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).isEmpty();
    }

    @Test
    void shouldReleaseTheSameLocalWindowAtDifferentInstantsInTwoZones() throws Exception {
        // 22:30 in Berlin, 06:30 the next morning in Tokyo: both inside 22:00-07:00.
        open(QuietHoursPolicy.defaults(), "2026-11-22T21:30:00Z", null);
        send(email("berlin", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("tokyo", "news", "u2", "Asia/Tokyo", NIGHT, Priority.NORMAL));
        assertThat(passed()).isEmpty();

        at("2026-11-22T21:59:59Z");
        assertThat(passed()).isEmpty();
        at("2026-11-22T22:00:00Z"); // 07:00 in Tokyo
        assertThat(passed()).containsExactly("tokyo");
        at("2026-11-23T05:59:59Z");
        assertThat(passed()).isEmpty();
        at("2026-11-23T06:00:00Z"); // 07:00 in Berlin
        assertThat(passed()).containsExactly("berlin");
    }

    @Test
    void shouldEndAWindowWhoseEndFallsInTheSpringForwardGapWhenTheClockJumpsPastIt()
            throws Exception {
        // New York, 2027-03-14: 02:00 EST becomes 03:00 EDT at 07:00Z; 02:30 never happens.
        QuietHours hours = new QuietHours("22:00", "02:30");
        open(QuietHoursPolicy.defaults(), "2027-03-14T04:00:00Z", null); // 23:00 EST
        send(email("before", "news", "u1", "America/New_York", hours, Priority.NORMAL));
        at("2027-03-14T06:30:00Z"); // 01:30 EST
        send(email("late", "news", "u2", "America/New_York", hours, Priority.NORMAL));
        assertThat(passed()).isEmpty();

        at("2027-03-14T06:59:59Z");
        assertThat(passed()).isEmpty();
        at("2027-03-14T07:00:00Z"); // 03:00 EDT
        assertThat(passed()).containsExactlyInAnyOrder("before", "late");
        send(email("after", "news", "u1", "America/New_York", hours, Priority.NORMAL));
        assertThat(passed()).containsExactly("after");
    }

    @Test
    void shouldEndAWindowAtTheFirstOccurrenceOfItsEndOnTheFallBackDay() throws Exception {
        // New York, 2027-11-07: 02:00 EDT becomes 01:00 EST at 06:00Z; 01:30 happens twice.
        QuietHours hours = new QuietHours("22:00", "01:30");
        open(QuietHoursPolicy.defaults(), "2027-11-07T03:00:00Z", null); // 23:00 EDT
        send(email("e1", "news", "u1", "America/New_York", hours, Priority.NORMAL));
        assertThat(passed()).isEmpty();

        at("2027-11-07T05:29:59Z");
        assertThat(passed()).isEmpty();
        at("2027-11-07T05:30:00Z"); // 01:30 EDT
        assertThat(passed()).containsExactly("e1");

        // 01:10 EST, the second 01:10 of the night: the window has ended already.
        at("2027-11-07T06:10:00Z");
        send(email("e2", "news", "u1", "America/New_York", hours, Priority.NORMAL));
        assertThat(passed()).containsExactly("e2");
    }

    @Test
    void shouldNeverHoldHighPriority() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(email("e1", "security", "u1", "Europe/Berlin", NIGHT, Priority.HIGH));
        assertThat(passed()).containsExactly("e1");
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldHoldLowPriority() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.LOW));
        assertThat(passed()).isEmpty();
    }

    @Test
    void shouldPassAUserWithoutQuietHoursOrWithAnEmptyWindow() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(email("e1", "news", "u1", "Europe/Berlin", null, Priority.NORMAL));
        send(
                email(
                        "e2",
                        "news",
                        "u2",
                        "Europe/Berlin",
                        new QuietHours("22:00", "22:00"),
                        Priority.NORMAL));
        assertThat(passed()).containsExactly("e1", "e2");
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldPassAProfileWhoseQuietHoursOrZoneDoNotParse() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(
                email(
                        "e1",
                        "news",
                        "u1",
                        "Europe/Berlin",
                        new QuietHours("22h", "07:00"),
                        Priority.NORMAL));
        send(email("e2", "news", "u2", "Mars/Olympus", NIGHT, Priority.NORMAL));
        assertThat(passed()).containsExactly("e1", "e2");
    }

    @Test
    void shouldDropOrIgnorePerCategoryAndDeferTheRest() throws Exception {
        open(
                QuietHoursPolicy.parse(
                        "zone",
                        "UTC",
                        "categories",
                        Map.of("marketing", "drop", "social", "ignore")),
                "2026-11-22T22:30:00Z",
                null);
        send(email("m1", "marketing", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("s1", "social", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("n1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).containsExactly("s1");

        List<Delivery> dropped = records();
        assertThat(dropped).hasSize(1);
        Delivery d = dropped.get(0);
        assertThat(d.eventId()).isEqualTo("m1");
        assertThat(d.status()).isEqualTo(DeliveryStatus.SKIPPED);
        assertThat(d.reason()).isEqualTo(QuietHoursGate.QUIET_HOURS);
        assertThat(d.notificationId())
                .isEqualTo(NotificationIds.of("m1", "u1", Channel.EMAIL, null));
        assertThat(d.detail()).contains("22:00-07:00").contains("2026-11-23T06:00:00Z");

        at("2026-11-23T06:00:00Z");
        assertThat(passed()).containsExactly("n1");
    }

    @Test
    void shouldApplyTheWildcardActionToCategoriesWithoutTheirOwn() throws Exception {
        open(
                QuietHoursPolicy.parse(
                        "zone", "UTC", "categories", Map.of("*", "drop", "order", "defer")),
                "2026-11-22T22:30:00Z",
                null);
        send(email("o1", "order", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("n1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).isEmpty();
        assertThat(records()).extracting(Delivery::eventId).containsExactly("n1");
    }

    @Test
    void shouldUseTheDefaultZoneForAUserWithoutOne() throws Exception {
        // 22:30 in Tokyo; 13:30 in UTC, outside the window there.
        open(
                QuietHoursPolicy.parse("zone", "Asia/Tokyo", "categories", Map.of()),
                "2026-11-22T13:30:00Z",
                null);
        send(email("e1", "news", "u1", null, NIGHT, Priority.NORMAL));
        assertThat(passed()).isEmpty();
        at("2026-11-22T21:59:59Z");
        assertThat(passed()).isEmpty();
        at("2026-11-22T22:00:00Z"); // 07:00 in Tokyo
        assertThat(passed()).containsExactly("e1");
    }

    @Test
    void shouldShareOneTimerPerKeyAndMinuteAndReleaseAtTheWholeMinute() throws Exception {
        QuietHours endsOddly = new QuietHours("22:00", "07:00:30");
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("e2", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("e3", "news", "u2", "Europe/Berlin", endsOddly, Priority.NORMAL));
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(2);

        at("2026-11-23T06:00:00Z");
        assertThat(passed()).containsExactly("e1", "e2");
        at("2026-11-23T06:00:59.999Z");
        assertThat(passed()).isEmpty();
        at("2026-11-23T06:01:00Z");
        assertThat(passed()).containsExactly("e3");
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldCancelAWaitingNotificationWhenItsTimerFires() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(email("e2", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        at("2026-11-23T01:00:00Z");
        harness.processBroadcastElement(
                new Cancellation("e1", "order refunded", Instant.parse("2026-11-23T01:00:00Z")),
                time());
        assertThat(records()).isEmpty();

        at("2026-11-23T06:00:00Z");
        assertThat(passed()).containsExactly("e2");
        List<Delivery> cancelled = records();
        assertThat(cancelled).hasSize(1);
        assertThat(cancelled.get(0).eventId()).isEqualTo("e1");
        assertThat(cancelled.get(0).status()).isEqualTo(DeliveryStatus.SKIPPED);
        assertThat(cancelled.get(0).reason()).isEqualTo(QuietHoursGate.CANCELLED);
        assertThat(cancelled.get(0).finalAt()).isEqualTo(Instant.parse("2026-11-23T06:00:00Z"));
    }

    @Test
    void shouldEndANotificationCancelledBeforeItArrivedAtOnce() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        harness.processBroadcastElement(
                new Cancellation("e1", null, Instant.parse("2026-11-22T22:00:00Z")), time());
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        assertThat(passed()).isEmpty();
        assertThat(records()).extracting(Delivery::reason).containsExactly("CANCELLED");
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldPruneCancellationsOlderThanTheLongestWait() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        harness.processBroadcastElement(
                new Cancellation("old", null, Instant.parse("2026-11-21T22:00:00Z")), time());
        harness.processBroadcastElement(
                new Cancellation("recent", null, Instant.parse("2026-11-22T00:00:00Z")), time());
        harness.processBroadcastElement(
                new Cancellation("now", null, Instant.parse("2026-11-22T22:30:00Z")), time());
        var state = harness.getBroadcastState(QuietHoursGate.CANCELLATIONS);
        assertThat(state.contains("old")).isFalse();
        assertThat(state.contains("recent")).isTrue();
        assertThat(state.contains("now")).isTrue();
    }

    @Test
    void shouldKeepWaitingNotificationsAndCancellationsAcrossARestoreOnRocksDb() throws Exception {
        open(QuietHoursPolicy.defaults(), "2026-11-22T22:30:00Z", null);
        send(email("e1", "news", "u1", "Europe/Berlin", NIGHT, Priority.NORMAL));
        send(
                email(
                        "e2",
                        "news",
                        "u2",
                        "Europe/Berlin",
                        new QuietHours("22:00", "06:00"),
                        Priority.NORMAL));
        harness.processBroadcastElement(
                new Cancellation("e2", null, Instant.parse("2026-11-22T22:30:00Z")), time());
        OperatorSubtaskState snapshot = harness.snapshot(1, time());
        harness.close();
        harnesses.clear();

        open(QuietHoursPolicy.defaults(), "2026-11-22T22:31:00Z", snapshot);
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(2);
        at("2026-11-23T05:00:00Z");
        assertThat(passed()).isEmpty();
        assertThat(records()).extracting(Delivery::eventId).containsExactly("e2");
        at("2026-11-23T06:00:00Z");
        assertThat(passed()).containsExactly("e1");
    }

    @Test
    void shouldRefuseToStartWithABadZoneOrActionNamingTheKey() {
        Configuration zone = new Configuration();
        zone.set(JobOptions.QUIET_HOURS_DEFAULT_ZONE, "Mars/Olympus");
        assertThatThrownBy(() -> PipelineSettings.from(zone))
                .hasMessageContaining("quiet-hours.default-zone")
                .hasMessageContaining("Mars/Olympus");
        Configuration action = new Configuration();
        action.setString("quiet-hours.categories", "marketing:later");
        assertThatThrownBy(() -> PipelineSettings.from(action))
                .hasMessageContaining("quiet-hours.categories")
                .hasMessageContaining("later");
        Configuration fine = new Configuration();
        fine.setString("quiet-hours.categories", "marketing:drop,*:ignore");
        assertThat(PipelineSettings.from(fine).quietHours().action("marketing"))
                .isEqualTo(QuietHoursPolicy.Action.DROP);
        assertThat(PipelineSettings.from(fine).quietHours().action("news"))
                .isEqualTo(QuietHoursPolicy.Action.IGNORE);
    }

    @Test
    void shouldComputeWindowEndsInTheZone() {
        ZoneId ny = ZoneId.of("America/New_York");
        assertThat(
                        QuietHoursGate.windowEnd(
                                Instant.parse("2026-07-01T14:00:00Z"), // 10:00 EDT
                                ny,
                                LocalTime.of(9, 0),
                                LocalTime.of(17, 0)))
                .isEqualTo(Instant.parse("2026-07-01T21:00:00Z"));
        assertThat(
                        QuietHoursGate.windowEnd(
                                Instant.parse("2026-07-01T12:59:59Z"),
                                ny,
                                LocalTime.of(9, 0),
                                LocalTime.of(17, 0)))
                .isNull();
    }

    private void open(QuietHoursPolicy policy, String now, OperatorSubtaskState restore)
            throws Exception {
        var h =
                new KeyedBroadcastOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new QuietHoursGate(policy), List.of(QuietHoursGate.CANCELLATIONS)),
                        Throttle::key,
                        Types.STRING,
                        128,
                        1,
                        0);
        outputs = PolicyHarness.open(h, rocksDb, Instant.parse(now).toEpochMilli(), restore);
        harnesses.add(h);
        harness = h;
    }

    private void at(String instant) throws Exception {
        harness.setProcessingTime(Instant.parse(instant).toEpochMilli());
    }

    private long time() {
        return harness.getProcessingTime();
    }

    private void send(SendRequest r) throws Exception {
        harness.processElement(r, time());
    }

    /** The event ids passed on since the last call. */
    private List<String> passed() {
        return outputs.newOutput().stream().map(SendRequest::eventId).toList();
    }

    /** The records on the deliveries side output since the last call. */
    private List<Delivery> records() {
        return outputs.newDeliveries();
    }

    private static SendRequest email(
            String eventId,
            String category,
            String userId,
            String zone,
            QuietHours hours,
            Priority priority) {
        return SendRequest.builder()
                .notificationId(NotificationIds.of(eventId, userId, Channel.EMAIL, null))
                .eventId(eventId)
                .userId(userId)
                .type(category + ".news")
                .category(category)
                .channel(Channel.EMAIL)
                .provider(Provider.SMTP)
                .address(userId + "@example.com")
                .locale("en")
                .priority(priority)
                .data(Map.of())
                .createdAt(Instant.parse("2026-11-22T00:00:00Z"))
                .receivedAt(Instant.parse("2026-11-22T00:00:00Z"))
                .timeZone(zone)
                .quietHours(hours)
                .build();
    }
}
