package dev.notiflow.job;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.util.TimeUtils;

import dev.notiflow.job.policy.Digest;
import dev.notiflow.job.policy.QuietHoursPolicy;
import dev.notiflow.job.policy.ThrottleRules;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * The topology's settings, read and validated once from {@link JobOptions}. Serializable: it
 * travels with the operators.
 */
public record PipelineSettings(
        int maxRecordBytes,
        Duration dedupeTtl,
        Duration profileWait,
        Duration deviceTtl,
        Duration pauseOnCredentialsFailure,
        Map<Provider, SendSettings> send,
        Map<String, List<Channel>> fallbackChains,
        int audienceWalkChunk,
        Duration audienceWalkPause,
        ThrottleRules throttle,
        String templatesDefaultLocale,
        Digest.Settings digest,
        QuietHoursPolicy quietHours,
        ScheduleSettings schedule)
        implements Serializable {

    /** The category key whose chain applies to every category without its own. */
    public static final String ANY_CATEGORY = "*";

    /** Async settings of one provider's send operator. */
    public record SendSettings(
            Duration timeout,
            int capacity,
            double ratePerSecond,
            int maxAttempts,
            Duration initialBackoff,
            Duration maxBackoff)
            implements Serializable {}

    /**
     * Settings of {@code ScheduleEvents}: the sendAt horizon, the timer resolution, the number of
     * slots (keys) and the most events one slot releases per timer.
     */
    public record ScheduleSettings(
            Duration maxHorizon, Duration timerResolution, int slots, int releaseBatch)
            implements Serializable {}

    public static PipelineSettings from(ReadableConfig config) {
        int maxBytes = config.get(JobOptions.MAX_RECORD_BYTES);
        checkArgument(
                maxBytes > 0,
                "%s must be positive, was %s",
                JobOptions.MAX_RECORD_BYTES.key(),
                maxBytes);
        Map<Provider, SendSettings> send = new EnumMap<>(Provider.class);
        for (Provider p : Provider.values()) {
            Duration timeout = config.get(JobOptions.sendTimeout(p));
            int capacity = config.get(JobOptions.sendCapacity(p));
            double rate = config.get(JobOptions.sendRateLimit(p));
            checkArgument(
                    !timeout.isNegative() && !timeout.isZero(),
                    "%s must be positive, was %s",
                    JobOptions.sendTimeout(p).key(),
                    timeout);
            checkArgument(
                    capacity > 0,
                    "%s must be positive, was %s",
                    JobOptions.sendCapacity(p).key(),
                    capacity);
            checkArgument(
                    rate >= 0,
                    "%s must not be negative, was %s",
                    JobOptions.sendRateLimit(p).key(),
                    rate);
            int attempts = config.get(JobOptions.retryMaxAttempts(p));
            checkArgument(
                    attempts >= 1,
                    "%s must be at least 1, was %s",
                    JobOptions.retryMaxAttempts(p).key(),
                    attempts);
            Duration initial = positive(config, JobOptions.retryInitialBackoff(p));
            Duration max = positive(config, JobOptions.retryMaxBackoff(p));
            checkArgument(
                    max.compareTo(initial) >= 0,
                    "%s (%s) must not be below %s (%s)",
                    JobOptions.retryMaxBackoff(p).key(),
                    max,
                    JobOptions.retryInitialBackoff(p).key(),
                    initial);
            send.put(p, new SendSettings(timeout, capacity, rate, attempts, initial, max));
        }
        int walkChunk = config.get(JobOptions.AUDIENCE_WALK_CHUNK);
        checkArgument(
                walkChunk > 0,
                "%s must be positive, was %s",
                JobOptions.AUDIENCE_WALK_CHUNK.key(),
                walkChunk);
        Duration walkPause = config.get(JobOptions.AUDIENCE_WALK_PAUSE);
        checkArgument(
                !walkPause.isNegative(),
                "%s must not be negative, was %s",
                JobOptions.AUDIENCE_WALK_PAUSE.key(),
                walkPause);
        return new PipelineSettings(
                maxBytes,
                positive(config, JobOptions.DEDUPE_TTL),
                positive(config, JobOptions.PROFILE_WAIT),
                positive(config, JobOptions.DEVICE_TTL),
                positive(config, JobOptions.PAUSE_ON_CREDENTIALS_FAILURE),
                send,
                fallbackChains(config),
                walkChunk,
                walkPause,
                throttle(config),
                defaultLocale(config),
                digest(config),
                QuietHoursPolicy.parse(
                        JobOptions.QUIET_HOURS_DEFAULT_ZONE.key(),
                        config.get(JobOptions.QUIET_HOURS_DEFAULT_ZONE),
                        JobOptions.QUIET_HOURS_CATEGORIES.key(),
                        config.get(JobOptions.QUIET_HOURS_CATEGORIES)),
                schedule(config));
    }

    private static ScheduleSettings schedule(ReadableConfig config) {
        Duration horizon = positive(config, JobOptions.SCHEDULE_MAX_HORIZON);
        Duration resolution = positive(config, JobOptions.SCHEDULE_TIMER_RESOLUTION);
        checkArgument(
                resolution.compareTo(horizon) < 0,
                "%s (%s) must be below %s (%s)",
                JobOptions.SCHEDULE_TIMER_RESOLUTION.key(),
                resolution,
                JobOptions.SCHEDULE_MAX_HORIZON.key(),
                horizon);
        int slots = config.get(JobOptions.SCHEDULE_SLOTS);
        int maxParallelism = config.get(JobOptions.MAX_PARALLELISM);
        checkArgument(
                slots > 0 && maxParallelism > 0 && slots % maxParallelism == 0,
                "%s must be a positive multiple of %s (%s), was %s",
                JobOptions.SCHEDULE_SLOTS.key(),
                JobOptions.MAX_PARALLELISM.key(),
                maxParallelism,
                slots);
        int batch = config.get(JobOptions.SCHEDULE_RELEASE_BATCH);
        checkArgument(
                batch > 0,
                "%s must be positive, was %s",
                JobOptions.SCHEDULE_RELEASE_BATCH.key(),
                batch);
        return new ScheduleSettings(horizon, resolution, slots, batch);
    }

    private static ThrottleRules throttle(ReadableConfig config) {
        List<ThrottleRules.Rule> rules =
                ThrottleRules.parse(
                        JobOptions.THROTTLE_RULES.key(), config.get(JobOptions.THROTTLE_RULES));
        Duration bucket = positive(config, JobOptions.THROTTLE_BUCKET);
        for (ThrottleRules.Rule rule : rules) {
            checkArgument(
                    rule.window().toMillis() % bucket.toMillis() == 0,
                    "%s: the window of '%s' is not a whole number of %s (%s)",
                    JobOptions.THROTTLE_RULES.key(),
                    rule.text(),
                    JobOptions.THROTTLE_BUCKET.key(),
                    bucket);
        }
        List<Priority> bypass = new ArrayList<>();
        for (String name : config.get(JobOptions.THROTTLE_BYPASS_PRIORITIES)) {
            Priority p = Priority.fromWire(name.trim());
            checkArgument(
                    p != null,
                    "%s: '%s' is not one of high, normal, low",
                    JobOptions.THROTTLE_BYPASS_PRIORITIES.key(),
                    name.trim());
            bypass.add(p);
        }
        List<String> defer = new ArrayList<>();
        for (String category : config.get(JobOptions.THROTTLE_DEFER_CATEGORIES)) {
            checkArgument(
                    !category.isBlank() && !category.trim().equals(ThrottleRules.ANY),
                    "%s: '%s' is not a category",
                    JobOptions.THROTTLE_DEFER_CATEGORIES.key(),
                    category);
            defer.add(category.trim());
        }
        return new ThrottleRules(
                rules, bucket, defer, positive(config, JobOptions.THROTTLE_MAX_DEFER), bypass);
    }

    private static Digest.Settings digest(ReadableConfig config) {
        String windowsKey = JobOptions.DIGEST_WINDOWS.key();
        Map<String, Duration> windows = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : config.get(JobOptions.DIGEST_WINDOWS).entrySet()) {
            String category = e.getKey().trim();
            checkArgument(
                    !category.isEmpty() && !category.equals(ThrottleRules.ANY),
                    "%s: '%s' is not a category",
                    windowsKey,
                    e.getKey());
            Duration window;
            try {
                window = TimeUtils.parseDuration(e.getValue().trim());
            } catch (IllegalArgumentException | NullPointerException bad) {
                throw new IllegalArgumentException(
                        String.format(
                                "%s: the window of %s, '%s', is not a duration such as 30 min",
                                windowsKey, category, e.getValue()),
                        bad);
            }
            checkArgument(
                    !window.isNegative() && !window.isZero(),
                    "%s: the window of %s must be positive, was %s",
                    windowsKey,
                    category,
                    e.getValue());
            windows.put(category, window);
        }
        Map<String, String> templates = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : config.get(JobOptions.DIGEST_TEMPLATES).entrySet()) {
            String category = e.getKey().trim();
            checkArgument(
                    windows.containsKey(category),
                    "%s: %s has no window in %s",
                    JobOptions.DIGEST_TEMPLATES.key(),
                    category,
                    windowsKey);
            String templateId = e.getValue().trim();
            checkArgument(
                    !templateId.isEmpty(),
                    "%s: the template of %s is empty",
                    JobOptions.DIGEST_TEMPLATES.key(),
                    category);
            templates.put(category, templateId);
        }
        int maxItems = config.get(JobOptions.DIGEST_MAX_ITEMS);
        checkArgument(
                maxItems >= 1 && maxItems <= 100,
                "%s must be between 1 and 100, was %s",
                JobOptions.DIGEST_MAX_ITEMS.key(),
                maxItems);
        return new Digest.Settings(windows, templates, maxItems);
    }

    private static String defaultLocale(ReadableConfig config) {
        String locale = config.get(JobOptions.TEMPLATES_DEFAULT_LOCALE);
        checkArgument(
                locale != null && !locale.isBlank() && locale.equals(locale.strip()),
                "%s must be a locale tag such as en, was '%s'",
                JobOptions.TEMPLATES_DEFAULT_LOCALE.key(),
                locale);
        return locale;
    }

    private static Map<String, List<Channel>> fallbackChains(ReadableConfig config) {
        Map<String, List<Channel>> chains = new HashMap<>();
        for (Map.Entry<String, String> e : config.get(JobOptions.FALLBACK_CHAINS).entrySet()) {
            List<Channel> chain = new ArrayList<>();
            for (String name : e.getValue().split(">")) {
                Channel channel = Channel.fromWire(name.trim());
                checkArgument(
                        channel != null,
                        "%s: '%s' in the chain of %s is not one of push, sms, email, live",
                        JobOptions.FALLBACK_CHAINS.key(),
                        name.trim(),
                        e.getKey());
                checkArgument(
                        !chain.contains(channel),
                        "%s: %s appears twice in the chain of %s",
                        JobOptions.FALLBACK_CHAINS.key(),
                        name.trim(),
                        e.getKey());
                chain.add(channel);
            }
            int push = chain.indexOf(Channel.PUSH);
            checkArgument(
                    push <= 0 || (push == 1 && chain.get(0) == Channel.LIVE),
                    "%s: push in the chain of %s (%s) must come first or right after live: a push"
                            + " fallback is one notification per device, and only a live"
                            + " notification carries the user's devices (live>push>email)",
                    JobOptions.FALLBACK_CHAINS.key(),
                    e.getKey(),
                    e.getValue());
            chains.put(e.getKey().trim(), chain);
        }
        return chains;
    }

    /** The fallback chain of a category, or an empty list. */
    public List<Channel> fallbackChain(String category) {
        List<Channel> chain = fallbackChains.get(category);
        if (chain == null) {
            chain = fallbackChains.get(ANY_CATEGORY);
        }
        return chain == null ? List.of() : chain;
    }

    private static Duration positive(
            ReadableConfig config, org.apache.flink.configuration.ConfigOption<Duration> option) {
        Duration d = config.get(option);
        checkArgument(
                !d.isNegative() && !d.isZero(), "%s must be positive, was %s", option.key(), d);
        return d;
    }
}
