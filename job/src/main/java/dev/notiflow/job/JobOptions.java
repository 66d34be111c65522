package dev.notiflow.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import dev.notiflow.model.Provider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the job itself, read from a {@code Configuration} (the YAML file given with
 * {@code --config}, then {@code --key value} overrides). Provider settings live beside their
 * senders ({@code ApnsOptions}, {@code FcmOptions}, {@code SmsOptions}, {@code EmailOptions}).
 * Secrets are never options: they come from files or environment variables.
 */
public final class JobOptions {

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS =
            ConfigOptions.key("kafka.bootstrap-servers")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Kafka bootstrap servers, e.g. broker1:9092,broker2:9092. Required.");

    public static final ConfigOption<String> KAFKA_GROUP_ID =
            ConfigOptions.key("kafka.group-id")
                    .stringType()
                    .defaultValue("notiflow")
                    .withDescription("Consumer group id of the job's Kafka sources.");

    public static final ConfigOption<String> KAFKA_TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("kafka.transactional-id-prefix")
                    .stringType()
                    .defaultValue("notiflow")
                    .withDescription(
                            "Prefix of the Kafka sinks' transactional ids; unique per job on a cluster.");

    public static final ConfigOption<Duration> KAFKA_TRANSACTION_TIMEOUT =
            ConfigOptions.key("kafka.transaction-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription(
                            "Kafka transaction timeout: above the longest checkpoint plus restart, at most the"
                                    + " broker's transaction.max.timeout.ms (15 min by default).");

    public static final ConfigOption<String> TOPIC_EVENTS =
            topic("events", "notification-events", "Input: business events (key eventId).");
    public static final ConfigOption<String> TOPIC_PREFERENCES =
            topic(
                    "preferences",
                    "user-preferences",
                    "Input, compacted: user preferences (key userId).");
    public static final ConfigOption<String> TOPIC_DEVICES =
            topic(
                    "devices",
                    "device-tokens",
                    "Input, compacted: device tokens (key userId:token).");
    public static final ConfigOption<String> TOPIC_TEMPLATES =
            topic(
                    "templates",
                    "notification-templates",
                    "Input, compacted: message templates (key templateId:locale); a tombstone"
                            + " deletes one.");
    public static final ConfigOption<String> TOPIC_CANCELLATIONS =
            topic(
                    "cancellations",
                    "notification-cancellations",
                    "Input: requests to cancel a notification that waits for its sendAt (key"
                            + " eventId).");
    public static final ConfigOption<String> TOPIC_ENGAGEMENT =
            topic(
                    "engagement",
                    "notification-engagement",
                    "Input of the delivery tables job: delivered, opened, clicked or dismissed per"
                            + " notification (key notificationId), folded into the table"
                            + " engagement.");
    public static final ConfigOption<String> TOPIC_DELIVERIES =
            topic("deliveries", "notification-deliveries", "Output: one record per final outcome.");
    public static final ConfigOption<String> TOPIC_RETRY =
            topic(
                    "retry",
                    "notification-retry",
                    "Internal, read back by the job: sends to try again after a backoff.");
    public static final ConfigOption<String> TOPIC_DLQ =
            topic(
                    "dlq",
                    "notification-dlq",
                    "Output: bad input and failed sends, with the reason.");
    public static final ConfigOption<String> TOPIC_INVALIDATIONS =
            topic(
                    "invalidations",
                    "device-token-invalidations",
                    "Output, read back by the job: tokens a provider reported dead.");

    public static final ConfigOption<Integer> MAX_RECORD_BYTES =
            ConfigOptions.key("input.max-record-bytes")
                    .intType()
                    .defaultValue(64 * 1024)
                    .withDescription(
                            "Input records larger than this go to the DLQ as RECORD_TOO_LARGE.");

    public static final ConfigOption<Duration> DEDUPE_TTL =
            ConfigOptions.key("dedupe.ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(7))
                    .withDescription(
                            "How long an eventId is remembered to drop repeats. Must cover the longest replay"
                                    + " window (topic retention plus retry delays).");

    public static final ConfigOption<String> TEMPLATES_DEFAULT_LOCALE =
            ConfigOptions.key("templates.default-locale")
                    .stringType()
                    .defaultValue("en")
                    .withDescription(
                            "Locale of the template used when none exists for the user's locale"
                                    + " (ko-KR) or its language (ko).");

    public static final ConfigOption<Duration> PROFILE_WAIT =
            ConfigOptions.key("profile.wait")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "How long an event for a user without a profile waits for one before it ends as"
                                    + " SKIPPED/NO_PROFILE.");

    public static final ConfigOption<Duration> DEVICE_TTL =
            ConfigOptions.key("devices.ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(270))
                    .withDescription(
                            "A device token not registered again within this time expires from state.");

    public static final ConfigOption<Duration> PAUSE_ON_CREDENTIALS_FAILURE =
            ConfigOptions.key("send.pause-on-credentials-failure")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription(
                            "How long a provider is paused after it rejected our credentials; its sends are"
                                    + " retried later instead of failing.");

    public static final ConfigOption<Map<String, String>> FALLBACK_CHAINS =
            ConfigOptions.key("fallback.chains")
                    .mapType()
                    .defaultValue(Map.of())
                    .withDescription(
                            "Fallback channels per category, e.g. order:push>sms>email,*:push>email"
                                    + " ('*' for every other category). When a notification ends FAILED or"
                                    + " EXHAUSTED, or its channel has no device or contact, the next channel of"
                                    + " the chain that the user allows and can be reached on (sms, email, or live,"
                                    + " which needs no contact) is tried once; a live notification whose user is"
                                    + " not connected (NOT_CONNECTED) falls back the same way, e.g. *:live>email."
                                    + " Push is a target only right after live (chat:live>push>email): one push"
                                    + " per active device of the user, each falling back to the step after push;"
                                    + " a chain with push elsewhere but first stops the job at start. Empty: no"
                                    + " fallback.");

    public static final ConfigOption<Integer> AUDIENCE_WALK_CHUNK =
            ConfigOptions.key("audience.walk-chunk")
                    .intType()
                    .defaultValue(2000)
                    .withDescription(
                            "How many users an audience walk visits per turn of the task's mailbox;"
                                    + " records and checkpoint barriers pass between two turns.");

    public static final ConfigOption<Duration> AUDIENCE_WALK_PAUSE =
            ConfigOptions.key("audience.walk-pause")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription(
                            "Time between two chunks of an audience walk (0: the next mailbox turn). A"
                                    + " pause spreads a large audience over time.");

    public static final ConfigOption<String> THROTTLE_RULES =
            ConfigOptions.key("throttle.rules")
                    .stringType()
                    .defaultValue("marketing:*<=3/1h,marketing:*<=10/1d")
                    .withDescription(
                            "Frequency caps per user, comma-separated, each"
                                    + " <category>:<channel><=<limit>/<window>: at most limit"
                                    + " notifications of the category ('*' for all) on the channel"
                                    + " (push, sms, email, or '*' for each channel on its own) in any"
                                    + " rolling window. Every rule that applies must hold; a push counts"
                                    + " once however many devices it goes to. Over a limit the channel"
                                    + " ends SKIPPED/THROTTLED, with the rule in detail. Categories"
                                    + " without a rule are not throttled; empty: no throttling.");

    public static final ConfigOption<Duration> THROTTLE_BUCKET =
            ConfigOptions.key("throttle.bucket")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription(
                            "The granularity throttle windows are counted in; every window must be a"
                                    + " whole number of buckets. A send's slot frees between one window"
                                    + " and one window plus one bucket after it.");

    public static final ConfigOption<List<String>> THROTTLE_DEFER_CATEGORIES =
            ConfigOptions.key("throttle.defer-categories")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription(
                            "Categories whose notifications over a limit wait until their window frees"
                                    + " (at most throttle.max-defer) instead of ending THROTTLED, e.g."
                                    + " digest;news. Empty: every category is dropped when over.");

    public static final ConfigOption<Duration> THROTTLE_MAX_DEFER =
            ConfigOptions.key("throttle.max-defer")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "The longest a deferred notification waits; one whose window does not free"
                                    + " within it ends THROTTLED when it arrives.");

    public static final ConfigOption<List<String>> THROTTLE_BYPASS_PRIORITIES =
            ConfigOptions.key("throttle.bypass-priorities")
                    .stringType()
                    .asList()
                    .defaultValues("high")
                    .withDescription(
                            "Priorities (high, normal, low) never throttled; their sends still count"
                                    + " toward the windows.");

    public static final ConfigOption<Map<String, String>> DIGEST_WINDOWS =
            ConfigOptions.key("digest.windows")
                    .mapType()
                    .defaultValue(Map.of())
                    .withDescription(
                            "Digest windows per category, e.g. social:30 min,comments:10 min. The"
                                    + " first notification of such a category for a user and channel"
                                    + " opens a window of that length; those that follow within it are"
                                    + " folded in. When it closes, a single notification is sent as it"
                                    + " was; several become one digest per device or address, rendered"
                                    + " with the category's digest template, and each folded one ends"
                                    + " SKIPPED/DIGESTED. High priority is never digested. Empty: no"
                                    + " digests.");

    public static final ConfigOption<Map<String, String>> DIGEST_TEMPLATES =
            ConfigOptions.key("digest.templates")
                    .mapType()
                    .defaultValue(Map.of())
                    .withDescription(
                            "The digest template per category, e.g. social:social-digest; a category"
                                    + " of digest.windows not listed uses the template"
                                    + " digest.<category>.");

    public static final ConfigOption<Integer> DIGEST_MAX_ITEMS =
            ConfigOptions.key("digest.max-items")
                    .intType()
                    .defaultValue(10)
                    .withDescription(
                            "How many of a digest's notifications its template receives as"
                                    + " digest.items (the first ones, 1 to 100); digest.count counts"
                                    + " them all.");

    public static final ConfigOption<String> QUIET_HOURS_DEFAULT_ZONE =
            ConfigOptions.key("quiet-hours.default-zone")
                    .stringType()
                    .defaultValue("UTC")
                    .withDescription(
                            "Time zone id (e.g. UTC, Europe/Berlin) of the quiet hours of a user whose"
                                    + " profile has quiet hours but no timeZone.");

    public static final ConfigOption<Map<String, String>> QUIET_HOURS_CATEGORIES =
            ConfigOptions.key("quiet-hours.categories")
                    .mapType()
                    .defaultValue(Map.of())
                    .withDescription(
                            "What a notification below high priority that falls inside its user's quiet"
                                    + " hours does, per category, e.g. marketing:drop,security:ignore"
                                    + " ('*' for every other category): defer (wait until the quiet"
                                    + " hours end in the user's zone), drop (end SKIPPED/QUIET_HOURS) or"
                                    + " ignore (send now). A category not listed defers.");

    public static final ConfigOption<Duration> SCHEDULE_MAX_HORIZON =
            ConfigOptions.key("schedule.max-horizon")
                    .durationType()
                    .defaultValue(Duration.ofDays(30))
                    .withDescription(
                            "How far ahead an event's sendAt may be; one further ahead goes to the DLQ"
                                    + " as INVALID_FIELD. A cancellation that arrives before its event"
                                    + " is remembered this long.");

    public static final ConfigOption<Duration> SCHEDULE_TIMER_RESOLUTION =
            ConfigOptions.key("schedule.timer-resolution")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(1))
                    .withDescription(
                            "Scheduled events are released on the first multiple of this after their"
                                    + " sendAt (never before it), one timer per slot and multiple; it"
                                    + " is also the pace of a release that takes more than one batch.");

    public static final ConfigOption<Integer> SCHEDULE_SLOTS =
            ConfigOptions.key("schedule.slots")
                    .intType()
                    .defaultValue(128)
                    .withDescription(
                            "How many keys scheduled events are spread over (a hash of the eventId);"
                                    + " a multiple of job.max-parallelism. Timers are per slot and due"
                                    + " time, so this bounds the timers of one due time. Fixed for the"
                                    + " life of the state, like job.max-parallelism.");

    public static final ConfigOption<Integer> SCHEDULE_RELEASE_BATCH =
            ConfigOptions.key("schedule.release-batch")
                    .intType()
                    .defaultValue(200)
                    .withDescription(
                            "At most this many events are released per slot per timer; the rest"
                                    + " follow one schedule.timer-resolution later, so a burst due at"
                                    + " once is released at no more than slots x batch per resolution.");

    public static final ConfigOption<Integer> MAX_PARALLELISM =
            ConfigOptions.key("job.max-parallelism")
                    .intType()
                    .defaultValue(128)
                    .withDescription(
                            "Max parallelism (key groups). Fixed for the life of the state: changing it"
                                    + " breaks restore from savepoints.");

    private static final Map<Provider, ConfigOption<Integer>> RETRY_MAX_ATTEMPTS =
            new EnumMap<>(Provider.class);
    private static final Map<Provider, ConfigOption<Duration>> RETRY_INITIAL_BACKOFF =
            new EnumMap<>(Provider.class);
    private static final Map<Provider, ConfigOption<Duration>> RETRY_MAX_BACKOFF =
            new EnumMap<>(Provider.class);
    private static final Map<Provider, ConfigOption<Duration>> SEND_TIMEOUT =
            new EnumMap<>(Provider.class);
    private static final Map<Provider, ConfigOption<Integer>> SEND_CAPACITY =
            new EnumMap<>(Provider.class);
    private static final Map<Provider, ConfigOption<Double>> SEND_RATE =
            new EnumMap<>(Provider.class);

    static {
        for (Provider p : Provider.values()) {
            String retry = "retry." + p.wireName() + ".";
            RETRY_MAX_ATTEMPTS.put(
                    p,
                    ConfigOptions.key(retry + "max-attempts")
                            .intType()
                            .defaultValue(5)
                            .withDescription(
                                    "Attempts per "
                                            + p.wireName()
                                            + " notification before it ends EXHAUSTED (1 = no retry)."));
            RETRY_INITIAL_BACKOFF.put(
                    p,
                    ConfigOptions.key(retry + "initial-backoff")
                            .durationType()
                            .defaultValue(Duration.ofSeconds(1))
                            .withDescription(
                                    "Backoff before the second "
                                            + p.wireName()
                                            + " attempt; doubles per attempt, with jitter."));
            RETRY_MAX_BACKOFF.put(
                    p,
                    ConfigOptions.key(retry + "max-backoff")
                            .durationType()
                            .defaultValue(Duration.ofMinutes(5))
                            .withDescription(
                                    "Cap of the "
                                            + p.wireName()
                                            + " backoff; a provider's later Retry-After still wins."));
            String prefix = "send." + p.wireName() + ".";
            SEND_TIMEOUT.put(
                    p,
                    ConfigOptions.key(prefix + "timeout")
                            .durationType()
                            .defaultValue(defaultSendTimeout(p))
                            .withDescription(
                                    "Async timeout of one "
                                            + p.wireName()
                                            + " send; a timeout becomes a retryable TIMEOUT. Must be above"
                                            + " the sender's own timeout ("
                                            + ownTimeoutKeys(p)
                                            + "; with a secondary endpoint both endpoints'; with"
                                            + " the ledger plus twice ledger.timeout), so the sender"
                                            + " answers first: the job refuses to start otherwise."));
            SEND_CAPACITY.put(
                    p,
                    ConfigOptions.key(prefix + "capacity")
                            .intType()
                            .defaultValue(p == Provider.APNS ? 1000 : p == Provider.FCM ? 500 : 100)
                            .withDescription(
                                    "Sends in flight per subtask to "
                                            + p.wireName()
                                            + "; the back-pressure valve. Keep it at or below the sender's"
                                            + " own max-in-flight."));
            SEND_RATE.put(
                    p,
                    ConfigOptions.key(prefix + "rate-limit")
                            .doubleType()
                            .defaultValue(0.0)
                            .withDescription(
                                    "Sends per second per subtask to "
                                            + p.wireName()
                                            + " (provider quota); 0 for none."));
        }
    }

    private JobOptions() {}

    /** Above each sender's default own timeout plus the ledger's lookup and write. */
    private static Duration defaultSendTimeout(Provider p) {
        return p == Provider.SMTP ? Duration.ofSeconds(60) : Duration.ofSeconds(40);
    }

    /** The settings that make up a provider's own timeout (see each sender's settings). */
    private static String ownTimeoutKeys(Provider p) {
        switch (p) {
            case APNS:
                return "apns.request-timeout";
            case FCM:
                return "fcm.request-timeout";
            case TWILIO:
                return "sms.max-queue-wait + sms.connect-timeout + sms.read-timeout";
            case LIVE:
                return "live.registry-timeout + live.connect-timeout + live.ack-timeout + 2 s";
            default:
                return "email.max-queue-wait + email.smtp.connect-timeout + email.smtp.read-timeout";
        }
    }

    public static ConfigOption<Integer> retryMaxAttempts(Provider p) {
        return RETRY_MAX_ATTEMPTS.get(p);
    }

    public static ConfigOption<Duration> retryInitialBackoff(Provider p) {
        return RETRY_INITIAL_BACKOFF.get(p);
    }

    public static ConfigOption<Duration> retryMaxBackoff(Provider p) {
        return RETRY_MAX_BACKOFF.get(p);
    }

    public static ConfigOption<Duration> sendTimeout(Provider p) {
        return SEND_TIMEOUT.get(p);
    }

    public static ConfigOption<Integer> sendCapacity(Provider p) {
        return SEND_CAPACITY.get(p);
    }

    public static ConfigOption<Double> sendRateLimit(Provider p) {
        return SEND_RATE.get(p);
    }

    /** Every option of this class, for validation and the README's reference table. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> all = new ArrayList<>();
        Collections.addAll(
                all,
                KAFKA_BOOTSTRAP_SERVERS,
                KAFKA_GROUP_ID,
                KAFKA_TRANSACTIONAL_ID_PREFIX,
                KAFKA_TRANSACTION_TIMEOUT,
                TOPIC_EVENTS,
                TOPIC_PREFERENCES,
                TOPIC_DEVICES,
                TOPIC_TEMPLATES,
                TOPIC_CANCELLATIONS,
                TOPIC_ENGAGEMENT,
                TOPIC_DELIVERIES,
                TOPIC_RETRY,
                TOPIC_DLQ,
                TOPIC_INVALIDATIONS,
                MAX_RECORD_BYTES,
                DEDUPE_TTL,
                PROFILE_WAIT,
                DEVICE_TTL,
                PAUSE_ON_CREDENTIALS_FAILURE,
                FALLBACK_CHAINS,
                AUDIENCE_WALK_CHUNK,
                AUDIENCE_WALK_PAUSE,
                THROTTLE_RULES,
                THROTTLE_BUCKET,
                THROTTLE_DEFER_CATEGORIES,
                THROTTLE_MAX_DEFER,
                THROTTLE_BYPASS_PRIORITIES,
                QUIET_HOURS_DEFAULT_ZONE,
                QUIET_HOURS_CATEGORIES,
                TEMPLATES_DEFAULT_LOCALE,
                DIGEST_WINDOWS,
                DIGEST_TEMPLATES,
                DIGEST_MAX_ITEMS,
                SCHEDULE_MAX_HORIZON,
                SCHEDULE_TIMER_RESOLUTION,
                SCHEDULE_SLOTS,
                SCHEDULE_RELEASE_BATCH,
                MAX_PARALLELISM);
        for (Provider p : Provider.values()) {
            all.add(SEND_TIMEOUT.get(p));
            all.add(SEND_CAPACITY.get(p));
            all.add(SEND_RATE.get(p));
            all.add(RETRY_MAX_ATTEMPTS.get(p));
            all.add(RETRY_INITIAL_BACKOFF.get(p));
            all.add(RETRY_MAX_BACKOFF.get(p));
        }
        return all;
    }

    private static ConfigOption<String> topic(
            String name, String defaultTopic, String description) {
        return ConfigOptions.key("topics." + name)
                .stringType()
                .defaultValue(defaultTopic)
                .withDescription(description);
    }
}
