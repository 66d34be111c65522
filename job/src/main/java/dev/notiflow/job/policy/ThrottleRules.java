package dev.notiflow.job.policy;

import org.apache.flink.util.TimeUtils;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Priority;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The frequency caps of the {@link Throttle} operator, parsed once at start from {@code
 * throttle.*}: rules such as {@code marketing:push<=3/1h}, the bucket size windows are counted in,
 * the categories that are deferred rather than dropped, how long a deferred notification may wait,
 * and the priorities that bypass the caps.
 *
 * <p>A rule is {@code <category>:<channel><=<limit>/<window>}: at most {@code limit} notifications
 * of that category (or of every category, {@code *}) on that channel ({@code push}, {@code sms},
 * {@code email}, or {@code *} for each channel on its own) to one user in any rolling window of
 * that length. Rules are separated by commas; all rules that apply must hold.
 *
 * <pre>{@code
 * List<ThrottleRules.Rule> rules =
 *         ThrottleRules.parse("throttle.rules", "marketing:push<=3/1h,marketing:*<=10/1d");
 * }</pre>
 *
 * <p>Immutable and serializable: it travels with the operator.
 */
public final class ThrottleRules implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Matches every category, or every channel. */
    public static final String ANY = "*";

    private static final Pattern RULE =
            Pattern.compile("([^\\s:,]+)\\s*:\\s*([^\\s<]+)\\s*<=\\s*(\\d+)\\s*/\\s*(.+)");

    /**
     * One cap: at most {@code limit} notifications of {@code category} on {@code channel} in any
     * rolling {@code window}.
     *
     * @param category a category, or {@code *} for all
     * @param channel the channel, or {@code null} for each channel on its own
     * @param text the rule as configured, normalized (what a THROTTLED record's detail names)
     */
    public record Rule(String category, Channel channel, int limit, Duration window, String text)
            implements Serializable {

        /** Whether this rule caps notifications of this category on this channel. */
        public boolean appliesTo(String category, Channel channel) {
            return (this.channel == null || this.channel == channel) && counts(category);
        }

        /** Whether a notification of this category counts toward this rule's window. */
        public boolean counts(String category) {
            return ANY.equals(this.category) || this.category.equals(category);
        }
    }

    private final List<Rule> rules;
    private final Duration bucket;
    private final HashSet<String> deferCategories;
    private final Duration maxDefer;
    private final EnumSet<Priority> bypass;

    /**
     * @param rules the caps
     * @param bucket the counting granularity; every window is a whole number of buckets
     * @param deferCategories categories whose notifications wait for their window to free
     * @param maxDefer the longest a deferred notification may wait
     * @param bypass priorities never held back (still counted)
     */
    public ThrottleRules(
            List<Rule> rules,
            Duration bucket,
            Collection<String> deferCategories,
            Duration maxDefer,
            Collection<Priority> bypass) {
        this.rules = List.copyOf(rules);
        this.bucket = bucket;
        this.deferCategories = new HashSet<>(deferCategories);
        this.maxDefer = maxDefer;
        this.bypass = bypass.isEmpty() ? EnumSet.noneOf(Priority.class) : EnumSet.copyOf(bypass);
        for (Rule r : rules) {
            if (r.window().toMillis() % bucket.toMillis() != 0) {
                throw new IllegalArgumentException(
                        "the window of '"
                                + r.text()
                                + "' is not a whole number of buckets of "
                                + TimeUtils.formatWithHighestUnit(bucket));
            }
        }
    }

    /** No caps at all: every notification passes. */
    public static ThrottleRules none() {
        return new ThrottleRules(
                List.of(), Duration.ofMinutes(1), Set.of(), Duration.ofHours(1), Set.of());
    }

    /**
     * Parses a comma-separated list of rules; blank means none.
     *
     * @param key the configuration key, named in the error
     * @throws IllegalArgumentException naming the key and the part that is wrong
     */
    public static List<Rule> parse(String key, String spec) {
        List<Rule> rules = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return rules;
        }
        for (String part : spec.split(",", -1)) {
            String text = part.trim();
            Matcher m = RULE.matcher(text);
            if (!m.matches()) {
                throw bad(key, text, "expected <category>:<channel><=<limit>/<window>");
            }
            String category = m.group(1);
            String channelName = m.group(2);
            Channel channel = Channel.fromWire(channelName);
            if (channel == null && !ANY.equals(channelName)) {
                throw bad(key, text, "channel '" + channelName + "' is not push, sms, email or *");
            }
            int limit;
            try {
                limit = Integer.parseInt(m.group(3));
            } catch (NumberFormatException e) {
                throw bad(key, text, "limit '" + m.group(3) + "' is too large");
            }
            if (limit < 1) {
                throw bad(key, text, "the limit must be at least 1");
            }
            Duration window;
            try {
                window = TimeUtils.parseDuration(m.group(4).trim());
            } catch (IllegalArgumentException e) {
                throw bad(key, text, "window '" + m.group(4).trim() + "' is not a duration");
            }
            if (window.isZero() || window.isNegative()) {
                throw bad(key, text, "the window must be positive");
            }
            rules.add(
                    new Rule(
                            category,
                            channel,
                            limit,
                            window,
                            category + ":" + channelName + "<=" + limit + "/" + m.group(4).trim()));
        }
        return rules;
    }

    private static IllegalArgumentException bad(String key, String part, String why) {
        return new IllegalArgumentException(key + ": bad rule '" + part + "': " + why);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The rules that cap this category on this channel, in configuration order. */
    public List<Rule> applicable(String category, Channel channel) {
        List<Rule> applicable = new ArrayList<>(2);
        for (Rule r : rules) {
            if (r.appliesTo(category, channel)) {
                applicable.add(r);
            }
        }
        return applicable;
    }

    public Duration bucket() {
        return bucket;
    }

    public Duration maxDefer() {
        return maxDefer;
    }

    /** Whether notifications of this category wait for their window instead of being dropped. */
    public boolean defers(String category) {
        return deferCategories.contains(category);
    }

    /** Whether any category is deferred. */
    public boolean defersAny() {
        return !deferCategories.isEmpty();
    }

    /** Whether notifications of this priority are never held back. */
    public boolean bypasses(Priority priority) {
        return priority != null && bypass.contains(priority);
    }

    /** The longest window of any rule; zero without rules. */
    public Duration longestWindow() {
        Duration longest = Duration.ZERO;
        for (Rule r : rules) {
            if (r.window().compareTo(longest) > 0) {
                longest = r.window();
            }
        }
        return longest;
    }
}
