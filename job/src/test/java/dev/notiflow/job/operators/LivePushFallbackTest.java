package dev.notiflow.job.operators;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Provider;
import dev.notiflow.model.PushDevice;
import dev.notiflow.model.PushFallback;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import dev.notiflow.sinks.live.LiveSender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static dev.notiflow.job.operators.Fixtures.device;
import static dev.notiflow.job.operators.Fixtures.event;
import static dev.notiflow.job.operators.Fixtures.prefs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * A live → push fallback ({@code live>push>email}): the resolver puts the user's active devices
 * into the live request, and the outcome router turns a live notification that did not reach the
 * user into one push per device, each the notification a push named by the event would have been,
 * with the step after push kept.
 */
class LivePushFallbackTest {

    private static final Duration PROFILE_WAIT = Duration.ofSeconds(30);
    private static final Duration DEVICE_TTL = Duration.ofDays(270);
    private static final Instant ATTEMPTED = Instant.parse("2026-11-22T09:00:00Z");
    private static final int MAX_ATTEMPTS = 3;

    private KeyedTwoInputStreamOperatorTestHarness<String, RecipientEvent, UserUpdate, SendRequest>
            resolver;
    private OneInputStreamOperatorTestHarness<SendOutcome, Delivery> outcomes;

    @BeforeEach
    void setUp() throws Exception {
        resolver =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(
                                new RecipientResolver(
                                        PROFILE_WAIT,
                                        DEVICE_TTL,
                                        Map.of(
                                                "order",
                                                List.of(
                                                        Channel.LIVE,
                                                        Channel.PUSH,
                                                        Channel.EMAIL)))),
                        RecipientEvent::userId,
                        UserUpdate::userId,
                        Types.STRING);
        resolver.open();
        outcomes = ProcessFunctionTestHarnesses.forProcessFunction(new RouteOutcomes(send()));
    }

    @AfterEach
    void tearDown() throws Exception {
        resolver.close();
        outcomes.close();
    }

    @Test
    void shouldSendOnePushPerActiveDeviceAsAPushNamedByTheEventWould() throws Exception {
        profile(prefs("u1", Map.of("live", true), BEGINNING));
        register(device("u1", "ios-token", Platform.IOS, BEGINNING));
        register(device("u1", "fcm:token", Platform.ANDROID, BEGINNING));
        register(new DeviceToken("u1", "gone-token", Platform.IOS, "com.example.app", false, null));

        send("e1", List.of(Channel.LIVE));
        SendRequest live = requests().get(0);
        assertThat(live.channel()).isEqualTo(Channel.LIVE);
        assertThat(live.fallbackChannel()).isEqualTo(Channel.PUSH);
        assertThat(live.pushFallback().devices())
                .as("the active devices only")
                .containsExactlyInAnyOrder(
                        new PushDevice("ios-token", Platform.IOS, "com.example.app"),
                        new PushDevice("fcm:token", Platform.ANDROID, "com.example.app"));

        outcomes.processElement(notConnected(live), 0);

        assertThat(outcomes.extractOutputValues())
                .extracting(Delivery::channel, Delivery::status, Delivery::reason)
                .containsExactly(
                        tuple(Channel.LIVE, DeliveryStatus.SKIPPED, LiveSender.NOT_CONNECTED));
        List<SendRequest> pushes = retries().stream().map(ScheduledRetry::request).toList();
        assertThat(pushes)
                .extracting(SendRequest::notificationId, SendRequest::provider, SendRequest::token)
                .containsExactlyInAnyOrder(
                        tuple(
                                NotificationIds.of("e1", "u1", Channel.PUSH, "ios-token"),
                                Provider.APNS,
                                "ios-token"),
                        tuple(
                                NotificationIds.of("e1", "u1", Channel.PUSH, "fcm:token"),
                                Provider.FCM,
                                "fcm:token"));
        assertThat(pushes)
                .allSatisfy(
                        p -> {
                            assertThat(p.fallbackOf()).isEqualTo(live.notificationId());
                            assertThat(p.lastReason())
                                    .isEqualTo("FALLBACK after live NOT_CONNECTED");
                            assertThat(p.fallbackChannel()).isEqualTo(Channel.EMAIL);
                            assertThat(p.fallbackAddress()).isEqualTo("u1@example.com");
                            assertThat(p.pushFallback()).isNull();
                        });
        assertThat(retries()).allMatch(r -> !r.notBefore().isAfter(Instant.now()));

        // The same event naming push: the same requests, but for which notification they replace.
        send("e1", List.of(Channel.PUSH));
        List<SendRequest> direct = requests().subList(1, requests().size());
        assertThat(
                        pushes.stream()
                                .map(p -> p.toBuilder().fallbackOf(null).lastReason(null).build()))
                .containsExactlyInAnyOrderElementsOf(direct);
    }

    @Test
    void shouldSendEachPushOnceWhenTheLiveOutcomeIsReplayed() throws Exception {
        profile(prefs("u1", Map.of("live", true), BEGINNING));
        register(device("u1", "ios-token", Platform.IOS, BEGINNING));
        register(device("u1", "fcm:token", Platform.ANDROID, BEGINNING));
        send("e1", List.of(Channel.LIVE));
        SendRequest live = requests().get(0);

        outcomes.processElement(notConnected(live), 0);
        outcomes.processElement(notConnected(live), 0);
        assertThat(retries()).hasSize(4);

        var scheduler =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new RetryScheduler()),
                        (ScheduledRetry r) -> r.request().notificationId(),
                        Types.STRING);
        scheduler.setProcessingTime(Instant.now().plusSeconds(1).toEpochMilli());
        scheduler.open();
        for (ScheduledRetry r : retries()) {
            scheduler.processElement(r, 0);
        }
        assertThat(scheduler.extractOutputValues())
                .extracting(SendRequest::token)
                .containsExactlyInAnyOrder("ios-token", "fcm:token");
        scheduler.close();
    }

    @Test
    void shouldFallBackToPushWhenTheLiveNotificationIsExhaustedButNotWhenItIsSent()
            throws Exception {
        profile(prefs("u1", Map.of("live", true), BEGINNING));
        register(device("u1", "ios-token", Platform.IOS, BEGINNING));
        send("e1", List.of(Channel.LIVE));
        SendRequest live = requests().get(0);

        outcomes.processElement(
                new SendOutcome(live, SendResult.accepted("live-1"), ATTEMPTED, 5), 0);
        assertThat(retries()).isEmpty();

        SendRequest last = live.toBuilder().attempt(MAX_ATTEMPTS).firstAttemptAt(ATTEMPTED).build();
        outcomes.processElement(
                new SendOutcome(
                        last, SendResult.retryable("ACK_TIMEOUT", "no ack", null), ATTEMPTED, 5),
                0);
        assertThat(outcomes.extractOutputValues())
                .extracting(Delivery::status)
                .containsExactly(DeliveryStatus.SENT, DeliveryStatus.EXHAUSTED);
        assertThat(retries())
                .extracting(r -> r.request().token(), r -> r.request().lastReason())
                .containsExactly(tuple("ios-token", "FALLBACK after live ACK_TIMEOUT"));
    }

    @Test
    void shouldPassOverPushForAUserWithoutAnActiveDevice() throws Exception {
        profile(prefs("u1", Map.of("live", true), BEGINNING));
        register(new DeviceToken("u1", "gone-token", Platform.IOS, "app", false, BEGINNING));
        send("e1", List.of(Channel.LIVE));
        SendRequest live = requests().get(0);
        assertThat(live.fallbackChannel()).as("push has no device: email").isEqualTo(Channel.EMAIL);
        assertThat(live.pushFallback()).isNull();

        UserPreferences noEmail =
                new UserPreferences(
                        "u2", null, null, "en", "UTC", Map.of("live", true), null, null, BEGINNING);
        resolver.processElement2(UserUpdate.preferences(noEmail), 0);
        resolver.processElement1(new RecipientEvent("u2", event("e2", null, "u2")), 0);
        SendRequest alone = requests().get(1);
        assertThat(alone.channel()).isEqualTo(Channel.LIVE);
        assertThat(alone.fallbackChannel()).isNull();
        assertThat(alone.pushFallback()).isNull();

        outcomes.processElement(notConnected(alone), 0);
        assertThat(outcomes.extractOutputValues())
                .extracting(Delivery::status, Delivery::reason)
                .containsExactly(tuple(DeliveryStatus.SKIPPED, LiveSender.NOT_CONNECTED));
        assertThat(outcomes.getSideOutput(OutputTags.RETRIES)).isNull();
    }

    @Test
    void shouldRecordNoDeviceForAPushFallbackWithoutDevicesAndGoOnToTheNextStep() throws Exception {
        SendRequest live =
                SendRequest.builder()
                        .notificationId("live-1")
                        .eventId("e1")
                        .userId("u1")
                        .type("order.shipped")
                        .category("order")
                        .channel(Channel.LIVE)
                        .provider(Provider.LIVE)
                        .createdAt(ATTEMPTED)
                        .receivedAt(ATTEMPTED)
                        .build();

        outcomes.processElement(
                notConnected(
                        live.withPushFallback(
                                new PushFallback(List.of(), Channel.EMAIL, "u1@example.com"))),
                0);
        outcomes.processElement(
                notConnected(live.toBuilder().fallbackChannel(Channel.PUSH).build()), 0);

        assertThat(outcomes.extractOutputValues())
                .extracting(
                        Delivery::notificationId,
                        Delivery::channel,
                        Delivery::status,
                        Delivery::reason,
                        Delivery::detail)
                .containsExactlyInAnyOrder(
                        tuple(
                                "live-1",
                                Channel.LIVE,
                                DeliveryStatus.SKIPPED,
                                LiveSender.NOT_CONNECTED,
                                "no connection"),
                        tuple(
                                NotificationIds.of("e1", "u1", Channel.PUSH, null),
                                Channel.PUSH,
                                DeliveryStatus.SKIPPED,
                                RecipientResolver.NO_DEVICE,
                                "fallback for live-1; no device to fall back to"),
                        tuple(
                                "live-1",
                                Channel.LIVE,
                                DeliveryStatus.SKIPPED,
                                LiveSender.NOT_CONNECTED,
                                "no connection"),
                        tuple(
                                NotificationIds.of("e1", "u1", Channel.PUSH, null),
                                Channel.PUSH,
                                DeliveryStatus.SKIPPED,
                                RecipientResolver.NO_DEVICE,
                                "fallback for live-1; no device to fall back to"));
        assertThat(retries())
                .extracting(
                        r -> r.request().channel(),
                        r -> r.request().address(),
                        r -> r.request().fallbackOf())
                .as("the step after push, once: the second request had none")
                .containsExactly(tuple(Channel.EMAIL, "u1@example.com", "live-1"));
        assertThat(outcomes.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
    }

    private void profile(UserPreferences p) throws Exception {
        resolver.processElement2(UserUpdate.preferences(p), 0);
    }

    private void register(DeviceToken d) throws Exception {
        resolver.processElement2(UserUpdate.device(d), 0);
    }

    private void send(String eventId, List<Channel> channels) throws Exception {
        resolver.processElement1(new RecipientEvent("u1", event(eventId, channels, "u1")), 0);
    }

    private List<SendRequest> requests() {
        return resolver.extractOutputValues();
    }

    private List<ScheduledRetry> retries() {
        var records = outcomes.getSideOutput(OutputTags.RETRIES);
        List<ScheduledRetry> out = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private static SendOutcome notConnected(SendRequest live) {
        return new SendOutcome(
                live, SendResult.rejected(LiveSender.NOT_CONNECTED, "no connection"), ATTEMPTED, 5);
    }

    private static Map<Provider, PipelineSettings.SendSettings> send() {
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
        return settings;
    }
}
