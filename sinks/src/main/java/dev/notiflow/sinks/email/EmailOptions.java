package dev.notiflow.sinks.email;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Configuration of the email channel (SMTP through Jakarta Mail), keys prefixed {@code email.}.
 *
 * <p>The channel is enabled when {@link #SMTP_HOST} is set. When {@link #SMTP_USERNAME} is set the
 * sender authenticates; the password is never a configuration value: it is read from {@link
 * #SMTP_PASSWORD_FILE} when set, otherwise from the environment variable named by {@link
 * #SMTP_PASSWORD_ENV} ({@code SMTP_PASSWORD}), when the sender is created inside a task.
 *
 * <pre>{@code
 * if (EmailOptions.enabled(conf)) {
 *     SenderFactory email = new SmtpEmailSenderFactory(EmailOptions.fromConfig(conf));
 * }
 * }</pre>
 *
 * <p>Holds constants only; thread-safe.
 */
public final class EmailOptions {

    public static final ConfigOption<String> SMTP_HOST =
            ConfigOptions.key("email.smtp.host")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("SMTP server host. Setting it enables the email channel.");

    public static final ConfigOption<Integer> SMTP_PORT =
            ConfigOptions.key("email.smtp.port")
                    .intType()
                    .defaultValue(587)
                    .withDescription("SMTP server port (587 submission, 465 implicit TLS, 25).");

    public static final ConfigOption<SmtpSecurity> SMTP_SECURITY =
            ConfigOptions.key("email.smtp.security")
                    .enumType(SmtpSecurity.class)
                    .defaultValue(SmtpSecurity.STARTTLS)
                    .withDescription(
                            "none (plain SMTP), starttls (upgrade required, the connection fails"
                                    + " without it) or tls (implicit TLS from the first byte).");

    public static final ConfigOption<String> SMTP_USERNAME =
            ConfigOptions.key("email.smtp.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("SMTP AUTH user name; no authentication when unset.");

    public static final ConfigOption<String> SMTP_PASSWORD_FILE =
            ConfigOptions.key("email.smtp.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of a file holding the SMTP password. Takes precedence over"
                                    + " email.smtp.password-env.");

    public static final ConfigOption<String> SMTP_PASSWORD_ENV =
            ConfigOptions.key("email.smtp.password-env")
                    .stringType()
                    .defaultValue("SMTP_PASSWORD")
                    .withDescription("Environment variable holding the SMTP password.");

    public static final ConfigOption<String> SMTP_TRUSTED_CERTIFICATE_FILE =
            ConfigOptions.key("email.smtp.trusted-certificate-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "PEM file of the certificates to trust for TLS instead of the JVM's"
                                    + " default trust store (e.g. a local server's own CA).");

    public static final ConfigOption<String> SMTP_HELO_NAME =
            ConfigOptions.key("email.smtp.helo-name")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Host name announced in EHLO; defaults to this machine's name.");

    public static final ConfigOption<Duration> SMTP_CONNECT_TIMEOUT =
            ConfigOptions.key("email.smtp.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Socket connect timeout.");

    public static final ConfigOption<Duration> SMTP_READ_TIMEOUT =
            ConfigOptions.key("email.smtp.read-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "Timeout waiting for a server reply; gives RETRYABLE TIMEOUT.");

    public static final ConfigOption<Duration> SMTP_WRITE_TIMEOUT =
            ConfigOptions.key("email.smtp.write-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("Timeout writing to the server.");

    public static final ConfigOption<String> FROM =
            ConfigOptions.key("email.from")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Sender address, optionally with a display name:"
                                    + " 'Shop <noreply@shop.example>'. Required.");

    public static final ConfigOption<String> MESSAGE_ID_DOMAIN =
            ConfigOptions.key("email.message-id-domain")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Domain of the Message-ID <notificationId@domain>; defaults to the"
                                    + " domain of email.from.");

    public static final ConfigOption<Integer> CONNECTIONS =
            ConfigOptions.key("email.connections")
                    .intType()
                    .defaultValue(4)
                    .withDescription(
                            "SMTP connections kept open and reused per sender; also the number"
                                    + " of messages in flight at once.");

    public static final ConfigOption<Integer> MAX_QUEUED =
            ConfigOptions.key("email.max-queued")
                    .intType()
                    .defaultValue(1000)
                    .withDescription(
                            "Messages waiting for a free connection; beyond it a send is"
                                    + " RETRYABLE SENDER_BUSY.");

    public static final ConfigOption<Integer> MAX_MESSAGE_BYTES =
            ConfigOptions.key("email.max-message-bytes")
                    .intType()
                    .defaultValue(1024 * 1024)
                    .withDescription(
                            "Largest rendered email (UTF-8 bytes of subject, plain text and HTML);"
                                    + " a larger one is FAILED/PAYLOAD_TOO_LARGE before sending.");

    public static final ConfigOption<Duration> MAX_QUEUE_WAIT =
            ConfigOptions.key("email.max-queue-wait")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "Longest a message waits for a free connection; after it the send is"
                                    + " RETRYABLE SENDER_BUSY without being sent, so a message never"
                                    + " goes out after the job stopped waiting for it.");

    public static final ConfigOption<Duration> IDLE_CHECK =
            ConfigOptions.key("email.smtp.idle-check")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(15))
                    .withDescription(
                            "A connection idle for longer is checked with NOOP before reuse and"
                                    + " reopened if the server closed it.");

    private static final Pattern HOST_PATTERN = Pattern.compile("[A-Za-z0-9.:\\[\\]-]+");
    private static final Pattern DOMAIN_PATTERN =
            Pattern.compile(
                    "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern ENV_NAME_PATTERN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EmailOptions() {}

    /** Whether the email channel is configured (its SMTP host is set). */
    public static boolean enabled(ReadableConfig config) {
        return config.getOptional(SMTP_HOST).filter(s -> !s.isBlank()).isPresent();
    }

    /**
     * Reads and validates the email settings once.
     *
     * @throws IllegalArgumentException naming the missing or invalid key
     */
    public static EmailSettings fromConfig(ReadableConfig config) {
        String host = trimToNull(config.get(SMTP_HOST));
        require(host != null, SMTP_HOST, "is required for the email channel");
        require(HOST_PATTERN.matcher(host).matches(), SMTP_HOST, "is not a host name or address");
        int port = config.get(SMTP_PORT);
        require(port > 0 && port < 65536, SMTP_PORT, "must be within 1..65535");
        SmtpSecurity security = config.get(SMTP_SECURITY);
        String username = trimToNull(config.get(SMTP_USERNAME));
        String passwordFile = trimToNull(config.get(SMTP_PASSWORD_FILE));
        String passwordEnv = config.get(SMTP_PASSWORD_ENV);
        require(
                passwordEnv != null && ENV_NAME_PATTERN.matcher(passwordEnv).matches(),
                SMTP_PASSWORD_ENV,
                "must name an environment variable");
        String from = trimToNull(config.get(FROM));
        require(from != null, FROM, "is required for the email channel");
        InternetAddress fromAddress;
        try {
            fromAddress = new InternetAddress(from, true);
            fromAddress.validate();
        } catch (AddressException e) {
            throw new IllegalArgumentException(
                    FROM.key() + " is not a valid address: " + e.getMessage(), e);
        }
        require(
                from.indexOf('\r') < 0 && from.indexOf('\n') < 0,
                FROM,
                "must not contain line breaks");
        String domain = trimToNull(config.get(MESSAGE_ID_DOMAIN));
        if (domain == null) {
            String address = fromAddress.getAddress();
            domain = address.substring(address.lastIndexOf('@') + 1);
        }
        require(
                DOMAIN_PATTERN.matcher(domain).matches(),
                MESSAGE_ID_DOMAIN,
                "must be a domain name (or email.from must end in one)");
        Duration connect = positive(config, SMTP_CONNECT_TIMEOUT);
        Duration read = positive(config, SMTP_READ_TIMEOUT);
        Duration write = positive(config, SMTP_WRITE_TIMEOUT);
        Duration idleCheck = config.get(IDLE_CHECK);
        require(!idleCheck.isNegative(), IDLE_CHECK, "must not be negative");
        int connections = config.get(CONNECTIONS);
        require(connections >= 1 && connections <= 64, CONNECTIONS, "must be within 1..64");
        int queued = config.get(MAX_QUEUED);
        require(queued >= 1, MAX_QUEUED, "must be at least 1");
        Duration queueWait = positive(config, MAX_QUEUE_WAIT);
        int maxMessageBytes = config.get(MAX_MESSAGE_BYTES);
        require(maxMessageBytes >= 1024, MAX_MESSAGE_BYTES, "must be at least 1024");
        return new EmailSettings(
                host,
                port,
                security,
                username,
                passwordFile,
                passwordEnv,
                trimToNull(config.get(SMTP_TRUSTED_CERTIFICATE_FILE)),
                trimToNull(config.get(SMTP_HELO_NAME)),
                from,
                domain,
                connect,
                read,
                write,
                idleCheck,
                connections,
                queued,
                queueWait,
                maxMessageBytes);
    }

    private static Duration positive(ReadableConfig config, ConfigOption<Duration> option) {
        Duration d = config.get(option);
        require(!d.isNegative() && !d.isZero(), option, "must be positive");
        return d;
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
