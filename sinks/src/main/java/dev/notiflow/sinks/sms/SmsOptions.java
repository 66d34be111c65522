package dev.notiflow.sinks.sms;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Configuration of the SMS channel (Twilio Messages API), keys prefixed {@code sms.}.
 *
 * <p>The channel is enabled when {@link #ACCOUNT_SID} is set. Authentication uses the account SID
 * with its auth token, or an API key SID ({@link #API_KEY_SID}) with the key's secret. The secret
 * is never a configuration value: it is read from {@link #SECRET_FILE} when set, otherwise from the
 * environment variable named by {@link #AUTH_TOKEN_ENV} ({@code TWILIO_AUTH_TOKEN}) or {@link
 * #API_SECRET_ENV} ({@code TWILIO_API_SECRET}), when the sender is created inside a task.
 *
 * <pre>{@code
 * if (SmsOptions.enabled(conf)) {
 *     SenderFactory sms = new TwilioSmsSenderFactory(SmsOptions.fromConfig(conf));
 * }
 * }</pre>
 *
 * <p>Holds constants only; thread-safe.
 */
public final class SmsOptions {

    public static final ConfigOption<String> ACCOUNT_SID =
            ConfigOptions.key("sms.account-sid")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Twilio account SID (AC…). Setting it enables the SMS channel.");

    public static final ConfigOption<String> API_KEY_SID =
            ConfigOptions.key("sms.api-key-sid")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Twilio API key SID (SK…). When set, the client authenticates with"
                                    + " the key and its secret instead of the auth token.");

    public static final ConfigOption<String> SECRET_FILE =
            ConfigOptions.key("sms.secret-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of a file holding the auth token (or the API key secret when"
                                    + " sms.api-key-sid is set). Takes precedence over the"
                                    + " environment variables.");

    public static final ConfigOption<String> AUTH_TOKEN_ENV =
            ConfigOptions.key("sms.auth-token-env")
                    .stringType()
                    .defaultValue("TWILIO_AUTH_TOKEN")
                    .withDescription("Environment variable holding the account's auth token.");

    public static final ConfigOption<String> API_SECRET_ENV =
            ConfigOptions.key("sms.api-secret-env")
                    .stringType()
                    .defaultValue("TWILIO_API_SECRET")
                    .withDescription("Environment variable holding the API key's secret.");

    public static final ConfigOption<String> FROM =
            ConfigOptions.key("sms.from")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Sender: an E.164 number, a short code or an alphanumeric sender id."
                                    + " Either this or sms.messaging-service-sid is required.");

    public static final ConfigOption<String> MESSAGING_SERVICE_SID =
            ConfigOptions.key("sms.messaging-service-sid")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Twilio Messaging Service SID (MG…) that picks the sender.");

    public static final ConfigOption<String> BASE_URL =
            ConfigOptions.key("sms.base-url")
                    .stringType()
                    .defaultValue("https://api.twilio.com")
                    .withDescription(
                            "Base URL of the Twilio REST API; point it at a local server to test.");

    public static final ConfigOption<Duration> CONNECT_TIMEOUT =
            ConfigOptions.key("sms.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription(
                            "TCP/TLS connect timeout, also the wait for a pooled connection.");

    public static final ConfigOption<Duration> READ_TIMEOUT =
            ConfigOptions.key("sms.read-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(15))
                    .withDescription(
                            "Timeout waiting for Twilio's response; gives RETRYABLE TIMEOUT.");

    public static final ConfigOption<Integer> MAX_CONCURRENT_REQUESTS =
            ConfigOptions.key("sms.max-concurrent-requests")
                    .intType()
                    .defaultValue(8)
                    .withDescription(
                            "Requests in flight at once per sender (threads and pooled HTTP"
                                    + " connections).");

    public static final ConfigOption<Integer> MAX_QUEUED =
            ConfigOptions.key("sms.max-queued")
                    .intType()
                    .defaultValue(1000)
                    .withDescription(
                            "Sends waiting for a free request slot; beyond it a send is RETRYABLE"
                                    + " SENDER_BUSY.");

    public static final ConfigOption<Duration> MAX_QUEUE_WAIT =
            ConfigOptions.key("sms.max-queue-wait")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "Longest a send waits for a free request slot; after it the send is"
                                    + " RETRYABLE SENDER_BUSY without being sent, so an SMS never"
                                    + " goes out after the job stopped waiting for it.");

    public static final ConfigOption<Integer> MAX_SEGMENTS =
            ConfigOptions.key("sms.max-segments")
                    .intType()
                    .defaultValue(10)
                    .withDescription(
                            "Most segments one SMS may take; a longer text is REJECTED"
                                    + " PAYLOAD_TOO_LARGE.");

    /** Twilio's own limit on a message body, in characters. */
    public static final int MAX_BODY_CHARS = 1600;

    private static final Pattern ACCOUNT_SID_PATTERN = Pattern.compile("AC[0-9a-fA-F]{32}");
    private static final Pattern API_KEY_SID_PATTERN = Pattern.compile("SK[0-9a-fA-F]{32}");
    private static final Pattern SERVICE_SID_PATTERN = Pattern.compile("MG[0-9a-fA-F]{32}");
    private static final Pattern SENDER_PATTERN =
            Pattern.compile("\\+[1-9]\\d{1,14}|\\d{3,8}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}");
    private static final Pattern ENV_NAME_PATTERN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private SmsOptions() {}

    /** Whether the SMS channel is configured (its account SID is set). */
    public static boolean enabled(ReadableConfig config) {
        return config.getOptional(ACCOUNT_SID).filter(s -> !s.isBlank()).isPresent();
    }

    /**
     * Reads and validates the SMS settings once.
     *
     * @throws IllegalArgumentException naming the missing or invalid key
     */
    public static SmsSettings fromConfig(ReadableConfig config) {
        String accountSid = trimToNull(config.get(ACCOUNT_SID));
        require(accountSid != null, ACCOUNT_SID, "is required for the SMS channel");
        require(
                ACCOUNT_SID_PATTERN.matcher(accountSid).matches(),
                ACCOUNT_SID,
                "must be 'AC' followed by 32 hex digits");
        String apiKeySid = trimToNull(config.get(API_KEY_SID));
        require(
                apiKeySid == null || API_KEY_SID_PATTERN.matcher(apiKeySid).matches(),
                API_KEY_SID,
                "must be 'SK' followed by 32 hex digits");
        String from = trimToNull(config.get(FROM));
        String service = trimToNull(config.get(MESSAGING_SERVICE_SID));
        require(
                from != null || service != null,
                FROM,
                "or " + MESSAGING_SERVICE_SID.key() + " is required");
        require(
                from == null || SENDER_PATTERN.matcher(from).matches(),
                FROM,
                "must be an E.164 number, a short code or an alphanumeric sender id");
        require(
                service == null || SERVICE_SID_PATTERN.matcher(service).matches(),
                MESSAGING_SERVICE_SID,
                "must be 'MG' followed by 32 hex digits");
        String baseUrl = trimToNull(config.get(BASE_URL));
        require(baseUrl != null && validHttpUrl(baseUrl), BASE_URL, "must be an http(s) URL");
        while (baseUrl.endsWith("/")) {
            baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
        }
        String secretFile = trimToNull(config.get(SECRET_FILE));
        String envName =
                apiKeySid != null ? config.get(API_SECRET_ENV) : config.get(AUTH_TOKEN_ENV);
        ConfigOption<String> envOption = apiKeySid != null ? API_SECRET_ENV : AUTH_TOKEN_ENV;
        require(
                envName != null && ENV_NAME_PATTERN.matcher(envName).matches(),
                envOption,
                "must name an environment variable");
        Duration connect = config.get(CONNECT_TIMEOUT);
        require(!connect.isNegative() && !connect.isZero(), CONNECT_TIMEOUT, "must be positive");
        Duration read = config.get(READ_TIMEOUT);
        require(!read.isNegative() && !read.isZero(), READ_TIMEOUT, "must be positive");
        int concurrency = config.get(MAX_CONCURRENT_REQUESTS);
        require(concurrency >= 1, MAX_CONCURRENT_REQUESTS, "must be at least 1");
        int queued = config.get(MAX_QUEUED);
        require(queued >= 1, MAX_QUEUED, "must be at least 1");
        int maxSegments = config.get(MAX_SEGMENTS);
        require(maxSegments >= 1, MAX_SEGMENTS, "must be at least 1");
        Duration queueWait = config.get(MAX_QUEUE_WAIT);
        require(!queueWait.isNegative() && !queueWait.isZero(), MAX_QUEUE_WAIT, "must be positive");
        return new SmsSettings(
                accountSid,
                apiKeySid,
                secretFile,
                envName,
                from,
                service,
                baseUrl,
                connect,
                read,
                concurrency,
                queued,
                maxSegments,
                queueWait);
    }

    private static boolean validHttpUrl(String url) {
        try {
            URI uri = new URI(url);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null;
        } catch (Exception e) {
            return false;
        }
    }

    private static void require(boolean ok, ConfigOption<?> option, String message) {
        if (!ok) {
            throw new IllegalArgumentException(option.key() + " " + message);
        }
    }

    private static String trimToNull(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
