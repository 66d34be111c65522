package dev.notiflow.job.policy;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import dev.notiflow.job.operators.OperatorMetrics;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class ThrottleTest {

    /** Midnight: {@code at("00:59")} is 59 minutes later. */
    private static final Instant MIDNIGHT = Instant.parse("2026-11-22T00:00:00Z");

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final OperatorMetrics metrics = new OperatorMetrics();
    private final List<KeyedOneInputStreamOperatorTestHarness<String, SendRequest, SendRequest>>
            harnesses = new ArrayList<>();

    @TempDir Path rocksDb;

    private KeyedOneInputStreamOperatorTestHarness<String, SendRequest, SendRequest> harness;
    private PolicyHarness<SendRequest> outputs;

    @AfterEach
    void tearDown() throws Exception {
        for (var h : harnesses) {
            h.close();
        }
        metrics.close();
    }

    @Test
    void shouldHoldALimitAcrossAWindowEdgeBecauseWindowsRoll() throws Exception {
        open(rules("marketing:push<=3/1h"), Set.of(), Duration.ofHours(1), Set.of());

        at("00:59");
        for (int i = 1; i <= 3; i++) {
            send(push("m" + i, "marketing", "u1", "t1"));
        }
        assertThat(passed()).containsExactly("m1", "m2", "m3");

        // A calendar hour starts at 01:00 and would let three more through.
        at("01:01");
        for (int i = 4; i <= 6; i++) {
            send(push("m" + i, "marketing", "u1", "t1"));
        }
        assertThat(passed()).isEmpty();
        List<Delivery> skips = skips();
        assertThat(skips).hasSize(3);
        assertThat(skips)
                .allSatisfy(
                        d -> {
                            assertThat(d.status()).isEqualTo(DeliveryStatus.SKIPPED);
                            assertThat(d.reason()).isEqualTo(Throttle.THROTTLED);
                            assertThat(d.detail()).isEqualTo("marketing:push<=3/1h");
                        });

        // Within the hour after the 00:59 sends: held back.
        at("01:58");
        send(push("m7", "marketing", "u1", "t1"));
        assertThat(passed()).isEmpty();
        // An hour and a bucket after the bucket of 00:59: free again, for one.
        at("02:00");
        send(push("m8", "marketing", "u1", "t1"));
        send(push("m9", "marketing", "u1", "t1"));
        assertThat(passed()).containsExactly("m8", "m9");
        assertThat(metrics.count("push.marketing.throttled")).isEqualTo(4);
    }

    /**
     * Over a long irregular stream, no interval of one hour ever holds more than the limit, and
     * nothing is held back once the last hour and a bucket hold fewer.
     */
    @Test
    void shouldNeverLetAnyHourHoldMoreThanTheLimit() throws Exception {
        open(rules("marketing:email<=3/1h"), Set.of(), Duration.ofHours(1), Set.of());
        List<Long> sent = new ArrayList<>();
        long t = MIDNIGHT.toEpochMilli();
        for (int i = 0; i < 200; i++) {
            t += 1_000L * (17 + (i * 7919L) % 1500);
            setTime(t);
            harness.processElement(email("e" + i, "marketing", "u1"), t);
            List<String> out = passed();
            List<Delivery> skipped = skips();
            if (out.isEmpty()) {
                assertThat(skipped).hasSize(1);
                long now = t;
                long recent =
                        sent.stream()
                                .filter(s -> s > now - Duration.ofMinutes(61).toMillis())
                                .count();
                assertThat(recent)
                        .as("held back at %s with fewer than 3 sends in the last 61 min", now)
                        .isGreaterThanOrEqualTo(3);
            } else {
                assertThat(skipped).isEmpty();
                sent.add(t);
            }
        }
        assertThat(sent).hasSizeGreaterThan(40);
        for (int i = 3; i < sent.size(); i++) {
            assertThat(sent.get(i) - sent.get(i - 3))
                    .as("sends %s and %s within one hour", i - 3, i)
                    .isGreaterThanOrEqualTo(Duration.ofHours(1).toMillis());
        }
    }

    @Test
    void shouldApplyEveryRuleAndNameTheOneThatHoldsLongest() throws Exception {
        open(
                rules("marketing:push<=1/10min,marketing:*<=2/1h"),
                Set.of(),
                Duration.ofHours(1),
                Set.of());

        at("00:00");
        send(push("a", "marketing", "u1", "t1"));
        at("00:01");
        send(push("b", "marketing", "u1", "t1"));
        at("00:11");
        send(push("c", "marketing", "u1", "t1"));
        at("00:12");
        send(push("d", "marketing", "u1", "t1"));
        // Another category is not capped by these rules.
        send(push("o", "order", "u1", "t1"));

        assertThat(passed()).containsExactly("a", "c", "o");
        assertThat(skips())
                .extracting(Delivery::eventId, Delivery::detail)
                .containsExactly(
                        tuple("b", "marketing:push<=1/10min"),
                        // both exceeded: the hour frees at 01:01, ten minutes at 00:22
                        tuple("d", "marketing:*<=2/1h"));
    }

    @Test
    void shouldCountAPushToManyDevicesOnceAndSkipItOnce() throws Exception {
        open(rules("marketing:push<=2/1h"), Set.of(), Duration.ofHours(1), Set.of());

        at("00:00");
        send(push("e1", "marketing", "u1", "t1"), push("e1", "marketing", "u1", "t2"));
        send(push("e1", "marketing", "u1", "t3"));
        at("00:05");
        send(push("e2", "marketing", "u1", "t1"), push("e2", "marketing", "u1", "t2"));
        at("00:10");
        SendRequest withFallback =
                push("e3", "marketing", "u1", "t1").withFallback(Channel.SMS, "+14155552671");
        send(
                withFallback,
                push("e3", "marketing", "u1", "t2"),
                push("e3", "marketing", "u1", "t3"));

        assertThat(passed()).containsExactly("e1", "e1", "e1", "e2", "e2");
        List<Delivery> skips = skips();
        assertThat(skips).hasSize(1);
        Delivery d = skips.get(0);
        assertThat(d.eventId()).isEqualTo("e3");
        assertThat(d.channel()).isEqualTo(Channel.PUSH);
        assertThat(d.device()).isNull();
        assertThat(d.provider()).isNull();
        assertThat(d.platform()).isNull();
        assertThat(d.attempts()).isZero();
        assertThat(d.notificationId())
                .isEqualTo(NotificationIds.of("e3", "u1", Channel.PUSH, null));
        assertThat(d.detail()).isEqualTo("marketing:push<=2/1h");
        assertThat(metrics.count("push.marketing.throttled")).isEqualTo(1);
    }

    @Test
    void shouldReleaseADeferredNotificationWhenItsWindowFrees() throws Exception {
        open(rules("digest:push<=1/1h"), Set.of("digest"), Duration.ofHours(2), Set.of());

        at("00:10");
        send(push("d1", "digest", "u1", "t1"));
        at("00:20");
        send(push("d2", "digest", "u1", "t1"), push("d2", "digest", "u1", "t2"));
        at("00:30");
        send(push("d3", "digest", "u1", "t1"));
        assertThat(passed()).containsExactly("d1");
        assertThat(skips()).isEmpty();
        assertThat(metrics.count("push.digest.deferred")).isEqualTo(2);
        // One timer per release bucket: 01:11 for d2 (both devices), 02:12 for d3.
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(2);

        at("01:10:59.999");
        assertThat(passed()).isEmpty();
        at("01:11");
        assertThat(passed()).containsExactly("d2", "d2");
        at("02:11:59.999");
        assertThat(passed()).isEmpty();
        at("02:12");
        assertThat(passed()).containsExactly("d3");
        assertThat(harness.numProcessingTimeTimers()).isZero();

        // The released ones count: d4 waits for d3's hour.
        at("02:13");
        send(push("d4", "digest", "u1", "t1"));
        assertThat(passed()).isEmpty();
        at("03:13");
        assertThat(passed()).containsExactly("d4");
        assertThat(skips()).isEmpty();
    }

    @Test
    void shouldThrottleADeferredNotificationWhoseWindowDoesNotFreeWithinTheMaxDefer()
            throws Exception {
        // At 00:20 the slot of the 00:10 send frees at 01:11, 51 minutes later.
        open(rules("digest:push<=1/1h"), Set.of("digest"), Duration.ofMinutes(50), Set.of());
        at("00:10");
        send(push("d1", "digest", "u1", "t1"));
        at("00:20");
        send(push("d2", "digest", "u1", "t1"), push("d2", "digest", "u1", "t2"));

        assertThat(passed()).containsExactly("d1");
        assertThat(skips())
                .extracting(Delivery::eventId, Delivery::reason, Delivery::detail)
                .containsExactly(
                        tuple(
                                "d2",
                                Throttle.THROTTLED,
                                "digest:push<=1/1h (no slot within throttle.max-defer)"));
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(metrics.count("push.digest.throttled")).isEqualTo(1);

        // With exactly 51 minutes it waits.
        harness.close();
        harnesses.clear();
        open(rules("digest:push<=1/1h"), Set.of("digest"), Duration.ofMinutes(51), Set.of());
        at("00:10");
        send(push("d1", "digest", "u1", "t1"));
        at("00:20");
        send(push("d2", "digest", "u1", "t1"));
        assertThat(passed()).containsExactly("d1");
        assertThat(skips()).isEmpty();
        at("01:11");
        assertThat(passed()).containsExactly("d2");
    }

    @Test
    void shouldNeverHoldBackABypassPriorityButCountItsSends() throws Exception {
        open(rules("marketing:sms<=2/1h"), Set.of(), Duration.ofHours(1), Set.of(Priority.HIGH));

        at("00:00");
        send(sms("h1", "marketing", "u1", Priority.HIGH));
        send(sms("h2", "marketing", "u1", Priority.HIGH));
        send(sms("n1", "marketing", "u1", Priority.NORMAL));
        send(sms("h3", "marketing", "u1", Priority.HIGH));

        assertThat(passed()).containsExactly("h1", "h2", "h3");
        assertThat(skips()).extracting(Delivery::eventId).containsExactly("n1");
    }

    @Test
    void shouldKeepCountsAndDeferredNotificationsAcrossSnapshotAndRestore() throws Exception {
        ThrottleRules rules =
                new ThrottleRules(
                        ThrottleRules.parse(
                                "throttle.rules", "marketing:push<=2/1h,digest:push<=1/1h"),
                        MINUTE,
                        Set.of("digest"),
                        Duration.ofHours(2),
                        Set.of());
        open(rules);
        at("00:00");
        send(push("m1", "marketing", "u1", "t1"), push("m1", "marketing", "u1", "t2"));
        send(push("m2", "marketing", "u1", "t1"));
        send(push("d1", "digest", "u1", "t1"));
        at("00:30");
        send(push("d2", "digest", "u1", "t1"));
        assertThat(passed()).containsExactly("m1", "m1", "m2", "d1");
        OperatorSubtaskState snapshot = harness.snapshot(1, time());
        harness.close();
        harnesses.clear();

        open(rules, snapshot);
        at("00:40");
        send(push("m3", "marketing", "u1", "t1"));
        assertThat(passed()).isEmpty();
        assertThat(skips()).extracting(Delivery::eventId).containsExactly("m3");
        at("01:01");
        assertThat(passed()).containsExactly("d2");
        send(push("m4", "marketing", "u1", "t1"));
        assertThat(passed()).containsExactly("m4");
    }

    // --- helpers -------------------------------------------------------------------------------

    private static List<ThrottleRules.Rule> rules(String spec) {
        return ThrottleRules.parse("throttle.rules", spec);
    }

    private void open(
            List<ThrottleRules.Rule> rules,
            Set<String> defer,
            Duration maxDefer,
            Set<Priority> bypass)
            throws Exception {
        open(new ThrottleRules(rules, MINUTE, defer, maxDefer, bypass));
    }

    private void open(ThrottleRules rules) throws Exception {
        open(rules, null);
    }

    private void open(ThrottleRules rules, OperatorSubtaskState restore) throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new Throttle(rules)),
                        Throttle::key,
                        Types.STRING,
                        metrics.environment());
        outputs = PolicyHarness.open(h, rocksDb, MIDNIGHT.toEpochMilli(), restore);
        harnesses.add(h);
        harness = h;
    }

    /** Moves both clocks (timers and state TTL) to a time of day, e.g. {@code 01:10:59.999}. */
    private void at(String timeOfDay) throws Exception {
        String t = timeOfDay.length() == 5 ? timeOfDay + ":00" : timeOfDay;
        setTime(MIDNIGHT.toEpochMilli() + LocalTime.parse(t).toNanoOfDay() / 1_000_000);
    }

    private void setTime(long millis) throws Exception {
        harness.setStateTtlProcessingTime(millis);
        harness.setProcessingTime(millis);
    }

    private long time() {
        return harness.getProcessingTime();
    }

    private void send(SendRequest... requests) throws Exception {
        for (SendRequest r : requests) {
            harness.processElement(r, time());
        }
    }

    /** The event ids passed on since the last call. */
    private List<String> passed() {
        return outputs.newOutput().stream().map(SendRequest::eventId).toList();
    }

    /** The THROTTLED records since the last call. */
    private List<Delivery> skips() {
        return outputs.newDeliveries();
    }

    private static SendRequest push(String eventId, String category, String userId, String token) {
        return request(
                eventId,
                category,
                userId,
                Channel.PUSH,
                Provider.APNS,
                Platform.IOS,
                token,
                null,
                Priority.NORMAL);
    }

    private static SendRequest email(String eventId, String category, String userId) {
        return request(
                eventId,
                category,
                userId,
                Channel.EMAIL,
                Provider.SMTP,
                null,
                null,
                userId + "@example.com",
                Priority.NORMAL);
    }

    private static SendRequest sms(
            String eventId, String category, String userId, Priority priority) {
        return request(
                eventId,
                category,
                userId,
                Channel.SMS,
                Provider.TWILIO,
                null,
                null,
                "+14155552671",
                priority);
    }

    private static SendRequest request(
            String eventId,
            String category,
            String userId,
            Channel channel,
            Provider provider,
            Platform platform,
            String token,
            String address,
            Priority priority) {
        return SendRequest.builder()
                .notificationId(NotificationIds.of(eventId, userId, channel, token))
                .eventId(eventId)
                .userId(userId)
                .type(category + ".news")
                .category(category)
                .channel(channel)
                .provider(provider)
                .platform(platform)
                .token(token)
                .appId(token == null ? null : "com.example.app")
                .address(address)
                .locale("en")
                .priority(priority)
                .templateId(category + ".news")
                .data(Map.of("title", "t"))
                .createdAt(MIDNIGHT)
                .receivedAt(MIDNIGHT)
                .build();
    }
}
