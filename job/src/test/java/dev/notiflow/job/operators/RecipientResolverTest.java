package dev.notiflow.job.operators;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static dev.notiflow.job.operators.Fixtures.ONE_HOUR_EARLIER;
import static dev.notiflow.job.operators.Fixtures.ONE_MINUTE_LATER;
import static dev.notiflow.job.operators.Fixtures.device;
import static dev.notiflow.job.operators.Fixtures.event;
import static dev.notiflow.job.operators.Fixtures.prefs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class RecipientResolverTest {

    private static final Duration PROFILE_WAIT = Duration.ofSeconds(30);
    private static final Duration DEVICE_TTL = Duration.ofDays(270);
    private static final List<Channel> ALL = List.of(Channel.PUSH, Channel.SMS, Channel.EMAIL);

    private KeyedTwoInputStreamOperatorTestHarness<String, RecipientEvent, UserUpdate, SendRequest>
            harness;

    @BeforeEach
    void setUp() throws Exception {
        harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(
                                new RecipientResolver(PROFILE_WAIT, DEVICE_TTL)),
                        RecipientEvent::userId,
                        UserUpdate::userId,
                        Types.STRING);
        harness.setProcessingTime(0);
        harness.setStateTtlProcessingTime(0);
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    @Test
    void shouldSendOnePushPerActiveDeviceAndOnePerContactChannel() throws Exception {
        profile(prefs("u1", null, BEGINNING));
        harness.processElement2(
                UserUpdate.device(device("u1", "ios-token", Platform.IOS, BEGINNING)), 0);
        harness.processElement2(
                UserUpdate.device(device("u1", "fcm:token", Platform.ANDROID, BEGINNING)), 0);
        harness.processElement2(
                UserUpdate.device(device("u1", "web-token", Platform.WEB, BEGINNING)), 0);

        send("e1", ALL);

        assertThat(requests())
                .extracting(
                        SendRequest::channel,
                        SendRequest::provider,
                        SendRequest::token,
                        SendRequest::address)
                .containsExactlyInAnyOrder(
                        tuple(Channel.PUSH, Provider.APNS, "ios-token", null),
                        tuple(Channel.PUSH, Provider.FCM, "fcm:token", null),
                        tuple(Channel.PUSH, Provider.FCM, "web-token", null),
                        tuple(Channel.SMS, Provider.TWILIO, null, "+14155552671"),
                        tuple(Channel.EMAIL, Provider.SMTP, null, "u1@example.com"));
        assertThat(requests()).extracting(SendRequest::notificationId).doesNotHaveDuplicates();
        assertThat(skips()).isEmpty();
    }

    @Test
    void shouldWaitForTheProfileThenResolve() throws Exception {
        send("e1", List.of(Channel.EMAIL));
        assertThat(requests()).isEmpty();
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

        harness.setProcessingTime(10_000);
        profile(prefs("u1", null, BEGINNING));

        assertThat(requests()).extracting(SendRequest::channel).containsExactly(Channel.EMAIL);
        assertThat(harness.numProcessingTimeTimers()).isZero();
        harness.setProcessingTime(PROFILE_WAIT.toMillis() + 1);
        assertThat(skips()).isEmpty();
    }

    @Test
    void shouldEndAsNoProfileWhenTheProfileNeverComes() throws Exception {
        send("e1", List.of(Channel.EMAIL));
        harness.setProcessingTime(PROFILE_WAIT.toMillis() - 1);
        assertThat(skips()).isEmpty();

        harness.setProcessingTime(PROFILE_WAIT.toMillis());

        assertThat(skips())
                .extracting(Delivery::status, Delivery::reason, Delivery::userId)
                .containsExactly(tuple(DeliveryStatus.SKIPPED, "NO_PROFILE", "u1"));
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldSkipOptedOutChannelsAndCategoriesOncePerChannel() throws Exception {
        profile(prefs("u1", Map.of("push", true, "sms", false, "email", true), BEGINNING));
        harness.processElement2(UserUpdate.device(device("u1", "t1", Platform.IOS, BEGINNING)), 0);
        harness.processElement2(UserUpdate.device(device("u1", "t2", Platform.IOS, BEGINNING)), 0);
        send("e1", ALL);
        assertThat(skips())
                .extracting(Delivery::channel, Delivery::reason)
                .containsExactly(tuple(Channel.SMS, "OPTED_OUT"));

        harness.processElement1(
                new RecipientEvent(
                        "u1",
                        new dev.notiflow.model.NotificationEvent(
                                "promo-1",
                                "marketing.sale",
                                "marketing",
                                List.of("u1"),
                                "marketing.sale",
                                null,
                                null,
                                dev.notiflow.model.Priority.LOW,
                                null,
                                null,
                                BEGINNING,
                                "x",
                                null)),
                0);
        assertThat(skips())
                .filteredOn(d -> d.eventId().equals("promo-1"))
                .extracting(Delivery::channel, Delivery::reason, Delivery::device)
                .containsExactlyInAnyOrder(
                        tuple(Channel.PUSH, "CATEGORY_OPTED_OUT", null),
                        tuple(Channel.EMAIL, "CATEGORY_OPTED_OUT", null));
    }

    @Test
    void shouldUseOnlyOptedInChannelsWhenTheEventNamesNone() throws Exception {
        profile(prefs("u1", Map.of("push", false, "sms", false, "email", true), BEGINNING));
        send("e1", null);
        assertThat(requests()).extracting(SendRequest::channel).containsExactly(Channel.EMAIL);
        assertThat(skips()).isEmpty();
    }

    @Test
    void shouldSendLiveOnlyToUsersWhoTurnedItOnAndNeedNoContactForIt() throws Exception {
        profile(prefs("u1", Map.of(), BEGINNING));
        send("e1", null);
        assertThat(requests())
                .as("a user who chose no channels does not get live")
                .extracting(SendRequest::channel)
                .doesNotContain(Channel.LIVE);

        profile(prefs("u2", Map.of("live", true), BEGINNING));
        harness.processElement1(new RecipientEvent("u2", Fixtures.event("e2", null, "u2")), 0);
        assertThat(requests())
                .filteredOn(r -> "u2".equals(r.userId()))
                .extracting(SendRequest::channel, SendRequest::provider, SendRequest::address)
                .containsExactly(tuple(Channel.LIVE, Provider.LIVE, null));
    }

    @Test
    void shouldReportMissingAndInvalidContacts() throws Exception {
        profile(
                new UserPreferences(
                        "u1",
                        null,
                        "010-1234",
                        "ko-KR",
                        "Asia/Seoul",
                        null,
                        null,
                        null,
                        BEGINNING));
        send("e1", ALL);
        assertThat(requests()).isEmpty();
        assertThat(skips())
                .extracting(Delivery::channel, Delivery::status, Delivery::reason)
                .containsExactlyInAnyOrder(
                        tuple(Channel.PUSH, DeliveryStatus.SKIPPED, "NO_DEVICE"),
                        tuple(Channel.SMS, DeliveryStatus.FAILED, "INVALID_CONTACT"),
                        tuple(Channel.EMAIL, DeliveryStatus.SKIPPED, "NO_CONTACT"));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS))
                .extracting(r -> r.getValue().reason(), r -> r.getValue().channel())
                .containsExactly(tuple("INVALID_CONTACT", Channel.SMS));
    }

    @Test
    void shouldIgnoreAnOlderProfileArrivingLate() throws Exception {
        profile(prefs("u1", Map.of("email", false), BEGINNING));
        profile(prefs("u1", Map.of("email", true), ONE_HOUR_EARLIER));
        send("e1", List.of(Channel.EMAIL));
        assertThat(requests()).isEmpty();
        assertThat(skips()).extracting(Delivery::reason).containsExactly("OPTED_OUT");

        profile(prefs("u1", Map.of("email", true), ONE_MINUTE_LATER));
        send("e2", List.of(Channel.EMAIL));
        assertThat(requests()).hasSize(1);
    }

    @Test
    void shouldDeleteTheUserOnATombstone() throws Exception {
        profile(prefs("u1", null, BEGINNING));
        harness.processElement2(UserUpdate.device(device("u1", "t1", Platform.IOS, BEGINNING)), 0);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2);

        harness.processElement2(UserUpdate.preferencesDeleted("u1"), 0);

        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldUnregisterDevicesByTombstoneInactiveFlagAndIgnoreStaleRegistrations()
            throws Exception {
        profile(prefs("u1", null, BEGINNING));
        harness.processElement2(UserUpdate.device(device("u1", "t1", Platform.IOS, BEGINNING)), 0);
        harness.processElement2(
                UserUpdate.device(device("u1", "t2", Platform.ANDROID, BEGINNING)), 0);
        harness.processElement2(UserUpdate.deviceDeleted("u1", "t1"), 0);
        harness.processElement2(
                UserUpdate.device(
                        new dev.notiflow.model.DeviceToken(
                                "u1", "t2", Platform.ANDROID, "app", false, ONE_MINUTE_LATER)),
                0);
        // An older registration of t2 arriving late does not revive it.
        harness.processElement2(
                UserUpdate.device(device("u1", "t2", Platform.ANDROID, BEGINNING)), 0);

        send("e1", List.of(Channel.PUSH));

        assertThat(requests()).isEmpty();
        assertThat(skips()).extracting(Delivery::reason).containsExactly("NO_DEVICE");
    }

    @Test
    void shouldDropAnInvalidatedTokenUnlessRegisteredAgainAfterwards() throws Exception {
        profile(prefs("u1", null, BEGINNING));
        harness.processElement2(
                UserUpdate.device(device("u1", "dead", Platform.IOS, BEGINNING)), 0);
        harness.processElement2(
                UserUpdate.device(device("u1", "reborn", Platform.IOS, ONE_MINUTE_LATER)), 0);
        harness.processElement2(invalidation("dead", BEGINNING.plusSeconds(1)), 0);
        harness.processElement2(invalidation("reborn", BEGINNING.plusSeconds(1)), 0);

        send("e1", List.of(Channel.PUSH));

        assertThat(requests()).extracting(SendRequest::token).containsExactly("reborn");
    }

    @Test
    void shouldExpireDevicesNotRegisteredAgainWithinTheTtl() throws Exception {
        profile(prefs("u1", null, BEGINNING));
        harness.processElement2(UserUpdate.device(device("u1", "t1", Platform.IOS, BEGINNING)), 0);
        harness.setStateTtlProcessingTime(DEVICE_TTL.toMillis() + 1);

        send("e1", List.of(Channel.PUSH));

        assertThat(requests()).isEmpty();
        assertThat(skips()).extracting(Delivery::reason).containsExactly("NO_DEVICE");
    }

    @Test
    void shouldGiveTheSameNotificationIdOnReplay() throws Exception {
        profile(prefs("u1", null, BEGINNING));
        send("e1", List.of(Channel.EMAIL));
        send("e1", List.of(Channel.EMAIL));
        assertThat(requests())
                .extracting(SendRequest::notificationId)
                .hasSize(2)
                .containsOnly(requests().get(0).notificationId());
    }

    @Test
    void shouldFallBackToTheNextReachableChannelWhenThereIsNoDevice() throws Exception {
        harness.close();
        harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(
                                new RecipientResolver(
                                        PROFILE_WAIT,
                                        DEVICE_TTL,
                                        Map.of(
                                                "order",
                                                List.of(
                                                        Channel.PUSH,
                                                        Channel.SMS,
                                                        Channel.EMAIL)))),
                        RecipientEvent::userId,
                        UserUpdate::userId,
                        Types.STRING);
        harness.open();
        profile(prefs("u1", Map.of("push", true, "sms", false, "email", true), BEGINNING));

        send("e1", List.of(Channel.PUSH));

        assertThat(skips())
                .extracting(Delivery::channel, Delivery::reason)
                .containsExactly(tuple(Channel.PUSH, "NO_DEVICE"));
        SendRequest fallback = requests().get(0);
        assertThat(requests()).hasSize(1);
        assertThat(fallback.channel())
                .as("sms is opted out, so email is next")
                .isEqualTo(Channel.EMAIL);
        assertThat(fallback.address()).isEqualTo("u1@example.com");
        assertThat(fallback.fallbackOf()).isEqualTo(skips().get(0).notificationId());
        assertThat(fallback.lastReason()).isEqualTo("FALLBACK after push NO_DEVICE");

        harness.processElement2(UserUpdate.device(device("u1", "t1", Platform.IOS, BEGINNING)), 0);
        send("e2", List.of(Channel.PUSH));
        SendRequest push = requests().get(1);
        assertThat(push.channel()).isEqualTo(Channel.PUSH);
        assertThat(push.fallbackChannel()).isEqualTo(Channel.EMAIL);

        send("e3", List.of(Channel.PUSH, Channel.EMAIL));
        assertThat(requests().subList(2, 4))
                .as("a channel the event asked for is no fallback target")
                .allMatch(r -> r.fallbackChannel() == null);
    }

    private void profile(UserPreferences p) throws Exception {
        harness.processElement2(UserUpdate.preferences(p), 0);
    }

    private void send(String eventId, List<Channel> channels) throws Exception {
        harness.processElement1(new RecipientEvent("u1", event(eventId, channels, "u1")), 0);
    }

    private static UserUpdate invalidation(String token, java.time.Instant at) {
        return UserUpdate.tokenInvalidated(
                new TokenInvalidation(
                        "u1", token, Platform.IOS, Provider.APNS, "TOKEN_UNREGISTERED", at));
    }

    private List<SendRequest> requests() {
        return harness.extractOutputValues();
    }

    private List<Delivery> skips() {
        var records = harness.getSideOutput(OutputTags.DELIVERIES);
        return records == null ? List.of() : records.stream().map(r -> r.getValue()).toList();
    }
}
