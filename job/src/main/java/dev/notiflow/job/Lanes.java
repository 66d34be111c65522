package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;

import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Priority lanes: {@link LaneRouterJob} copies each event of {@code notification-events} to {@code
 * notification-events.<lane>} by its priority, and one {@link NotificationJob} per lane ({@code
 * --lane high}) runs the whole topology on its own topic, with its own consumer group,
 * transactional ids, state, checkpoints and provider clients, so that back-pressure from one lane's
 * providers never reaches another lane.
 *
 * <p>{@link #laneConfig} turns the shared configuration into one lane job's: the events topic,
 * group and transactional-id prefix get the lane's suffix; the high and low lanes read and write
 * their own retry topic, while the normal lane keeps {@code topics.retry}, so that it carries on
 * the single job's retries after a migration; each provider with a {@code lanes.quota.<provider>}
 * gets the lane's share of it as its per-subtask {@code send.<provider>.rate-limit}.
 */
public final class Lanes {

    private Lanes() {}

    /** The lane of this job, or empty for the single job. */
    public static Optional<Priority> lane(Configuration config) {
        String value = config.get(LaneOptions.LANE);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        Priority lane = Priority.fromWire(value.trim().toLowerCase(Locale.ROOT));
        checkArgument(
                lane != null,
                "%s must be one of high, normal, low, was '%s'",
                LaneOptions.LANE.key(),
                value);
        return Optional.of(lane);
    }

    /** The topic the router writes a lane's events to, e.g. {@code notification-events.high}. */
    public static String eventsTopic(Configuration config, Priority lane) {
        return config.get(JobOptions.TOPIC_EVENTS) + "." + lane.wireName();
    }

    /**
     * The configuration of the lane job, derived from the shared one; the configuration unchanged
     * when no lane is set.
     *
     * @param parallelism the parallelism of the job's send operators, which share its rate
     */
    public static Configuration laneConfig(Configuration config, int parallelism) {
        Optional<Priority> maybeLane = lane(config);
        if (maybeLane.isEmpty()) {
            return config;
        }
        Priority lane = maybeLane.get();
        Configuration c = new Configuration(config);
        String suffix = "-" + lane.wireName();
        c.set(JobOptions.TOPIC_EVENTS, eventsTopic(config, lane));
        if (lane != Priority.NORMAL) {
            c.set(
                    JobOptions.TOPIC_RETRY,
                    config.get(JobOptions.TOPIC_RETRY) + "." + lane.wireName());
        }
        c.set(JobOptions.KAFKA_GROUP_ID, config.get(JobOptions.KAFKA_GROUP_ID) + suffix);
        c.set(
                JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX,
                config.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX) + suffix);
        double share = share(config, lane);
        checkArgument(parallelism > 0, "parallelism must be positive, was %s", parallelism);
        for (Provider p : Provider.values()) {
            String quota = config.get(LaneOptions.quota(p));
            if (quota == null || quota.isBlank()) {
                continue;
            }
            checkArgument(
                    config.get(JobOptions.sendRateLimit(p)) == 0,
                    "%s is derived from %s in a lane job: leave it 0 (no limit) or unset",
                    JobOptions.sendRateLimit(p).key(),
                    LaneOptions.quota(p).key());
            c.set(
                    JobOptions.sendRateLimit(p),
                    perSecond(LaneOptions.quota(p).key(), quota) * share / parallelism);
        }
        return c;
    }

    /** The lane's share of every provider's quota. */
    public static double share(Configuration config, Priority lane) {
        double reserved = config.get(LaneOptions.HIGH_RESERVED_SHARE);
        double normal = config.get(LaneOptions.NORMAL_SHARE);
        checkArgument(
                reserved > 0 && reserved < 1,
                "%s must be between 0 and 1 (exclusive), was %s",
                LaneOptions.HIGH_RESERVED_SHARE.key(),
                reserved);
        checkArgument(
                normal > 0 && normal < 1,
                "%s must be between 0 and 1 (exclusive), was %s",
                LaneOptions.NORMAL_SHARE.key(),
                normal);
        switch (lane) {
            case HIGH:
                return reserved;
            case NORMAL:
                return (1 - reserved) * normal;
            default:
                return (1 - reserved) * (1 - normal);
        }
    }

    /** A quota {@code <count>/<duration>} (600000/min, 1000/10 s) in sends per second. */
    static double perSecond(String key, String quota) {
        int slash = quota.indexOf('/');
        checkArgument(
                slash > 0, "%s must be <count>/<duration>, e.g. 600000/min, was '%s'", key, quota);
        double count;
        Duration per;
        try {
            count = Double.parseDouble(quota.substring(0, slash).trim());
            String unit = quota.substring(slash + 1).trim();
            per =
                    TimeUtils.parseDuration(
                            !unit.isEmpty() && Character.isDigit(unit.charAt(0))
                                    ? unit
                                    : "1 " + unit);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    key + " must be <count>/<duration>, e.g. 600000/min, was '" + quota + "'", e);
        }
        checkArgument(
                count > 0 && !per.isZero() && !per.isNegative(),
                "%s must be a positive count per positive duration, was '%s'",
                key,
                quota);
        return count * 1_000_000_000.0 / per.toNanos();
    }
}
