package dev.notiflow.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The push server's settings, read like the job's: a YAML file ({@code --config FILE}; nested keys
 * are joined with dots) and {@code --key value} arguments that override it. Every key is one of
 * {@link Option}; an unknown {@code live.*} key, a missing secret or a bad value stops the start
 * with a message naming the key. Durations are written like Flink's ({@code 20 s}, {@code 5 min},
 * {@code 500 ms}, {@code 1 h}) or as ISO-8601 ({@code PT20S}).
 *
 * <pre>{@code
 * PushServerConfig config = PushServerConfig.load(new String[] {
 *         "--config", "push-server.yaml", "--live.port", "8090"});
 * }</pre>
 *
 * @param secret the HS256 secret (at least 32 bytes), or {@code null} with a JWKS URL
 * @param advertisedUrl the internal base URL the job's sender reaches this instance at
 */
public record PushServerConfig(
        String host,
        int port,
        String internalHost,
        int internalPort,
        String advertisedUrl,
        String instanceId,
        byte[] secret,
        String jwksUrl,
        String redisUri,
        String redisPassword,
        String internalToken,
        Duration heartbeatInterval,
        Duration registryTtl,
        Duration historyTtl,
        int historyMaxLength,
        Duration ackTimeout,
        Duration maxConnectionLifetime,
        Duration lifetimeDither,
        Duration goawayGrace,
        Duration drainTimeout,
        int eventLoopThreads) {

    /** Every key the push server reads, with its default and meaning (docs/configuration.md). */
    public enum Option {
        HOST(
                "live.host",
                "0.0.0.0",
                "Address the public port (WebSocket, SSE, ack, metrics) binds to."),
        PORT(
                "live.port",
                "8090",
                "Public port: GET /v1/live/ws, GET /v1/live/sse, POST /v1/live/ack, GET /metrics."),
        INTERNAL_HOST(
                "live.internal-host",
                "0.0.0.0",
                "Address the internal port (deliveries from the job) binds to."),
        INTERNAL_PORT(
                "live.internal-port",
                "8091",
                "Internal port (HTTP/2 cleartext and HTTP/1.1): POST /internal/v1/deliver from the"
                        + " job's live sender, POST /internal/v1/ack from the other push servers."),
        ADVERTISED_URL(
                "live.advertised-url",
                null,
                "Base URL of the internal port as the job reaches it, written to the registry."
                        + " Default: http://<host name>:<internal port>."),
        INSTANCE_ID(
                "live.instance-id",
                null,
                "This server's id in the registry. Default: host name and a random suffix."),
        SECRET(
                "live.secret",
                null,
                "HS256 secret of the connection tokens (32 bytes or more). Prefer live.secret-file."),
        SECRET_FILE(
                "live.secret-file", null, "File holding the HS256 secret; wins over live.secret."),
        SECRET_ENV(
                "live.secret-env",
                "NOTIFLOW_LIVE_SECRET",
                "Environment variable holding the HS256 secret when neither key above is set."),
        JWKS_URL(
                "live.jwks-url",
                null,
                "JWKS URL of the token issuer (RS256/ES256 tokens) instead of a shared secret."),
        REDIS_URI(
                "live.redis-uri",
                "redis://127.0.0.1:6379",
                "Redis of the push registry and the message history."),
        REDIS_PASSWORD_FILE(
                "live.redis-password-file",
                null,
                "File holding the Redis password (else none, or the one in the URI)."),
        INTERNAL_TOKEN_FILE(
                "live.internal-token-file",
                null,
                "File holding a bearer token the internal port requires (the job's live.internal-token-file holds the same). Unset: none."),
        HEARTBEAT_INTERVAL(
                "live.heartbeat-interval",
                "20 s",
                "WebSocket ping / SSE comment interval; each refreshes the connection's registry record."),
        REGISTRY_TTL(
                "live.registry-ttl",
                "60 s",
                "Lifetime of a registry record without a heartbeat; above live.heartbeat-interval."),
        HISTORY_TTL(
                "live.history-ttl",
                "5 min",
                "How long a user's recent messages stay for a reconnecting client to replay."),
        HISTORY_MAX_LENGTH(
                "live.history-max-length", "100", "Most messages kept per user for replay."),
        ACK_TIMEOUT(
                "live.ack-timeout",
                "10 s",
                "How long a delivery waits for the client's ack before it answers 504 (retryable)."),
        MAX_CONNECTION_LIFETIME(
                "live.max-connection-lifetime",
                "1800 s",
                "Longest a connection lives before the server asks the client to reconnect (goaway)."),
        LIFETIME_DITHER(
                "live.lifetime-dither",
                "180 s",
                "Random amount taken off each connection's lifetime, so reconnects spread out."),
        GOAWAY_GRACE(
                "live.goaway-grace",
                "10 s",
                "After a goaway, how long the client has to close before the server closes."),
        DRAIN_TIMEOUT(
                "live.drain-timeout",
                "30 s",
                "On shutdown, the longest the server waits for connections to close after its goaways."),
        EVENT_LOOP_THREADS(
                "live.event-loop-threads",
                "0",
                "Netty event loops for connections; 0: one per core.");

        private final String key;
        private final String defaultValue;
        private final String description;

        Option(String key, String defaultValue, String description) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.description = description;
        }

        public String key() {
            return key;
        }

        public String defaultValue() {
            return defaultValue;
        }

        public String description() {
            return description;
        }

        static Option byKey(String key) {
            for (Option o : values()) {
                if (o.key.equals(key)) {
                    return o;
                }
            }
            return null;
        }
    }

    private static final Pattern DURATION =
            Pattern.compile("(\\d+)\\s*(ms|milliseconds?|s|sec|seconds?|min|minutes?|h|hours?)?");

    /** Reads {@code --config FILE} and {@code --key value} arguments. */
    public static PushServerConfig load(String[] args) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException(
                        "arguments are --config FILE and --key value pairs, got " + arg);
            }
            String value = args[++i];
            if ("--config".equals(arg)) {
                values.putAll(readYaml(Path.of(value)));
            } else {
                overrides.put(arg.substring(2), value);
            }
        }
        values.putAll(overrides);
        return fromMap(values, System.getenv());
    }

    /** Builds and validates the settings from flat keys; {@code env} resolves live.secret-env. */
    public static PushServerConfig fromMap(Map<String, String> values, Map<String, String> env)
            throws IOException {
        for (String key : values.keySet()) {
            if (Option.byKey(key) == null) {
                throw new IllegalArgumentException(
                        "unknown key "
                                + key
                                + ": the push server reads only the live.* keys it"
                                + " documents");
            }
        }
        Reader r = new Reader(values);
        int internalPort = r.port(Option.INTERNAL_PORT);
        String host = hostName();
        String advertised = r.string(Option.ADVERTISED_URL);
        if (advertised == null) {
            advertised = "http://" + host + ":" + internalPort;
        }
        try {
            URI u = URI.create(advertised);
            if (!"http".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("not http://host:port");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    Option.ADVERTISED_URL.key
                            + " must be an http:// URL, was '"
                            + advertised
                            + "'");
        }
        String instanceId = r.string(Option.INSTANCE_ID);
        if (instanceId == null) {
            instanceId = host + "-" + UUID.randomUUID().toString().substring(0, 8);
        }
        if (instanceId.isBlank() || instanceId.contains(" ")) {
            throw new IllegalArgumentException(
                    Option.INSTANCE_ID.key + " must be non-empty and without spaces");
        }
        byte[] secret = null;
        String secretFile = r.string(Option.SECRET_FILE);
        String jwks = r.string(Option.JWKS_URL);
        Option secretKey = Option.SECRET;
        if (secretFile != null) {
            secret = Files.readString(Path.of(secretFile)).strip().getBytes(StandardCharsets.UTF_8);
            secretKey = Option.SECRET_FILE;
        } else if (r.string(Option.SECRET) != null) {
            secret = r.string(Option.SECRET).getBytes(StandardCharsets.UTF_8);
        } else {
            String fromEnv = env.get(r.string(Option.SECRET_ENV));
            if (fromEnv != null && !fromEnv.isBlank()) {
                secret = fromEnv.strip().getBytes(StandardCharsets.UTF_8);
                secretKey = Option.SECRET_ENV;
            }
        }
        if (secret == null && jwks == null) {
            throw new IllegalArgumentException(
                    "connection tokens cannot be checked: set "
                            + Option.SECRET_FILE.key
                            + ", "
                            + Option.SECRET.key
                            + ", the variable named by "
                            + Option.SECRET_ENV.key
                            + " or "
                            + Option.JWKS_URL.key);
        }
        if (secret != null && secret.length < 32) {
            throw new IllegalArgumentException(
                    secretKey.key
                            + ": an HS256 secret needs at least 32 bytes, got "
                            + secret.length);
        }
        String redisPassword = null;
        String redisPasswordFile = r.string(Option.REDIS_PASSWORD_FILE);
        if (redisPasswordFile != null) {
            redisPassword = Files.readString(Path.of(redisPasswordFile)).strip();
        }
        String internalToken = null;
        String tokenFile = r.string(Option.INTERNAL_TOKEN_FILE);
        if (tokenFile != null) {
            internalToken = Files.readString(Path.of(tokenFile)).strip();
            if (internalToken.isEmpty()) {
                throw new IllegalArgumentException(
                        Option.INTERNAL_TOKEN_FILE.key + ": the file is empty");
            }
        }
        Duration heartbeat = r.positive(Option.HEARTBEAT_INTERVAL);
        Duration registryTtl = r.positive(Option.REGISTRY_TTL);
        if (registryTtl.compareTo(heartbeat) <= 0) {
            throw new IllegalArgumentException(
                    Option.REGISTRY_TTL.key
                            + " ("
                            + registryTtl
                            + ") must be above "
                            + Option.HEARTBEAT_INTERVAL.key
                            + " ("
                            + heartbeat
                            + "), or live connections expire between heartbeats");
        }
        Duration lifetime = r.positive(Option.MAX_CONNECTION_LIFETIME);
        Duration dither = r.duration(Option.LIFETIME_DITHER);
        if (dither.compareTo(lifetime) >= 0) {
            throw new IllegalArgumentException(
                    Option.LIFETIME_DITHER.key
                            + " must be below "
                            + Option.MAX_CONNECTION_LIFETIME.key);
        }
        int threads = r.integer(Option.EVENT_LOOP_THREADS);
        if (threads < 0) {
            throw new IllegalArgumentException(
                    Option.EVENT_LOOP_THREADS.key + " must be 0 or more");
        }
        int maxLength = r.integer(Option.HISTORY_MAX_LENGTH);
        if (maxLength < 1) {
            throw new IllegalArgumentException(
                    Option.HISTORY_MAX_LENGTH.key + " must be 1 or more");
        }
        return new PushServerConfig(
                r.string(Option.HOST),
                r.port(Option.PORT),
                r.string(Option.INTERNAL_HOST),
                internalPort,
                advertised.replaceAll("/+$", ""),
                instanceId,
                secret,
                jwks,
                r.string(Option.REDIS_URI),
                redisPassword,
                internalToken,
                heartbeat,
                registryTtl,
                r.positive(Option.HISTORY_TTL),
                maxLength,
                r.positive(Option.ACK_TIMEOUT),
                lifetime,
                dither,
                r.positive(Option.GOAWAY_GRACE),
                r.positive(Option.DRAIN_TIMEOUT),
                threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
    }

    /** Parses a duration the way the job's configuration writes them. */
    static Duration parseDuration(String key, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.startsWith("pt")) {
            try {
                return Duration.parse(text.strip());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(key + ": not a duration: '" + text + "'");
            }
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    key + ": not a duration such as 20 s, 5 min or 500 ms: '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        if (unit.startsWith("ms") || unit.startsWith("milli")) {
            return Duration.ofMillis(n);
        } else if (unit.startsWith("min")) {
            return Duration.ofMinutes(n);
        } else if (unit.startsWith("h")) {
            return Duration.ofHours(n);
        }
        return Duration.ofSeconds(n);
    }

    private static Map<String, String> readYaml(Path file) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        Map<String, String> flat = new LinkedHashMap<>();
        if (root != null && root.isObject()) {
            flatten("", root, flat);
        }
        return flat;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject()) {
                flatten(key, e.getValue(), out);
            } else if (!e.getValue().isNull()) {
                out.put(key, e.getValue().asText());
            }
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** Typed reads with errors that name the key. */
    private static final class Reader {
        private final Map<String, String> values;

        Reader(Map<String, String> values) {
            this.values = values;
        }

        String string(Option o) {
            String v = values.getOrDefault(o.key, o.defaultValue);
            return v == null || v.isBlank() ? null : v.strip();
        }

        int integer(Option o) {
            String v = string(o);
            try {
                return Integer.parseInt(v);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(o.key + " must be an integer, was '" + v + "'");
            }
        }

        int port(Option o) {
            int p = integer(o);
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException(
                        o.key + " must be a port (0 picks a free one), was " + p);
            }
            return p;
        }

        Duration duration(Option o) {
            Duration d = parseDuration(o.key, string(o));
            if (d.isNegative()) {
                throw new IllegalArgumentException(o.key + " must not be negative");
            }
            return d;
        }

        Duration positive(Option o) {
            Duration d = duration(o);
            if (d.isZero()) {
                throw new IllegalArgumentException(o.key + " must be positive, was " + string(o));
            }
            return d;
        }
    }
}
