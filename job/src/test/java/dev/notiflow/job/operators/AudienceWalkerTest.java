package dev.notiflow.job.operators;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

import dev.notiflow.model.Audience;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Provider;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

class AudienceWalkerTest {

    private static final int MAX_PARALLELISM = 128;
    private static final long PAUSE = 10;

    private final List<
                    KeyedTwoInputStreamOperatorTestHarness<
                            String, UserUpdate, AudienceWalk, RecipientEvent>>
            harnesses = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (var h : harnesses) {
            h.close();
        }
    }

    private KeyedTwoInputStreamOperatorTestHarness<String, UserUpdate, AudienceWalk, RecipientEvent>
            harness(boolean rocksDb, int chunk, int parallelism, int subtask) throws Exception {
        var h =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new AudienceWalker(chunk, Duration.ofMillis(PAUSE), Duration.ofDays(1)),
                        UserUpdate::userId,
                        null, // the audiences are broadcast, not keyed
                        Types.STRING,
                        MAX_PARALLELISM,
                        parallelism,
                        subtask);
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        harnesses.add(h);
        return h;
    }

    private static NotificationEvent audienceEvent(
            String eventId, Audience audience, List<Channel> channels) {
        NotificationEvent e = Fixtures.event(eventId, channels);
        return new NotificationEvent(
                e.eventId(),
                "sale.flash",
                "sale",
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

    private static UserUpdate profile(
            String userId,
            String locale,
            Map<String, Boolean> channels,
            Map<String, Boolean> categories) {
        return UserUpdate.preferences(
                new UserPreferences(
                        userId,
                        userId + "@example.com",
                        null,
                        locale,
                        "UTC",
                        channels,
                        categories,
                        null,
                        BEGINNING));
    }

    private static UserUpdate profile(String userId) {
        return profile(userId, "en-US", null, null);
    }

    private static UserUpdate device(String userId, String token, Platform platform, String app) {
        return UserUpdate.device(new DeviceToken(userId, token, platform, app, true, BEGINNING));
    }

    private static List<String> users(int n) {
        return IntStream.range(0, n).mapToObj(i -> "u" + i).toList();
    }

    private static List<String> recipients(
            KeyedTwoInputStreamOperatorTestHarness<String, UserUpdate, AudienceWalk, RecipientEvent>
                    h) {
        return h.extractOutputValues().stream().map(RecipientEvent::userId).toList();
    }

    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void shouldWalkInChunksOfAtMostChunkKeysPerTurn(boolean rocksDb) throws Exception {
        var h = harness(rocksDb, 3, 1, 0);
        h.open();
        for (String u : users(10)) {
            h.processElement1(profile(u), 0);
        }
        NotificationEvent sale = audienceEvent("sale-1", Audience.everyone(), null);

        h.processElement2(new AudienceWalk(0, sale), 0);
        assertThat(h.extractOutputValues()).as("nothing inside processElement2").isEmpty();

        List<Integer> sizes = new ArrayList<>();
        for (long t = 0; t <= 5 * PAUSE; t += PAUSE) {
            h.setProcessingTime(t);
            sizes.add(h.extractOutputValues().size());
        }
        assertThat(sizes).containsExactly(3, 6, 9, 10, 10, 10);
        assertThat(recipients(h)).containsExactlyInAnyOrderElementsOf(users(10));
        assertThat(h.extractOutputValues())
                .allSatisfy(
                        r -> {
                            assertThat(r.event().userIds()).containsExactly(r.userId());
                            assertThat(r.event().audience()).isNull();
                            assertThat(r.event().eventId()).isEqualTo("sale-1");
                        });
    }

    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void shouldEmitOnlyUsersWithAProfileThatMatchAndAllowTheCategoryAndARequestedChannel(
            boolean rocksDb) throws Exception {
        var h = harness(rocksDb, 1000, 1, 0);
        h.open();
        h.processElement1(profile("ios-en"), 0);
        h.processElement1(device("ios-en", "t1", Platform.IOS, "shop"), 0);
        h.processElement1(profile("android-de", "de-AT", null, null), 0);
        h.processElement1(device("android-de", "t2", Platform.ANDROID, "shop"), 0);
        h.processElement1(profile("ios-fr", "fr", null, null), 0);
        h.processElement1(device("ios-fr", "t3", Platform.IOS, "shop"), 0);
        h.processElement1(profile("no-device"), 0);
        h.processElement1(device("device-only", "t4", Platform.IOS, "shop"), 0);
        h.processElement1(profile("other-app"), 0);
        h.processElement1(device("other-app", "t5", Platform.IOS, "news"), 0);
        h.processElement1(profile("dead-token"), 0);
        h.processElement1(device("dead-token", "t6", Platform.IOS, "shop"), 0);
        h.processElement1(
                UserUpdate.tokenInvalidated(
                        new TokenInvalidation(
                                "dead-token",
                                "t6",
                                Platform.IOS,
                                Provider.APNS,
                                "Unregistered",
                                BEGINNING.plusSeconds(1))),
                0);
        h.processElement1(profile("sale-opt-out", "en", null, Map.of("sale", false)), 0);
        h.processElement1(device("sale-opt-out", "t7", Platform.IOS, "shop"), 0);
        h.processElement1(profile("push-opt-out", "en", Map.of("push", false), null), 0);
        h.processElement1(device("push-opt-out", "t8", Platform.IOS, "shop"), 0);
        h.processElement1(profile("deleted"), 0);
        h.processElement1(device("deleted", "t9", Platform.IOS, "shop"), 0);
        h.processElement1(UserUpdate.preferencesDeleted("deleted"), 0);

        Audience apps = new Audience(false, null, List.of("shop"), List.of("en", "de"));
        h.processElement2(new AudienceWalk(0, audienceEvent("a", apps, List.of(Channel.PUSH))), 0);
        h.setProcessingTime(0);

        assertThat(recipients(h)).containsExactlyInAnyOrder("ios-en", "android-de");

        Audience iosAll = new Audience(false, List.of(Platform.IOS), null, null);
        h.processElement2(
                new AudienceWalk(
                        1, audienceEvent("b", iosAll, List.of(Channel.PUSH, Channel.EMAIL))),
                0);
        h.setProcessingTime(PAUSE);
        h.processElement2(new AudienceWalk(2, audienceEvent("c", Audience.everyone(), null)), 0);
        h.setProcessingTime(2 * PAUSE);

        assertThat(recipientsOf(h, "b"))
                .as("an opt-out of push leaves the email the event also asks for")
                .containsExactlyInAnyOrder("ios-en", "ios-fr", "other-app", "push-opt-out");
        assertThat(recipientsOf(h, "c"))
                .as("without a channel list: the channels the user opted into")
                .containsExactlyInAnyOrder(
                        "ios-en", "android-de", "ios-fr", "no-device", "other-app", "dead-token");
    }

    private static List<String> recipientsOf(
            KeyedTwoInputStreamOperatorTestHarness<String, UserUpdate, AudienceWalk, RecipientEvent>
                    h,
            String eventId) {
        return h.extractOutputValues().stream()
                .filter(r -> r.event().eventId().equals(eventId))
                .map(RecipientEvent::userId)
                .toList();
    }

    /**
     * A checkpoint in the middle of a walk, then a crash after more users were emitted: the
     * restored walk emits exactly the users after the checkpoint, so the records of the checkpoint
     * plus those of the restored attempt name every user once (what the crashed attempt emitted
     * after the checkpoint is not committed by the exactly-once sinks).
     */
    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void aRestoreInTheMiddleOfAWalkShouldNeitherSkipNorRepeatAUser(boolean rocksDb)
            throws Exception {
        List<String> all = users(50);
        var before = harness(rocksDb, 7, 1, 0);
        before.open();
        for (String u : all) {
            before.processElement1(profile(u), 0);
        }
        before.processElement2(
                new AudienceWalk(0, audienceEvent("a", Audience.everyone(), null)), 0);
        before.processElement2(
                new AudienceWalk(1, audienceEvent("b", Audience.everyone(), null)), 0);
        for (long t = 0; t < 9 * PAUSE; t += PAUSE) {
            before.setProcessingTime(t); // a is walked (8 turns), b begun (one turn)
        }
        List<RecipientEvent> committed = new ArrayList<>(before.extractOutputValues());
        assertThat(committed).hasSize(50 + 7);
        OperatorSubtaskState checkpoint = before.snapshot(1, 0);
        before.setProcessingTime(9 * PAUSE); // emitted, then lost with the crash
        assertThat(before.extractOutputValues()).hasSize(50 + 14);

        var after = harness(rocksDb, 7, 1, 0);
        after.setup();
        after.initializeState(checkpoint);
        after.open();
        for (long t = 10 * PAUSE; t < 20 * PAUSE; t += PAUSE) {
            after.setProcessingTime(t);
        }
        committed.addAll(after.extractOutputValues());

        assertThat(
                        committed.stream()
                                .filter(r -> r.event().eventId().equals("a"))
                                .map(RecipientEvent::userId))
                .containsExactlyInAnyOrderElementsOf(all);
        assertThat(
                        committed.stream()
                                .filter(r -> r.event().eventId().equals("b"))
                                .map(RecipientEvent::userId))
                .containsExactlyInAnyOrderElementsOf(all);
    }

    /**
     * Pending walks are union state: after a restore every subtask gets the walks of all of them,
     * also those it had finished. Its users' marks skip them.
     */
    @Test
    void aWalkThatComesBackWithTheUnionStateShouldSkipTheUsersItHadReached() throws Exception {
        List<String> all = users(40);
        List<OperatorSubtaskState> snapshots = new ArrayList<>();
        List<RecipientEvent> committed = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            var h = harness(true, 5, 2, subtask);
            h.open();
            for (String u : all) {
                if (KeyGroupRangeAssignment.assignKeyToParallelOperator(u, MAX_PARALLELISM, 2)
                        == subtask) {
                    h.processElement1(profile(u), 0);
                }
            }
            h.processElement2(
                    new AudienceWalk(0, audienceEvent("a", Audience.everyone(), null)), 0);
            // Subtask 0 finishes its walk; subtask 1 walks one chunk.
            long turns = subtask == 0 ? 20 : 1;
            for (long t = 0; t < turns * PAUSE; t += PAUSE) {
                h.setProcessingTime(t);
            }
            committed.addAll(h.extractOutputValues());
            snapshots.add(h.snapshot(1, 0));
        }
        OperatorSubtaskState packed =
                AbstractStreamOperatorTestHarness.repackageState(
                        snapshots.toArray(new OperatorSubtaskState[0]));

        for (int subtask = 0; subtask < 2; subtask++) {
            var h = harness(true, 5, 2, subtask);
            h.setup();
            h.initializeState(
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(
                            packed, MAX_PARALLELISM, 2, 2, subtask));
            h.open();
            for (long t = 0; t < 20 * PAUSE; t += PAUSE) {
                h.setProcessingTime(t);
            }
            committed.addAll(h.extractOutputValues());
        }

        assertThat(committed.stream().map(RecipientEvent::userId))
                .containsExactlyInAnyOrderElementsOf(all);
    }

    /** The heap backend's key iterator fails on a new key: the walk reopens it, marks skip. */
    @Test
    void aUserRegisteredDuringAWalkOnTheHeapBackendShouldNotRepeatAnyone() throws Exception {
        var h = harness(false, 4, 1, 0);
        h.open();
        for (String u : users(20)) {
            h.processElement1(profile(u), 0);
        }
        h.processElement2(new AudienceWalk(0, audienceEvent("a", Audience.everyone(), null)), 0);
        h.setProcessingTime(0);
        h.processElement1(profile("late"), 0);
        for (long t = PAUSE; t < 20 * PAUSE; t += PAUSE) {
            h.setProcessingTime(t);
        }

        List<String> got = recipients(h);
        assertThat(got).doesNotHaveDuplicates();
        assertThat(got).containsAll(users(20));
    }
}
