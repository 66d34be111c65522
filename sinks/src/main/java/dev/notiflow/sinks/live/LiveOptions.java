package dev.notiflow.sinks.live;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.net.URI;
import java.time.Duration;

/**
 * Configuration of the live channel's sender, keys prefixed {@code live.}. The channel is enabled
 * when {@link #REDIS_URI} is set: the sender looks each user up in the push registry there and
 * posts the message to the push server holding the user's connection.
 *
 * <pre>{@code
 * if (LiveOptions.enabled(conf)) {
 *     SenderFactory live = new LiveSenderFactory(LiveOptions.fromConfig(conf));
 * }
 * }</pre>
 *
 * <p>Holds constants only; thread-safe.
 */
public final class LiveOptions {

    public static final ConfigOption<String> REDIS_URI =
            ConfigOptions.key("live.redis-uri")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Redis of the push registry, e.g. redis://registry:6379 (the push"
                                    + " servers' live.redis-uri). Setting it enables the live"
                                    + " channel.");

    public static final ConfigOption<String> REDIS_PASSWORD_FILE =
            ConfigOptions.key("live.redis-password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "File holding the Redis password; wins over live.redis-password-env.");

    public static final ConfigOption<String> REDIS_PASSWORD_ENV =
            ConfigOptions.key("live.redis-password-env")
                    .stringType()
                    .defaultValue("NOTIFLOW_LIVE_REDIS_PASSWORD")
                    .withDescription(
                            "Environment variable holding the Redis password, when no file is"
                                    + " set; unset or empty: no password.");

    public static final ConfigOption<String> INTERNAL_TOKEN_FILE =
            ConfigOptions.key("live.internal-token-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "File holding the bearer token the push servers' internal port"
                                    + " requires (their live.internal-token-file). Unset: none.");

    public static final ConfigOption<Duration> ACK_TIMEOUT =
            ConfigOptions.key("live.ack-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "How long a push server waits for the client's ack before it answers"
                                    + " 504, which makes the send RETRYABLE ACK_TIMEOUT (a server"
                                    + " waits at most its own live.ack-timeout).");

    public static final ConfigOption<Duration> REGISTRY_TIMEOUT =
            ConfigOptions.key("live.registry-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(2))
                    .withDescription(
                            "Longest a registry lookup takes; after it the send is RETRYABLE"
                                    + " REGISTRY_UNAVAILABLE.");

    public static final ConfigOption<Duration> CONNECT_TIMEOUT =
            ConfigOptions.key("live.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(2))
                    .withDescription("TCP connect timeout to a push server's internal port.");

    private LiveOptions() {}

    public static boolean enabled(ReadableConfig config) {
        String uri = config.get(REDIS_URI);
        return uri != null && !uri.isBlank();
    }

    /**
     * Reads and checks the settings.
     *
     * @throws IllegalArgumentException naming the key of a bad value
     */
    public static LiveSettings fromConfig(ReadableConfig config) {
        String uri = config.get(REDIS_URI).strip();
        try {
            URI u = URI.create(uri);
            if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme())) {
                throw new IllegalArgumentException("scheme");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    REDIS_URI.key() + " must be a redis:// or rediss:// URI, was '" + uri + "'");
        }
        return new LiveSettings(
                uri,
                config.get(REDIS_PASSWORD_FILE),
                config.get(REDIS_PASSWORD_ENV),
                config.get(INTERNAL_TOKEN_FILE),
                positive(config, ACK_TIMEOUT),
                positive(config, REGISTRY_TIMEOUT),
                positive(config, CONNECT_TIMEOUT));
    }

    private static Duration positive(ReadableConfig config, ConfigOption<Duration> option) {
        Duration d = config.get(option);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(option.key() + " must be positive, was " + d);
        }
        return d;
    }
}
