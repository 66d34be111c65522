package dev.notiflow.sinks.apns;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.time.Duration;
import java.util.Locale;

/**
 * Configuration of the APNs channel (Apple Push Notification service through Pushy), keys prefixed
 * {@code apns.}.
 *
 * <p>The channel is enabled when one way to authenticate is configured: token auth ({@link
 * #SIGNING_KEY_FILE}, the {@code .p8} key downloaded from Apple, with {@link #TEAM_ID} and {@link
 * #KEY_ID}) or certificate auth ({@link #CLIENT_CERTIFICATE_FILE}, a PKCS#12 file whose password is
 * read from {@link #CLIENT_CERTIFICATE_PASSWORD_FILE} or the environment variable named by {@link
 * #CLIENT_CERTIFICATE_PASSWORD_ENV}). Secrets are never configuration values.
 *
 * <pre>{@code
 * if (ApnsOptions.enabled(conf)) {
 *     SenderFactory apns = new ApnsSenderFactory(ApnsOptions.fromConfig(conf));
 * }
 * }</pre>
 *
 * <p>Holds constants only; thread-safe.
 */
public final class ApnsOptions {

    /** Apple's production host. */
    public static final String PRODUCTION_HOST = "api.push.apple.com";

    /** Apple's development (sandbox) host. */
    public static final String SANDBOX_HOST = "api.sandbox.push.apple.com";

    /** APNs payload limit for alert notifications, in bytes. */
    public static final int MAX_PAYLOAD_BYTES = 4096;

    public static final ConfigOption<String> SIGNING_KEY_FILE =
            ConfigOptions.key("apns.signing-key-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of the token-auth signing key (PKCS#8 .p8 file from Apple)."
                                    + " Setting it (with apns.team-id and apns.key-id) enables"
                                    + " the APNs channel with token auth.");

    public static final ConfigOption<String> TEAM_ID =
            ConfigOptions.key("apns.team-id")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Apple developer team id that owns the signing key.");

    public static final ConfigOption<String> KEY_ID =
            ConfigOptions.key("apns.key-id")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Id of the signing key, as shown by Apple.");

    public static final ConfigOption<String> CLIENT_CERTIFICATE_FILE =
            ConfigOptions.key("apns.client-certificate-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of a PKCS#12 client certificate for certificate auth. Setting"
                                    + " it enables the APNs channel with certificate auth;"
                                    + " it cannot be combined with apns.signing-key-file.");

    public static final ConfigOption<String> CLIENT_CERTIFICATE_PASSWORD_FILE =
            ConfigOptions.key("apns.client-certificate-password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of a file holding the PKCS#12 password. Takes precedence over"
                                    + " apns.client-certificate-password-env.");

    public static final ConfigOption<String> CLIENT_CERTIFICATE_PASSWORD_ENV =
            ConfigOptions.key("apns.client-certificate-password-env")
                    .stringType()
                    .defaultValue("APNS_CLIENT_CERTIFICATE_PASSWORD")
                    .withDescription(
                            "Environment variable holding the PKCS#12 password (unset means an"
                                    + " empty password).");

    public static final ConfigOption<String> ENDPOINT =
            ConfigOptions.key("apns.endpoint")
                    .stringType()
                    .defaultValue("production")
                    .withDescription(
                            "Which APNs environment: production (api.push.apple.com) or sandbox"
                                    + " (api.sandbox.push.apple.com). apns.host overrides it.");

    public static final ConfigOption<String> HOST =
            ConfigOptions.key("apns.host")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Explicit APNs host, e.g. a local server; overrides apns.endpoint.");

    public static final ConfigOption<Integer> PORT =
            ConfigOptions.key("apns.port")
                    .intType()
                    .defaultValue(443)
                    .withDescription("APNs port (443, or Apple's alternative 2197).");

    public static final ConfigOption<String> TRUSTED_CERTIFICATE_FILE =
            ConfigOptions.key("apns.trusted-certificate-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "PEM file of the CA certificate(s) to trust instead of the JDK's,"
                                    + " e.g. for a local APNs server.");

    public static final ConfigOption<String> TOPIC =
            ConfigOptions.key("apns.topic")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Default topic (the app's bundle id) for devices registered without"
                                    + " an appId. A send with neither is REJECTED"
                                    + " CONFIGURATION_ERROR.");

    public static final ConfigOption<Integer> CONNECTIONS =
            ConfigOptions.key("apns.connections")
                    .intType()
                    .defaultValue(2)
                    .withDescription("Long-lived HTTP/2 connections per sender (per task).");

    public static final ConfigOption<Integer> MAX_IN_FLIGHT =
            ConfigOptions.key("apns.max-in-flight")
                    .intType()
                    .defaultValue(1000)
                    .withDescription(
                            "Sends awaiting an answer per sender; beyond it a send is RETRYABLE"
                                    + " SENDER_BUSY. Keep it at or above the async capacity.");

    public static final ConfigOption<Duration> EXPIRATION =
            ConfigOptions.key("apns.expiration")
                    .durationType()
                    .defaultValue(Duration.ofDays(1))
                    .withDescription(
                            "How long APNs keeps trying to deliver to an offline device"
                                    + " (apns-expiration = now + this).");

    public static final ConfigOption<Duration> CONNECT_TIMEOUT =
            ConfigOptions.key("apns.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("TCP/TLS connect timeout.");

    public static final ConfigOption<Duration> REQUEST_TIMEOUT =
            ConfigOptions.key("apns.request-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "Longest wait for an answer; then the send is RETRYABLE TIMEOUT and"
                                    + " its in-flight slot is freed.");

    private ApnsOptions() {}

    /** Whether token auth or certificate auth is configured. */
    public static boolean enabled(ReadableConfig conf) {
        return present(conf, SIGNING_KEY_FILE) || present(conf, CLIENT_CERTIFICATE_FILE);
    }

    /**
     * Reads and validates the APNs settings.
     *
     * @throws IllegalArgumentException naming the missing or invalid key
     */
    public static ApnsSettings fromConfig(ReadableConfig conf) {
        boolean token = present(conf, SIGNING_KEY_FILE);
        boolean certificate = present(conf, CLIENT_CERTIFICATE_FILE);
        if (!token && !certificate) {
            throw new IllegalArgumentException(
                    "APNs needs "
                            + SIGNING_KEY_FILE.key()
                            + " (token auth) or "
                            + CLIENT_CERTIFICATE_FILE.key()
                            + " (certificate auth)");
        }
        if (token && certificate) {
            throw new IllegalArgumentException(
                    "set only one of "
                            + SIGNING_KEY_FILE.key()
                            + " and "
                            + CLIENT_CERTIFICATE_FILE.key());
        }
        if (token) {
            require(conf, TEAM_ID, "token auth");
            require(conf, KEY_ID, "token auth");
        }
        String host = present(conf, HOST) ? conf.get(HOST).trim() : hostFor(conf.get(ENDPOINT));
        int port = conf.get(PORT);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(
                    PORT.key() + " must be within 1..65535, was " + port);
        }
        int connections = positive(conf, CONNECTIONS);
        int maxInFlight = positive(conf, MAX_IN_FLIGHT);
        Duration expiration = notNegative(conf, EXPIRATION);
        Duration connectTimeout = positiveDuration(conf, CONNECT_TIMEOUT);
        Duration requestTimeout = positiveDuration(conf, REQUEST_TIMEOUT);
        return new ApnsSettings(
                host,
                port,
                trimmed(conf, TRUSTED_CERTIFICATE_FILE),
                token ? trimmed(conf, SIGNING_KEY_FILE) : null,
                token ? trimmed(conf, TEAM_ID) : null,
                token ? trimmed(conf, KEY_ID) : null,
                certificate ? trimmed(conf, CLIENT_CERTIFICATE_FILE) : null,
                certificate ? trimmed(conf, CLIENT_CERTIFICATE_PASSWORD_FILE) : null,
                certificate ? trimmed(conf, CLIENT_CERTIFICATE_PASSWORD_ENV) : null,
                trimmed(conf, TOPIC),
                connections,
                maxInFlight,
                expiration,
                connectTimeout,
                requestTimeout,
                MAX_PAYLOAD_BYTES);
    }

    private static String hostFor(String endpoint) {
        switch (endpoint == null ? "" : endpoint.trim().toLowerCase(Locale.ROOT)) {
            case "production":
                return PRODUCTION_HOST;
            case "sandbox":
            case "development":
                return SANDBOX_HOST;
            default:
                throw new IllegalArgumentException(
                        ENDPOINT.key() + " must be production or sandbox, was '" + endpoint + "'");
        }
    }

    private static boolean present(ReadableConfig conf, ConfigOption<String> option) {
        String value = conf.get(option);
        return value != null && !value.isBlank();
    }

    private static String trimmed(ReadableConfig conf, ConfigOption<String> option) {
        return present(conf, option) ? conf.get(option).trim() : null;
    }

    private static void require(ReadableConfig conf, ConfigOption<String> option, String why) {
        if (!present(conf, option)) {
            throw new IllegalArgumentException(option.key() + " is required for " + why);
        }
    }

    private static int positive(ReadableConfig conf, ConfigOption<Integer> option) {
        int value = conf.get(option);
        if (value < 1) {
            throw new IllegalArgumentException(option.key() + " must be positive, was " + value);
        }
        return value;
    }

    private static Duration positiveDuration(ReadableConfig conf, ConfigOption<Duration> option) {
        Duration value = conf.get(option);
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(option.key() + " must be positive, was " + value);
        }
        return value;
    }

    private static Duration notNegative(ReadableConfig conf, ConfigOption<Duration> option) {
        Duration value = conf.get(option);
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(
                    option.key() + " must not be negative, was " + value);
        }
        return value;
    }
}
