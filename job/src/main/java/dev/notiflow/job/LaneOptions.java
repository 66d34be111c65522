package dev.notiflow.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import dev.notiflow.model.Provider;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of the priority lanes ({@link Lanes}): which lane a {@link NotificationJob} serves
 * and how the lanes share each provider's project quota. Without {@link #LANE} the job is the
 * single job of before, and none of the quota options apply.
 */
public final class LaneOptions {

    public static final ConfigOption<String> LANE =
            ConfigOptions.key("lane")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "The priority lane this sending job serves: high, normal or low. It then"
                                    + " reads <topics.events>.<lane> (written by LaneRouterJob), uses"
                                    + " the consumer group <kafka.group-id>-<lane>, the transactional"
                                    + " ids <kafka.transactional-id-prefix>-<lane> and, for high and"
                                    + " low, its own retry topic <topics.retry>.<lane>. Unset: the"
                                    + " single job reading <topics.events> for every priority.");

    public static final ConfigOption<String> PRIORITY_INPUT_TOPIC =
            ConfigOptions.key("lanes.priority-input-topic")
                    .stringType()
                    .defaultValue("notification-events-priority")
                    .withDescription(
                            "A second input of LaneRouterJob, beside topics.events, for events that"
                                    + " must not wait behind a flood there (login codes, alerts):"
                                    + " the router reads it with a source of its own, so its events"
                                    + " are routed while a backlog on topics.events is still being"
                                    + " read. Same contract, validation and dedupe (an eventId on"
                                    + " both topics is sent once); each event's own priority still"
                                    + " picks its lane. Empty: the router reads topics.events only.");

    public static final ConfigOption<Double> HIGH_RESERVED_SHARE =
            ConfigOptions.key("lanes.high-reserved-share")
                    .doubleType()
                    .defaultValue(0.2)
                    .withDescription(
                            "The share of each provider's lanes.quota.<provider> reserved for the high"
                                    + " lane (0 < share < 1); normal and low together get the rest.");

    public static final ConfigOption<Double> NORMAL_SHARE =
            ConfigOptions.key("lanes.normal-share")
                    .doubleType()
                    .defaultValue(0.5)
                    .withDescription(
                            "The part of the quota not reserved for the high lane that the normal lane"
                                    + " gets (0 < share < 1); the low lane gets the remainder.");

    private static final Map<Provider, ConfigOption<String>> QUOTA = new EnumMap<>(Provider.class);

    static {
        for (Provider p : Provider.values()) {
            QUOTA.put(
                    p,
                    ConfigOptions.key("lanes.quota." + p.wireName())
                            .stringType()
                            .noDefaultValue()
                            .withDescription(
                                    "The project quota of "
                                            + p.wireName()
                                            + " shared by the three lanes, as <count>/<duration>"
                                            + " (e.g. 600000/min, 500/s, 1000/10 s). A lane job"
                                            + " sets its send."
                                            + p.wireName()
                                            + ".rate-limit to quota per second × its lane's share"
                                            + " ÷ its parallelism, and then refuses a send."
                                            + p.wireName()
                                            + ".rate-limit other than 0. Unset: the lane keeps"
                                            + " that setting."));
        }
    }

    private LaneOptions() {}

    public static ConfigOption<String> quota(Provider p) {
        return QUOTA.get(p);
    }

    /** Every option of this class, for the reference and the config file checks. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> all =
                new ArrayList<>(
                        List.of(LANE, PRIORITY_INPUT_TOPIC, HIGH_RESERVED_SHARE, NORMAL_SHARE));
        for (Provider p : Provider.values()) {
            all.add(QUOTA.get(p));
        }
        return all;
    }
}
