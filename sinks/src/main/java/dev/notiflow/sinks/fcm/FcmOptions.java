package dev.notiflow.sinks.fcm;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.net.URI;
import java.time.Duration;

/**
 * Configuration of the FCM channel (Firebase Cloud Messaging HTTP v1 through firebase-admin), keys
 * prefixed {@code fcm.}.
 *
 * <p>Credentials are a service-account JSON file: {@link #CREDENTIALS_FILE}, or else the file named
 * by the environment variable {@link #CREDENTIALS_ENV} ({@code GOOGLE_APPLICATION_CREDENTIALS}).
 * The channel is enabled when either is present. The OAuth token endpoint is the service account's
 * {@code token_uri}; the FCM endpoint is {@link #ENDPOINT}.
 *
 * <pre>{@code
 * if (FcmOptions.enabled(conf)) {
 *     SenderFactory fcm = new FcmSenderFactory(FcmOptions.fromConfig(conf));
 * }
 * }</pre>
 *
 * <p>Holds constants only; thread-safe.
 */
public final class FcmOptions {

    /** Google's FCM endpoint, the default. */
    public static final String DEFAULT_ENDPOINT = "https://fcm.googleapis.com";

    /** FCM's limit on a message's notification and data, in bytes. */
    public static final int MAX_PAYLOAD_BYTES = 4096;

    public static final ConfigOption<String> CREDENTIALS_FILE =
            ConfigOptions.key("fcm.credentials-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of the service-account JSON file. Setting it enables the FCM"
                                    + " channel; otherwise the file named by fcm.credentials-env"
                                    + " is used.");

    public static final ConfigOption<String> CREDENTIALS_ENV =
            ConfigOptions.key("fcm.credentials-env")
                    .stringType()
                    .defaultValue("GOOGLE_APPLICATION_CREDENTIALS")
                    .withDescription(
                            "Environment variable holding the path of the service-account JSON"
                                    + " file, read when fcm.credentials-file is not set.");

    public static final ConfigOption<String> PROJECT_ID =
            ConfigOptions.key("fcm.project-id")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Firebase project id; defaults to the service account's project_id.");

    public static final ConfigOption<String> ENDPOINT =
            ConfigOptions.key("fcm.endpoint")
                    .stringType()
                    .defaultValue(DEFAULT_ENDPOINT)
                    .withDescription(
                            "Base URL of the FCM API; requests to Google's endpoint are sent"
                                    + " here instead (e.g. a local server).");

    public static final ConfigOption<String> TRUSTED_CERTIFICATE_FILE =
            ConfigOptions.key("fcm.trusted-certificate-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "PEM file of CA certificate(s) to trust instead of the JDK's, e.g."
                                    + " for a local HTTPS server.");

    public static final ConfigOption<Duration> CONNECT_TIMEOUT =
            ConfigOptions.key("fcm.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("TCP/TLS connect timeout (firebase-admin's default is none).");

    public static final ConfigOption<Duration> READ_TIMEOUT =
            ConfigOptions.key("fcm.read-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(20))
                    .withDescription(
                            "Timeout waiting for FCM's answer; then the send is RETRYABLE TIMEOUT"
                                    + " (firebase-admin's default is none).");

    public static final ConfigOption<Duration> REQUEST_TIMEOUT =
            ConfigOptions.key("fcm.request-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "Longest wait for a send, firebase-admin's own 503 retries included;"
                                    + " then the send is RETRYABLE TIMEOUT and its in-flight slot"
                                    + " is freed.");

    public static final ConfigOption<Integer> THREADS =
            ConfigOptions.key("fcm.threads")
                    .intType()
                    .defaultValue(64)
                    .withDescription(
                            "Threads making blocking HTTP calls per sender (firebase-admin"
                                    + " would use 100 with an unbounded queue). Each holds its"
                                    + " thread for a whole round trip, so a sender makes at most"
                                    + " threads / round-trip time sends per second.");

    public static final ConfigOption<Integer> MAX_IN_FLIGHT =
            ConfigOptions.key("fcm.max-in-flight")
                    .intType()
                    .defaultValue(500)
                    .withDescription(
                            "Sends running or waiting for a thread per sender; beyond it a send is"
                                    + " RETRYABLE SENDER_BUSY.");

    public static final ConfigOption<Duration> TTL =
            ConfigOptions.key("fcm.ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(1))
                    .withDescription(
                            "How long FCM keeps a message for an offline device (android ttl,"
                                    + " webpush TTL header). At most 28 days.");

    private static final Duration MAX_TTL = Duration.ofDays(28);

    private FcmOptions() {}

    /**
     * Whether credentials are configured: {@link #CREDENTIALS_FILE} is set, or the environment
     * variable named by {@link #CREDENTIALS_ENV} is set in this process.
     */
    public static boolean enabled(ReadableConfig conf) {
        String file = conf.get(CREDENTIALS_FILE);
        if (file != null && !file.isBlank()) {
            return true;
        }
        String env = conf.get(CREDENTIALS_ENV);
        String value = env == null || env.isBlank() ? null : System.getenv(env.trim());
        return value != null && !value.isBlank();
    }

    /**
     * Reads and validates the FCM settings. The credentials file itself is read when the sender is
     * created inside a task.
     *
     * @throws IllegalArgumentException naming the missing or invalid key
     */
    public static FcmSettings fromConfig(ReadableConfig conf) {
        String file = trimmed(conf.get(CREDENTIALS_FILE));
        String env = trimmed(conf.get(CREDENTIALS_ENV));
        if (file == null && env == null) {
            throw new IllegalArgumentException(
                    "FCM needs " + CREDENTIALS_FILE.key() + " or " + CREDENTIALS_ENV.key());
        }
        String endpoint = trimmed(conf.get(ENDPOINT));
        if (endpoint == null) {
            throw new IllegalArgumentException(ENDPOINT.key() + " must not be empty");
        }
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        try {
            URI uri = URI.create(endpoint);
            if (uri.getHost() == null
                    || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    ENDPOINT.key() + " must be an http(s) base URL, was '" + endpoint + "'", e);
        }
        Duration connectTimeout = positive(conf, CONNECT_TIMEOUT);
        Duration readTimeout = positive(conf, READ_TIMEOUT);
        Duration requestTimeout = positive(conf, REQUEST_TIMEOUT);
        int threads = positiveInt(conf, THREADS);
        int maxInFlight = positiveInt(conf, MAX_IN_FLIGHT);
        Duration ttl = conf.get(TTL);
        if (ttl == null || ttl.isNegative() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException(
                    TTL.key() + " must be within 0..28 days, was " + ttl);
        }
        if (connectTimeout.toMillis() > Integer.MAX_VALUE
                || readTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("FCM timeouts must be below 24 days");
        }
        return new FcmSettings(
                file,
                file == null ? env : null,
                trimmed(conf.get(PROJECT_ID)),
                endpoint,
                trimmed(conf.get(TRUSTED_CERTIFICATE_FILE)),
                connectTimeout,
                readTimeout,
                requestTimeout,
                threads,
                maxInFlight,
                ttl,
                MAX_PAYLOAD_BYTES);
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static Duration positive(ReadableConfig conf, ConfigOption<Duration> option) {
        Duration value = conf.get(option);
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(option.key() + " must be positive, was " + value);
        }
        return value;
    }

    private static int positiveInt(ReadableConfig conf, ConfigOption<Integer> option) {
        int value = conf.get(option);
        if (value < 1) {
            throw new IllegalArgumentException(option.key() + " must be positive, was " + value);
        }
        return value;
    }
}
