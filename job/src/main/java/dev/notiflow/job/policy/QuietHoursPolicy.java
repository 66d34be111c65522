package dev.notiflow.job.policy;

import java.io.Serializable;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * What quiet hours do to a notification of each category ({@code quiet-hours.categories}), and the
 * zone of users without one ({@code quiet-hours.default-zone}).
 *
 * @param defaultZone a time zone id, e.g. {@code UTC} or {@code Europe/Berlin}
 * @param actions per category, or {@link #ANY} for every category without its own; a category in
 *     neither is {@link Action#DEFER}
 */
public record QuietHoursPolicy(String defaultZone, Map<String, Action> actions)
        implements Serializable {

    /** The category key whose action applies to every category without its own. */
    public static final String ANY = "*";

    /** What happens to a notification below high priority that falls inside quiet hours. */
    public enum Action {
        /** It waits until the quiet hours end. */
        DEFER,
        /** It ends {@code SKIPPED}/{@code QUIET_HOURS}. */
        DROP,
        /** It is sent as if there were no quiet hours. */
        IGNORE
    }

    public QuietHoursPolicy {
        actions = new HashMap<>(actions);
    }

    /** Every notification deferred, users without a zone in UTC. */
    public static QuietHoursPolicy defaults() {
        return new QuietHoursPolicy("UTC", Map.of());
    }

    /** The action for a category ({@code null}: the {@link #ANY} action). */
    public Action action(String category) {
        Action a = category == null ? null : actions.get(category);
        if (a == null) {
            a = actions.get(ANY);
        }
        return a == null ? Action.DEFER : a;
    }

    /**
     * Reads and validates the settings; every error names its key.
     *
     * @param categories category → {@code defer}, {@code drop} or {@code ignore}
     */
    public static QuietHoursPolicy parse(
            String zoneKey, String zone, String categoriesKey, Map<String, String> categories) {
        checkArgument(zone != null && !zone.isBlank(), "%s must be a time zone id", zoneKey);
        try {
            ZoneId.of(zone.trim());
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(
                    zoneKey + ": '" + zone + "' is not a time zone id", e);
        }
        Map<String, Action> actions = new HashMap<>();
        for (Map.Entry<String, String> e : categories.entrySet()) {
            String category = e.getKey().trim();
            checkArgument(!category.isEmpty(), "%s: an empty category", categoriesKey);
            Action action = null;
            for (Action a : Action.values()) {
                if (a.name().equals(e.getValue().trim().toUpperCase(Locale.ROOT))) {
                    action = a;
                }
            }
            checkArgument(
                    action != null,
                    "%s: '%s' for %s is not one of defer, drop, ignore",
                    categoriesKey,
                    e.getValue().trim(),
                    category);
            actions.put(category, action);
        }
        return new QuietHoursPolicy(zone.trim(), actions);
    }
}
