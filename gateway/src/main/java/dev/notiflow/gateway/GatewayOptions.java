package dev.notiflow.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every setting of the gateway, read like the job's: a YAML file ({@code --config FILE}, nested
 * keys joined with dots), then {@code --key value} overrides. Shared keys ({@code
 * kafka.bootstrap-servers}, {@code topics.*}, {@code input.max-record-bytes}, {@code jdbc.*}) have
 * the job's names and defaults. Secrets are never options: the API keys come from a file or {@value
 * ApiKeys#ENV}, the database password from a file or {@value #JDBC_PASSWORD_ENV}.
 */
public final class GatewayOptions {

    /** Where the database password is read when no {@code jdbc.password-file} is given. */
    public static final String JDBC_PASSWORD_ENV = "NOTIFLOW_JDBC_PASSWORD";

    /** One option: its key, its default (null: none) and how a value is read. */
    public record Option<T>(
            String key, String defaultValue, String description, Function<String, T> parser) {

        /** The option's value in {@code values}, or its default; an error naming the key. */
        public T get(Map<String, String> values) {
            String raw = values.getOrDefault(key, defaultValue);
            if (raw == null || raw.isBlank()) {
                return null;
            }
            try {
                return parser.apply(raw.trim());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        key + ": cannot use '" + raw + "': " + e.getMessage(), e);
            }
        }

        /** The value, or an error naming the key when it is not set. */
        public T required(Map<String, String> values) {
            T value = get(values);
            if (value == null) {
                throw new IllegalArgumentException(key + " is required (" + description + ")");
            }
            return value;
        }
    }

    private static final List<Option<?>> ALL = new ArrayList<>();

    public static final Option<String> HOST =
            string("gateway.host", "0.0.0.0", "Address the HTTP server listens on.");
    public static final Option<Integer> PORT =
            add("gateway.port", "8080", "HTTP port; 0 picks a free one.", s -> range(s, 0, 65535));
    public static final Option<String> INSTANCE_ID =
            string(
                    "gateway.instance-id",
                    null,
                    "This instance's name, unique among the gateways of one cluster (the pod"
                            + " name); part of its transactional ids. Default: the host name.");
    public static final Option<String> TRANSACTIONAL_ID_PREFIX =
            string(
                    "gateway.transactional-id-prefix",
                    "notiflow-gateway",
                    "Prefix of the producers' transactional ids: <prefix>-<instance>-<n>.");
    public static final Option<Integer> PRODUCERS =
            add(
                    "gateway.producers",
                    "4",
                    "Transactional producers in the pool: requests enqueued at the same time.",
                    s -> range(s, 1, 64));
    public static final Option<Duration> KAFKA_TIMEOUT =
            add(
                    "gateway.kafka-timeout",
                    "10 s",
                    "Longest wait for Kafka within one request (a producer, the commit); then 503"
                            + " and the transaction is aborted.",
                    GatewayOptions::positiveDuration);
    public static final Option<Integer> MAX_BATCH =
            add(
                    "gateway.max-batch",
                    "1000",
                    "Most events in one POST /v1/events.",
                    s -> range(s, 1, 100_000));
    public static final Option<Long> MAX_REQUEST_BYTES =
            add(
                    "gateway.max-request-bytes",
                    "16777216",
                    "Largest request body; a larger one is 413 before it is read.",
                    s -> (long) range(s, 1024, Integer.MAX_VALUE));
    public static final Option<Integer> MAX_RECORD_BYTES =
            add(
                    "input.max-record-bytes",
                    "65536",
                    "The job's limit of one record: a larger event is rejected as"
                            + " RECORD_TOO_LARGE.",
                    s -> range(s, 1, Integer.MAX_VALUE));
    public static final Option<Duration> IDEMPOTENCY_WINDOW =
            add(
                    "gateway.idempotency-window",
                    "24 h",
                    "How long an Idempotency-Key (or eventId) answers its first result again.",
                    GatewayOptions::positiveDuration);
    public static final Option<Duration> CLEANUP_INTERVAL =
            add(
                    "gateway.cleanup-interval",
                    "10 min",
                    "How often expired idempotency rows are deleted.",
                    GatewayOptions::positiveDuration);
    public static final Option<RateLimit> RATE_LIMIT =
            add(
                    "gateway.rate-limit",
                    "100/s",
                    "Requests per API key, e.g. 100/s, 6000/min; more is 429 with Retry-After.",
                    RateLimit::parse);
    public static final Option<String> API_KEYS_FILE =
            string(
                    "gateway.api-keys-file",
                    null,
                    "File of API keys, one per line: <sha256 hex> <scope,scope> <name>. Without"
                            + " it, the same lines in the environment variable NOTIFLOW_API_KEYS.");
    public static final Option<String> KAFKA_BOOTSTRAP_SERVERS =
            string("kafka.bootstrap-servers", null, "Kafka bootstrap servers. Required.");
    public static final Option<String> TOPIC_EVENTS =
            string("topics.events", "notification-events", "Events topic (key eventId).");
    public static final Option<String> TOPIC_PREFERENCES =
            string("topics.preferences", "user-preferences", "Compacted; key userId.");
    public static final Option<String> TOPIC_DEVICES =
            string("topics.devices", "device-tokens", "Compacted; key userId:token.");
    public static final Option<String> TOPIC_TEMPLATES =
            string("topics.templates", "notification-templates", "Compacted; templateId:locale.");
    public static final Option<String> TOPIC_PRIORITY_EVENTS =
            string(
                    "topics.priority-events",
                    null,
                    "With the priority lanes deployed: the lane router's priority input"
                            + " (notification-events-priority). Events whose priority is high are"
                            + " enqueued there, so that a campaign's backlog on topics.events does"
                            + " not delay them. Unset: every event goes to topics.events (the"
                            + " single job reads nothing else).");
    public static final Option<String> TOPIC_ENGAGEMENT =
            string(
                    "topics.engagement",
                    "notification-engagement",
                    "Engagement events (key notificationId).");
    public static final Option<String> JDBC_URL =
            string(
                    "jdbc.url",
                    null,
                    "PostgreSQL JDBC URL of the delivery table and the gateway's tables. Required.");
    public static final Option<String> JDBC_USER =
            string("jdbc.user", "notiflow", "Database user.");
    public static final Option<String> JDBC_PASSWORD_FILE =
            string(
                    "jdbc.password-file",
                    null,
                    "File holding the database password; else the variable jdbc.password-env names.");
    public static final Option<String> JDBC_PASSWORD_ENV_NAME =
            string(
                    "jdbc.password-env",
                    JDBC_PASSWORD_ENV,
                    "Environment variable holding the database password, when no"
                            + " jdbc.password-file is given.");
    public static final Option<String> LIVE_SECRET_FILE =
            string(
                    "live.secret-file",
                    null,
                    "File holding the HS256 secret (32 bytes or more) of the live channel's"
                            + " connection tokens, the push server's own live.secret-file; wins over"
                            + " live.secret-env. Neither set: POST /v1/users/{userId}/live-token"
                            + " answers 501.");
    public static final Option<String> LIVE_SECRET_ENV =
            string(
                    "live.secret-env",
                    "NOTIFLOW_LIVE_SECRET",
                    "Environment variable holding that secret when live.secret-file is not set.");
    public static final Option<Duration> LIVE_TOKEN_TTL =
            add(
                    "live.token-ttl",
                    "15 min",
                    "How long a minted live connection token is valid (its exp).",
                    GatewayOptions::positiveDuration);
    public static final Option<Integer> JDBC_POOL_SIZE =
            add("gateway.jdbc-pool-size", "8", "Database connections.", s -> range(s, 1, 200));

    private GatewayOptions() {}

    /** Every option, in declaration order. */
    public static List<Option<?>> all() {
        return Collections.unmodifiableList(ALL);
    }

    /**
     * Checks that every key is known and every value readable: an error naming the first bad key.
     */
    public static void validate(Map<String, String> values) {
        for (String key : values.keySet()) {
            if (ALL.stream().noneMatch(o -> o.key().equals(key))) {
                throw new IllegalArgumentException(key + ": unknown gateway option");
            }
        }
        for (Option<?> option : ALL) {
            option.get(values);
        }
        KAFKA_BOOTSTRAP_SERVERS.required(values);
        JDBC_URL.required(values);
    }

    private static Option<String> string(String key, String def, String description) {
        return add(key, def, description, s -> s);
    }

    private static <T> Option<T> add(
            String key, String def, String description, Function<String, T> parser) {
        Option<T> option = new Option<>(key, def, description, parser);
        ALL.add(option);
        return option;
    }

    private static int range(String s, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return v;
    }

    private static final Pattern DURATION =
            Pattern.compile("(\\d+)\\s*(ms|s|sec|min|m|h|d)?", Pattern.CASE_INSENSITIVE);

    /** Reads {@code 250 ms}, {@code 10 s}, {@code 5 min}, {@code 24 h}, {@code 7 d} or ISO-8601. */
    static Duration duration(String s) {
        if (s.toUpperCase(Locale.ROOT).startsWith("P")) {
            return Duration.parse(s);
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration such as 10 s, 5 min or 24 h");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s", "sec" -> Duration.ofSeconds(n);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private static Duration positiveDuration(String s) {
        Duration d = duration(s);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("must be positive");
        }
        return d;
    }

    /** A rate: {@code permits} per {@code period}. */
    public record RateLimit(long permits, Duration period) {
        static RateLimit parse(String s) {
            int slash = s.indexOf('/');
            if (slash <= 0) {
                throw new IllegalArgumentException("not a rate such as 100/s or 6000/min");
            }
            long permits;
            try {
                permits = Long.parseLong(s.substring(0, slash).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a rate such as 100/s or 6000/min");
            }
            if (permits < 1) {
                throw new IllegalArgumentException("needs at least 1 request per period");
            }
            String unit = s.substring(slash + 1).trim();
            Duration period = duration(unit.matches("\\d.*") ? unit : "1 " + unit);
            return new RateLimit(permits, period);
        }
    }
}
