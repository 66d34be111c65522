package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Provider;
import dev.notiflow.model.QuietHours;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Parses the keyed inputs of a user's state: {@code user-preferences} (key userId; a null value
 * deletes), {@code device-tokens} (key {@code userId:token}, split at the first colon, so user ids
 * must not contain one; a null value or {@code active:false} unregisters) and {@code
 * device-token-invalidations}. Stateless and thread-safe.
 */
public final class UserUpdateParser {

    private UserUpdateParser() {}

    public static UserUpdate preferences(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        if (record.value() == null) {
            return UserUpdate.preferencesDeleted(requiredKey(record));
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String userId = JsonFields.requiredId(obj, "userId");
        String timeZone = JsonFields.optionalText(obj, "timeZone");
        if (timeZone != null) {
            try {
                ZoneId.of(timeZone);
            } catch (DateTimeException e) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "timeZone: '" + timeZone + "' is not a time zone id");
            }
        }
        Map<String, Boolean> channels = JsonFields.optionalFlags(obj, "channels");
        if (channels != null) {
            for (String name : channels.keySet()) {
                if (Channel.fromWire(name) == null) {
                    throw new InvalidRecordException(
                            Rejection.UNKNOWN_CHANNEL,
                            "channels: '" + name + "' is not one of push, sms, email, live");
                }
            }
        }
        QuietHours quietHours = null;
        JsonNode qh = obj.get("quietHours");
        if (qh != null && !qh.isNull()) {
            if (!qh.isObject()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "quietHours: must be an object with start and end");
            }
            quietHours = new QuietHours(clock(qh, "start"), clock(qh, "end"));
        }
        return UserUpdate.preferences(
                new UserPreferences(
                        userId,
                        JsonFields.optionalText(obj, "email"),
                        JsonFields.optionalText(obj, "phone"),
                        JsonFields.optionalId(obj, "locale"),
                        timeZone,
                        channels,
                        JsonFields.optionalFlags(obj, "categories"),
                        quietHours,
                        JsonFields.optionalInstant(obj, "updatedAt")));
    }

    public static UserUpdate deviceToken(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        if (record.value() == null) {
            String key = requiredKey(record);
            int colon = key.indexOf(':');
            if (colon <= 0 || colon == key.length() - 1) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "key: a device tombstone needs the key userId:token");
            }
            return UserUpdate.deviceDeleted(key.substring(0, colon), key.substring(colon + 1));
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String userId = JsonFields.requiredId(obj, "userId");
        String token = JsonFields.requiredId(obj, "token");
        if (!JsonFields.present(obj, "platform")) {
            throw new InvalidRecordException(Rejection.MISSING_FIELD, "platform: is required");
        }
        String platformName = JsonFields.optionalText(obj, "platform");
        Platform platform = Platform.fromWire(platformName);
        if (platform == null) {
            throw new InvalidRecordException(
                    Rejection.UNKNOWN_PLATFORM,
                    "platform: '" + platformName + "' is not one of ios, android, web");
        }
        Boolean active = JsonFields.optionalBoolean(obj, "active");
        return UserUpdate.device(
                new DeviceToken(
                        userId,
                        token,
                        platform,
                        JsonFields.optionalCleanText(obj, "appId"),
                        active == null || active,
                        JsonFields.optionalInstant(obj, "updatedAt")));
    }

    public static UserUpdate invalidation(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        if (record.value() == null) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON, "value is null: invalidations have no tombstones");
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String platformName = JsonFields.optionalText(obj, "platform");
        String providerName = JsonFields.optionalText(obj, "provider");
        return UserUpdate.tokenInvalidated(
                new TokenInvalidation(
                        JsonFields.requiredId(obj, "userId"),
                        JsonFields.requiredId(obj, "token"),
                        platformName == null ? null : Platform.fromWire(platformName),
                        providerName == null ? null : Provider.fromWire(providerName),
                        JsonFields.optionalText(obj, "reason"),
                        JsonFields.optionalInstant(obj, "invalidatedAt")));
    }

    private static String requiredKey(RawRecord record) throws InvalidRecordException {
        if (record.key() == null || record.key().length == 0) {
            throw new InvalidRecordException(
                    Rejection.MISSING_FIELD, "key: a tombstone needs its record key");
        }
        // The key becomes the userId (or userId:token) of the state it deletes.
        return Ids.check("key", new String(record.key(), StandardCharsets.UTF_8));
    }

    private static String clock(JsonNode obj, String field) throws InvalidRecordException {
        String text = JsonFields.optionalText(obj, field);
        if (text == null) {
            throw new InvalidRecordException(
                    Rejection.MISSING_FIELD, "quietHours." + field + ": is required");
        }
        try {
            LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "quietHours." + field + ": '" + text + "' is not HH:mm");
        }
        return text;
    }
}
