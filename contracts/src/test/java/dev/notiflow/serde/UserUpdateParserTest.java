package dev.notiflow.serde;

import dev.notiflow.model.Channel;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Provider;
import dev.notiflow.model.QuietHours;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class UserUpdateParserTest {

    private static final int MAX = 64 * 1024;

    interface Parse {
        UserUpdate apply(RawRecord record, int max) throws InvalidRecordException;
    }

    private static Rejection rejection(Parse parser, RawRecord record) {
        try {
            parser.apply(record, MAX);
        } catch (InvalidRecordException e) {
            return e.rejection();
        }
        throw new AssertionError("accepted " + record);
    }

    @Nested
    class Preferences {

        private static final String TOPIC = "user-preferences";

        private UserUpdate parse(String json) throws InvalidRecordException {
            return UserUpdateParser.preferences(RawRecords.keyed(TOPIC, "u1", json), MAX);
        }

        private Rejection reject(String json) {
            return rejection(UserUpdateParser::preferences, RawRecords.keyed(TOPIC, "u1", json));
        }

        @Test
        void shouldParseTheDesignExample() throws Exception {
            UserUpdate u =
                    parse(
                            "{\"userId\": \"u1\", \"email\": \"a@example.com\","
                                    + " \"phone\": \"+821012345678\", \"locale\": \"ko-KR\","
                                    + " \"timeZone\": \"Asia/Seoul\","
                                    + " \"channels\": {\"push\": true, \"sms\": false, \"email\": true},"
                                    + " \"categories\": {\"marketing\": false},"
                                    + " \"quietHours\": {\"start\": \"22:00\", \"end\": \"08:00\"},"
                                    + " \"updatedAt\": \"2026-11-21T22:00:00Z\"}");

            assertThat(u.kind()).isEqualTo(UserUpdate.Kind.PREFERENCES);
            assertThat(u.userId()).isEqualTo("u1");
            assertThat(u.preferences())
                    .isEqualTo(
                            new UserPreferences(
                                    "u1",
                                    "a@example.com",
                                    "+821012345678",
                                    "ko-KR",
                                    "Asia/Seoul",
                                    Map.of("push", true, "sms", false, "email", true),
                                    Map.of("marketing", false),
                                    new QuietHours("22:00", "08:00"),
                                    Instant.parse("2026-11-21T22:00:00Z")));
            assertThat(u.device()).isNull();
            assertThat(u.invalidation()).isNull();
        }

        @Test
        void shouldLeaveAbsentFieldsNullAndAllowEverything() throws Exception {
            UserPreferences p = parse("{\"userId\":\"u1\"}").preferences();

            assertThat(p)
                    .isEqualTo(
                            new UserPreferences(
                                    "u1", null, null, null, null, null, null, null, null));
            assertThat(p.allows(Channel.SMS)).isTrue();
            assertThat(p.allowsCategory("marketing")).isTrue();
        }

        @Test
        void shouldOptOutOnlyOfChannelsAndCategoriesSetToFalse() throws Exception {
            UserPreferences p =
                    parse(
                                    "{\"userId\":\"u1\",\"channels\":{\"sms\":false,\"push\":true},"
                                            + "\"categories\":{\"marketing\":false,\"order\":true}}")
                            .preferences();

            assertThat(p.allows(Channel.SMS)).isFalse();
            assertThat(p.allows(Channel.PUSH)).isTrue();
            assertThat(p.allows(Channel.EMAIL)).isTrue();
            assertThat(p.allowsCategory("marketing")).isFalse();
            assertThat(p.allowsCategory("order")).isTrue();
            assertThat(p.allowsCategory("billing")).isTrue();
        }

        @Test
        void shouldNotValidateContactsWhenParsing() throws Exception {
            UserPreferences p =
                    parse("{\"userId\":\"u1\",\"email\":\"not an email\",\"phone\":\"010-1234\"}")
                            .preferences();

            assertThat(p.email()).isEqualTo("not an email");
            assertThat(p.phone()).isEqualTo("010-1234");
        }

        @Test
        void shouldTurnATombstoneIntoADeletionKeyedByUserId() throws Exception {
            UserUpdate u = UserUpdateParser.preferences(RawRecords.keyed(TOPIC, "u-77", null), MAX);

            assertThat(u)
                    .isEqualTo(
                            new UserUpdate(
                                    "u-77",
                                    UserUpdate.Kind.PREFERENCES_DELETED,
                                    null,
                                    null,
                                    null,
                                    null));
        }

        @Test
        void shouldRejectATombstoneWithoutAKey() {
            Rejection expected =
                    new Rejection(Rejection.MISSING_FIELD, "key: a tombstone needs its record key");

            assertThat(
                            rejection(
                                    UserUpdateParser::preferences,
                                    RawRecords.keyed(TOPIC, null, null)))
                    .isEqualTo(expected);
            assertThat(rejection(UserUpdateParser::preferences, RawRecords.keyed(TOPIC, "", null)))
                    .isEqualTo(expected);
        }

        @Test
        void shouldRejectAMissingUserId() {
            assertThat(reject("{\"email\":\"a@example.com\"}"))
                    .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "userId: is required"));
        }

        @Test
        void shouldRejectMalformedJson() {
            assertThat(reject("{\"userId\":").reason()).isEqualTo(Rejection.MALFORMED_JSON);
        }

        @ParameterizedTest
        @ValueSource(strings = {"Mars/Olympus", "KST", "Asia/Seou", ""})
        void shouldRejectAnUnknownTimeZone(String zone) {
            Rejection r = reject("{\"userId\":\"u1\",\"timeZone\":\"" + zone + "\"}");

            assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
            assertThat(r.detail()).isEqualTo("timeZone: '" + zone + "' is not a time zone id");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {"Asia/Seoul", "UTC", "Z", "+09:00", "America/Argentina/Buenos_Aires"})
        void shouldAcceptZoneIdsAndOffsets(String zone) throws Exception {
            assertThat(
                            parse("{\"userId\":\"u1\",\"timeZone\":\"" + zone + "\"}")
                                    .preferences()
                                    .timeZone())
                    .isEqualTo(zone);
        }

        @Test
        void shouldRejectAnUnknownChannelKey() {
            Rejection r = reject("{\"userId\":\"u1\",\"channels\":{\"push\":true,\"fax\":false}}");

            assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_CHANNEL);
            assertThat(r.detail()).contains("'fax'");
        }

        @Test
        void shouldRejectAChannelFlagThatIsNotBoolean() {
            assertThat(reject("{\"userId\":\"u1\",\"channels\":{\"sms\":\"no\"}}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "channels.sms: must be true or false"));
        }

        @Test
        void shouldRejectCategoriesThatAreNotAnObjectOfBooleans() {
            assertThat(reject("{\"userId\":\"u1\",\"categories\":[\"marketing\"]}").reason())
                    .isEqualTo(Rejection.INVALID_FIELD);
            assertThat(reject("{\"userId\":\"u1\",\"categories\":{\"marketing\":0}}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "categories.marketing: must be true or false"));
        }

        @Test
        void shouldAcceptAnOvernightQuietWindowAndSeconds() throws Exception {
            assertThat(
                            parse(
                                            "{\"userId\":\"u1\",\"quietHours\":"
                                                    + "{\"start\":\"23:30:15\",\"end\":\"06:00\"}}")
                                    .preferences()
                                    .quietHours())
                    .isEqualTo(new QuietHours("23:30:15", "06:00"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"25:00", "7pm", "22", "22:60", "2200", " 22:00"})
        void shouldRejectABadQuietHoursClock(String clock) {
            assertThat(
                            reject(
                                    "{\"userId\":\"u1\",\"quietHours\":{\"start\":\""
                                            + clock
                                            + "\",\"end\":\"08:00\"}}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "quietHours.start: '" + clock + "' is not HH:mm"));
        }

        @Test
        void shouldRejectQuietHoursWithoutAnEnd() {
            assertThat(reject("{\"userId\":\"u1\",\"quietHours\":{\"start\":\"22:00\"}}"))
                    .isEqualTo(
                            new Rejection(Rejection.MISSING_FIELD, "quietHours.end: is required"));
        }

        @Test
        void shouldRejectQuietHoursThatAreNotAnObject() {
            assertThat(reject("{\"userId\":\"u1\",\"quietHours\":\"22:00-08:00\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "quietHours: must be an object with start and end"));
        }

        @Test
        void shouldRejectANumericClock() {
            Rejection r =
                    reject("{\"userId\":\"u1\",\"quietHours\":{\"start\":22,\"end\":\"08:00\"}}");

            assertThat(r.reason()).isEqualTo(Rejection.INVALID_FIELD);
            assertThat(r.detail()).startsWith("start: must be a string");
        }

        @Test
        void shouldRejectABadUpdatedAt() {
            Rejection r = reject("{\"userId\":\"u1\",\"updatedAt\":\"2026-11-21\"}");

            assertThat(r.reason()).isEqualTo(Rejection.INVALID_TIMESTAMP);
            assertThat(r.detail()).startsWith("updatedAt:");
        }

        @Test
        void shouldRejectInvalidUtf8() {
            byte[] value = {'{', '"', 'u', (byte) 0xFF, '"', '}'};

            assertThat(
                            rejection(
                                            UserUpdateParser::preferences,
                                            RawRecords.bytes(TOPIC, null, value))
                                    .reason())
                    .isEqualTo(Rejection.INVALID_ENCODING);
        }

        @Test
        void shouldRejectAControlCharacterInTheUserIdLocaleOrACategory() {
            assertThat(reject("{\"userId\":\"u\\u0000\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "userId: contains the control character U+0000 at index 1"));
            assertThat(reject("{\"userId\":\"u1\",\"locale\":\"\\u0007en\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "locale: contains the control character U+0007 at index 0"));
            assertThat(reject("{\"userId\":\"u1\",\"categories\":{\"news\\u009f\":false}}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "categories key: contains the control character U+009F at index 4"));
        }

        @Test
        void shouldRejectABlankLocale() {
            assertThat(reject("{\"userId\":\"u1\",\"locale\":\"\"}"))
                    .isEqualTo(new Rejection(Rejection.INVALID_FIELD, "locale: must not be blank"));
        }

        @Test
        void shouldRejectATombstoneWhoseKeyHasAControlCharacter() {
            assertThat(
                            rejection(
                                    UserUpdateParser::preferences,
                                    RawRecords.keyed(TOPIC, "u\u0000", null)))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "key: contains the control character U+0000 at index 1"));
        }

        @Test
        void shouldRejectAUserIdGivenTwice() {
            Rejection r =
                    reject("{\"userId\":\"u1\",\"email\":\"a@example.com\",\"userId\":\"u2\"}");

            assertThat(r.reason()).isEqualTo(Rejection.MALFORMED_JSON);
            assertThat(r.detail()).contains("Duplicate field 'userId'");
        }
    }

    @Nested
    class DeviceTokens {

        private static final String TOPIC = "device-tokens";
        private static final String FCM_TOKEN = "dGVzdA:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx";

        private UserUpdate parse(String json) throws InvalidRecordException {
            return UserUpdateParser.deviceToken(
                    RawRecords.keyed(TOPIC, "u1:" + FCM_TOKEN, json), MAX);
        }

        private Rejection reject(String json) {
            return rejection(
                    UserUpdateParser::deviceToken, RawRecords.keyed(TOPIC, "u1:tok", json));
        }

        private Rejection rejectTombstone(String key) {
            return rejection(UserUpdateParser::deviceToken, RawRecords.keyed(TOPIC, key, null));
        }

        @Test
        void shouldParseARegistrationWithEveryField() throws Exception {
            UserUpdate u =
                    parse(
                            "{\"userId\":\"u1\",\"token\":\""
                                    + FCM_TOKEN
                                    + "\","
                                    + "\"platform\":\"android\",\"appId\":\"com.example.app\","
                                    + "\"active\":true,\"updatedAt\":\"2026-11-21T22:00:00Z\"}");

            assertThat(u.kind()).isEqualTo(UserUpdate.Kind.DEVICE);
            assertThat(u.userId()).isEqualTo("u1");
            assertThat(u.token()).isEqualTo(FCM_TOKEN);
            assertThat(u.device())
                    .isEqualTo(
                            new DeviceToken(
                                    "u1",
                                    FCM_TOKEN,
                                    Platform.ANDROID,
                                    "com.example.app",
                                    true,
                                    Instant.parse("2026-11-21T22:00:00Z")));
        }

        @Test
        void shouldDefaultToActive() throws Exception {
            DeviceToken d =
                    parse("{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"ios\"}").device();

            assertThat(d.active()).isTrue();
            assertThat(d.platform()).isEqualTo(Platform.IOS);
            assertThat(d.appId()).isNull();
            assertThat(d.updatedAt()).isNull();
        }

        @Test
        void shouldTreatNullActiveAsActive() throws Exception {
            assertThat(
                            parse(
                                            "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"web\",\"active\":null}")
                                    .device()
                                    .active())
                    .isTrue();
        }

        @Test
        void shouldKeepAnInactiveRegistrationAsADeviceUpdate() throws Exception {
            UserUpdate u =
                    parse(
                            "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"web\",\"active\":false}");

            assertThat(u.kind()).isEqualTo(UserUpdate.Kind.DEVICE);
            assertThat(u.device().active()).isFalse();
            assertThat(u.device().platform()).isEqualTo(Platform.WEB);
        }

        @Test
        void shouldSplitATombstoneKeyAtTheFirstColon() throws Exception {
            UserUpdate u =
                    UserUpdateParser.deviceToken(
                            RawRecords.keyed(TOPIC, "u1:" + FCM_TOKEN, null), MAX);

            assertThat(u)
                    .isEqualTo(
                            new UserUpdate(
                                    "u1",
                                    UserUpdate.Kind.DEVICE_DELETED,
                                    null,
                                    null,
                                    FCM_TOKEN,
                                    null));
        }

        @ParameterizedTest
        @ValueSource(strings = {"u1", ":token", "u1:"})
        void shouldRejectATombstoneKeyThatIsNotUserIdColonToken(String key) {
            assertThat(rejectTombstone(key))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "key: a device tombstone needs the key userId:token"));
        }

        @Test
        void shouldRejectATombstoneWithoutAKey() {
            assertThat(rejectTombstone(null).reason()).isEqualTo(Rejection.MISSING_FIELD);
        }

        @ParameterizedTest
        @ValueSource(strings = {"windows", "IOS", "Android", ""})
        void shouldRejectAnUnknownPlatform(String platform) {
            assertThat(
                            reject(
                                    "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\""
                                            + platform
                                            + "\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.UNKNOWN_PLATFORM,
                                    "platform: '"
                                            + platform
                                            + "' is not one of ios, android, web"));
        }

        @Test
        void shouldRejectAMissingPlatform() {
            assertThat(reject("{\"userId\":\"u1\",\"token\":\"t\"}"))
                    .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "platform: is required"));
            assertThat(reject("{\"userId\":\"u1\",\"token\":\"t\",\"platform\":null}"))
                    .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "platform: is required"));
        }

        @Test
        void shouldRejectANonStringPlatform() {
            assertThat(reject("{\"userId\":\"u1\",\"token\":\"t\",\"platform\":1}").reason())
                    .isEqualTo(Rejection.INVALID_FIELD);
        }

        @Test
        void shouldRejectAMissingTokenOrUserId() {
            assertThat(reject("{\"userId\":\"u1\",\"platform\":\"ios\"}"))
                    .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "token: is required"));
            assertThat(reject("{\"token\":\"t\",\"platform\":\"ios\"}"))
                    .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "userId: is required"));
        }

        @Test
        void shouldRejectActiveGivenAsAString() {
            assertThat(
                            reject(
                                    "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"ios\","
                                            + "\"active\":\"false\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "active: must be true or false, was STRING"));
        }

        @Test
        void shouldRejectABadUpdatedAt() {
            assertThat(
                            reject(
                                            "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"ios\","
                                                    + "\"updatedAt\":\"now\"}")
                                    .reason())
                    .isEqualTo(Rejection.INVALID_TIMESTAMP);
        }

        @Test
        void shouldRejectAControlCharacterInTheTokenOrUserId() {
            assertThat(reject("{\"userId\":\"u1\",\"token\":\"tok\\n\",\"platform\":\"ios\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "token: contains the control character U+000A at index 3"));
            assertThat(reject("{\"userId\":\"\\u007fu\",\"token\":\"tok\",\"platform\":\"ios\"}"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "userId: contains the control character U+007F at index 0"));
        }

        @Test
        void shouldRejectATombstoneKeyWithAControlCharacter() {
            assertThat(rejectTombstone("u1:to\u0000k"))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "key: contains the control character U+0000 at index 5"));
        }
    }

    @Nested
    class Invalidations {

        private static final String TOPIC = "device-token-invalidations";

        @Test
        void shouldReadBackWhatTheJobWrites() throws Exception {
            TokenInvalidation written =
                    new TokenInvalidation(
                            "u1",
                            "tok:with:colons",
                            Platform.ANDROID,
                            Provider.FCM,
                            "TOKEN_UNREGISTERED",
                            Instant.parse("2026-11-22T08:59:58.5Z"));
            RawRecord record =
                    RawRecords.bytes(
                            TOPIC, "u1".getBytes(StandardCharsets.UTF_8), Json.toBytes(written));

            UserUpdate u = UserUpdateParser.invalidation(record, MAX);

            assertThat(u.kind()).isEqualTo(UserUpdate.Kind.TOKEN_INVALIDATED);
            assertThat(u.userId()).isEqualTo("u1");
            assertThat(u.token()).isEqualTo("tok:with:colons");
            assertThat(u.invalidation()).isEqualTo(written);
        }

        @Test
        void shouldLeaveUnknownPlatformAndProviderNull() throws Exception {
            UserUpdate u =
                    UserUpdateParser.invalidation(
                            RawRecords.value(
                                    TOPIC,
                                    "{\"userId\":\"u1\",\"token\":\"t\",\"platform\":\"tv\","
                                            + "\"provider\":\"pigeon\"}"),
                            MAX);

            assertThat(u.invalidation())
                    .isEqualTo(new TokenInvalidation("u1", "t", null, null, null, null));
        }

        @Test
        void shouldRejectATombstone() {
            assertThat(
                            rejection(
                                            UserUpdateParser::invalidation,
                                            RawRecords.keyed(TOPIC, "u1", null))
                                    .reason())
                    .isEqualTo(Rejection.MALFORMED_JSON);
        }

        @Test
        void shouldRejectAMissingToken() {
            assertThat(
                            rejection(
                                    UserUpdateParser::invalidation,
                                    RawRecords.value(TOPIC, "{\"userId\":\"u1\"}")))
                    .isEqualTo(new Rejection(Rejection.MISSING_FIELD, "token: is required"));
        }

        @Test
        void shouldRejectABadInvalidatedAt() {
            assertThat(
                            rejection(
                                            UserUpdateParser::invalidation,
                                            RawRecords.value(
                                                    TOPIC,
                                                    "{\"userId\":\"u1\",\"token\":\"t\","
                                                            + "\"invalidatedAt\":\"soon\"}"))
                                    .reason())
                    .isEqualTo(Rejection.INVALID_TIMESTAMP);
        }

        @Test
        void shouldRejectAControlCharacterInTheToken() {
            assertThat(
                            rejection(
                                    UserUpdateParser::invalidation,
                                    RawRecords.value(
                                            TOPIC, "{\"userId\":\"u1\",\"token\":\"t\\u0000\"}")))
                    .isEqualTo(
                            new Rejection(
                                    Rejection.INVALID_FIELD,
                                    "token: contains the control character U+0000 at index 1"));
        }
    }
}
