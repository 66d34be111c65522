package dev.notiflow.job.operators;

import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.ParseUserUpdates.Source;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Provider;
import dev.notiflow.model.QuietHours;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import dev.notiflow.serde.Rejection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ParseUserUpdatesTest {

    private static final int MAX_RECORD_BYTES = 512;

    @Test
    void shouldParseAProfile() throws Exception {
        var harness = harness(Source.PREFERENCES);
        harness.processElement(
                InputRecords.json(
                        "user-preferences",
                        "u1",
                        "{\"userId\":\"u1\",\"email\":\"u1@example.com\",\"phone\":\"+14155552671\","
                                + "\"locale\":\"en-US\",\"timeZone\":\"Asia/Seoul\","
                                + "\"channels\":{\"sms\":false},\"categories\":{\"marketing\":false},"
                                + "\"quietHours\":{\"start\":\"22:00\",\"end\":\"08:00\"},"
                                + "\"updatedAt\":\"2026-11-21T22:00:00Z\"}"),
                0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        UserUpdate.preferences(
                                new UserPreferences(
                                        "u1",
                                        "u1@example.com",
                                        "+14155552671",
                                        "en-US",
                                        "Asia/Seoul",
                                        Map.of("sms", false),
                                        Map.of("marketing", false),
                                        new QuietHours("22:00", "08:00"),
                                        BEGINNING)));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
        harness.close();
    }

    @Test
    void shouldParseADeviceRegistration() throws Exception {
        var harness = harness(Source.DEVICES);
        harness.processElement(
                InputRecords.json(
                        "device-tokens",
                        "u1:tok-1",
                        "{\"userId\":\"u1\",\"token\":\"tok-1\",\"platform\":\"android\","
                                + "\"appId\":\"com.example.app\",\"active\":false,"
                                + "\"updatedAt\":\"2026-11-21T22:00:00Z\"}"),
                0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        UserUpdate.device(
                                new DeviceToken(
                                        "u1",
                                        "tok-1",
                                        Platform.ANDROID,
                                        "com.example.app",
                                        false,
                                        BEGINNING)));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
        harness.close();
    }

    @Test
    void shouldParseATokenInvalidation() throws Exception {
        var harness = harness(Source.INVALIDATIONS);
        harness.processElement(
                InputRecords.json(
                        "device-token-invalidations",
                        "u1",
                        "{\"userId\":\"u1\",\"token\":\"tok-1\",\"platform\":\"ios\","
                                + "\"provider\":\"apns\",\"reason\":\"TOKEN_UNREGISTERED\","
                                + "\"invalidatedAt\":\"2026-11-21T22:00:00Z\"}"),
                0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        UserUpdate.tokenInvalidated(
                                new TokenInvalidation(
                                        "u1",
                                        "tok-1",
                                        Platform.IOS,
                                        Provider.APNS,
                                        "TOKEN_UNREGISTERED",
                                        BEGINNING)));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
        harness.close();
    }

    /** One tombstone, three topics: each source applies its own topic's contract. */
    @Test
    void shouldReadATombstoneByTheContractOfItsTopic() throws Exception {
        var preferences = harness(Source.PREFERENCES);
        var devices = harness(Source.DEVICES);
        var invalidations = harness(Source.INVALIDATIONS);
        RawRecord tombstone = InputRecords.json("some-topic", "u1:tok-1", null);
        Instant before = Instant.now();

        preferences.processElement(tombstone, 0);
        devices.processElement(tombstone, 0);
        invalidations.processElement(tombstone, 0);

        assertThat(preferences.extractOutputValues())
                .containsExactly(UserUpdate.preferencesDeleted("u1:tok-1"));
        assertThat(preferences.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
        assertThat(devices.extractOutputValues())
                .containsExactly(UserUpdate.deviceDeleted("u1", "tok-1"));
        assertThat(devices.getSideOutput(OutputTags.DEAD_LETTERS)).isNull();
        assertThat(invalidations.extractOutputValues()).isEmpty();
        DeadLetter dead = onlyDeadLetter(invalidations);
        assertThat(dead.failedAt()).isBetween(before, Instant.now());
        assertThat(dead)
                .isEqualTo(
                        InputRecords.deadLetter(
                                tombstone,
                                Rejection.MALFORMED_JSON,
                                "value is null: invalidations have no tombstones",
                                true,
                                dead.failedAt()));
        preferences.close();
        devices.close();
        invalidations.close();
    }

    static Stream<Arguments> rejections() {
        String largeProfile = "{\"userId\":\"u1\",\"locale\":\"" + "x".repeat(600) + "\"}";
        return Stream.of(
                arguments(
                        Source.PREFERENCES,
                        "u1",
                        "{\"userId\":\"u1\",\"timeZone\":\"KST\"}",
                        Rejection.INVALID_FIELD,
                        "timeZone: 'KST' is not a time zone id"),
                arguments(
                        Source.PREFERENCES,
                        null,
                        null,
                        Rejection.MISSING_FIELD,
                        "key: a tombstone needs its record key"),
                arguments(
                        Source.PREFERENCES,
                        "u1",
                        largeProfile,
                        Rejection.RECORD_TOO_LARGE,
                        "record has "
                                + largeProfile.length()
                                + " bytes, the limit is "
                                + MAX_RECORD_BYTES),
                arguments(
                        Source.DEVICES,
                        "u1:tok-1",
                        "{\"userId\":\"u1\",\"token\":\"tok-1\",\"platform\":\"blackberry\"}",
                        Rejection.UNKNOWN_PLATFORM,
                        "platform: 'blackberry' is not one of ios, android, web"),
                arguments(
                        Source.DEVICES,
                        "u1",
                        null,
                        Rejection.INVALID_FIELD,
                        "key: a device tombstone needs the key userId:token"),
                arguments(
                        Source.INVALIDATIONS,
                        "u1",
                        "{\"userId\":\"u1\",\"platform\":\"ios\"}",
                        Rejection.MISSING_FIELD,
                        "token: is required"),
                arguments(
                        Source.INVALIDATIONS,
                        "u1",
                        "{\"userId\":\"u1\",\"token\":\"t\",\"invalidatedAt\":\"yesterday\"}",
                        Rejection.INVALID_TIMESTAMP,
                        "invalidatedAt: 'yesterday' is not an ISO-8601 timestamp with offset"));
    }

    @ParameterizedTest(name = "{0}: {3}")
    @MethodSource("rejections")
    void shouldSendABadRecordToTheDlqWithItsBytes(
            Source source, String key, String value, String reason, String detail)
            throws Exception {
        var harness = harness(source);
        RawRecord record = InputRecords.json("topic-of-" + source, key, value);
        Instant before = Instant.now();

        harness.processElement(record, 0);

        assertThat(harness.extractOutputValues()).isEmpty();
        DeadLetter dead = onlyDeadLetter(harness);
        assertThat(dead.failedAt()).isBetween(before, Instant.now());
        assertThat(dead)
                .isEqualTo(InputRecords.deadLetter(record, reason, detail, true, dead.failedAt()));
        harness.close();
    }

    @Test
    void shouldKeepParsingAfterABadRecord() throws Exception {
        var harness = harness(Source.DEVICES);
        harness.processElement(InputRecords.json("device-tokens", "u1:t1", "{"), 0);
        harness.processElement(
                InputRecords.json(
                        "device-tokens",
                        "u1:t2",
                        "{\"userId\":\"u1\",\"token\":\"t2\",\"platform\":\"web\"}"),
                0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        UserUpdate.device(
                                new DeviceToken("u1", "t2", Platform.WEB, null, true, null)));
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS))
                .extracting(r -> r.getValue().key())
                .containsExactly("u1:t1");
        harness.close();
    }

    private static OneInputStreamOperatorTestHarness<RawRecord, UserUpdate> harness(Source source)
            throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(
                new ParseUserUpdates(source, MAX_RECORD_BYTES));
    }

    private static DeadLetter onlyDeadLetter(
            OneInputStreamOperatorTestHarness<RawRecord, UserUpdate> harness) {
        List<DeadLetter> dead =
                harness.getSideOutput(OutputTags.DEAD_LETTERS).stream()
                        .map(r -> r.getValue())
                        .toList();
        assertThat(dead).hasSize(1);
        return dead.get(0);
    }
}
