package dev.notiflow.model;

/**
 * A change to one user's keyed state: a profile, its deletion, a device registration or removal, or
 * a token a provider reported dead. Exactly one payload field is set, per {@code kind}.
 */
public record UserUpdate(
        String userId,
        Kind kind,
        UserPreferences preferences,
        DeviceToken device,
        String token,
        TokenInvalidation invalidation) {

    /** What the update does. */
    public enum Kind {
        PREFERENCES,
        PREFERENCES_DELETED,
        DEVICE,
        DEVICE_DELETED,
        TOKEN_INVALIDATED
    }

    public static UserUpdate preferences(UserPreferences p) {
        return new UserUpdate(p.userId(), Kind.PREFERENCES, p, null, null, null);
    }

    public static UserUpdate preferencesDeleted(String userId) {
        return new UserUpdate(userId, Kind.PREFERENCES_DELETED, null, null, null, null);
    }

    public static UserUpdate device(DeviceToken d) {
        return new UserUpdate(d.userId(), Kind.DEVICE, null, d, d.token(), null);
    }

    public static UserUpdate deviceDeleted(String userId, String token) {
        return new UserUpdate(userId, Kind.DEVICE_DELETED, null, null, token, null);
    }

    public static UserUpdate tokenInvalidated(TokenInvalidation inv) {
        return new UserUpdate(inv.userId(), Kind.TOKEN_INVALIDATED, null, null, inv.token(), inv);
    }
}
