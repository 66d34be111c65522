package dev.notiflow.model;

import java.util.List;
import java.util.Locale;

/**
 * Who an audience event is for, instead of a list of user ids: every known user ({@code all}), or
 * the users that match every filter given. A filter that is {@code null} does not narrow the
 * audience; a given filter is never empty.
 *
 * <p>Whatever the filter, users opted out of the event's category, or of every channel the event
 * asks for, are not in the audience, nor are users without a profile.
 *
 * @param all every known user; no filter is given with it
 * @param platforms users with at least one active device on one of these platforms
 * @param appIds users with at least one active device of one of these apps (with {@code platforms}:
 *     one device that matches both)
 * @param locales users whose locale is one of these, or starts with one followed by {@code -} or
 *     {@code _} ({@code en} matches {@code en}, {@code en-US}, {@code en_GB}; not {@code eng});
 *     case-insensitive
 */
public record Audience(
        boolean all, List<Platform> platforms, List<String> appIds, List<String> locales) {

    /** Every known user. */
    public static Audience everyone() {
        return new Audience(true, null, null, null);
    }

    /**
     * Whether a locale matches one of the {@code locales} prefixes (always, without that filter).
     */
    public boolean matchesLocale(String locale) {
        if (locales == null) {
            return true;
        }
        if (locale == null) {
            return false;
        }
        String l = locale.toLowerCase(Locale.ROOT);
        for (String prefix : locales) {
            String p = prefix.toLowerCase(Locale.ROOT);
            if (l.equals(p)
                    || (l.startsWith(p)
                            && (l.charAt(p.length()) == '-' || l.charAt(p.length()) == '_'))) {
                return true;
            }
        }
        return false;
    }

    /** Whether an active device of this platform and app matches the device filters (if any). */
    public boolean matchesDevice(Platform platform, String appId) {
        return (platforms == null || platforms.contains(platform))
                && (appIds == null || appIds.contains(appId));
    }

    /** Whether the audience filters on devices at all. */
    public boolean filtersDevices() {
        return platforms != null || appIds != null;
    }
}
