package dev.notiflow.jdbc;

import org.apache.flink.connector.jdbc.JdbcExecutionOptions;
import org.apache.flink.connector.jdbc.datasource.connections.JdbcConnectionProvider;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where and how the job writes its PostgreSQL tables: the JDBC URL, the user, where the password
 * comes from, and the batching of the JDBC sinks.
 *
 * <p>The password itself is never part of the settings: they name an environment variable ({@link
 * #passwordEnv()}) or a file ({@link #passwordFile()}, which wins when both are set), and the
 * password is read where the connection is opened, on the TaskManager. So the password is neither
 * in the job configuration, nor in the job graph, nor in the Flink web UI. A missing variable means
 * "no password" (e.g. {@code trust} authentication); a named file that cannot be read is an error.
 *
 * <p>For PostgreSQL URLs the canonical constructor forces {@code logServerErrorDetail=false}:
 * pgjdbc otherwise copies bind values (user ids, details) into exception messages and logs.
 *
 * <pre>{@code
 * JdbcSettings settings =
 *         JdbcSettings.of("jdbc:postgresql://db:5432/notiflow", "notiflow")
 *                 .withPasswordFile("/opt/notiflow/secrets/jdbc/password")
 *                 .withBatch(500, Duration.ofSeconds(1));
 * }</pre>
 *
 * <p>Immutable and thread-safe; serializable so that sinks can carry it to the TaskManagers.
 *
 * @param url JDBC URL, e.g. {@code jdbc:postgresql://host:5432/notiflow}
 * @param user database user, or {@code null} to let the driver decide
 * @param passwordEnv name of the environment variable holding the password, or {@code null}
 * @param passwordFile path of a file holding the password (trailing line breaks ignored), or {@code
 *     null}
 * @param batchSize rows buffered before a flush, at least 1
 * @param batchInterval longest time rows wait before a flush; zero flushes only on size and
 *     checkpoints
 * @param maxRetries how often a failed flush is retried before the task fails
 */
public record JdbcSettings(
        String url,
        String user,
        String passwordEnv,
        String passwordFile,
        int batchSize,
        Duration batchInterval,
        int maxRetries)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Default environment variable for the password. */
    public static final String DEFAULT_PASSWORD_ENV = "NOTIFLOW_JDBC_PASSWORD";

    public static final int DEFAULT_BATCH_SIZE = 500;
    public static final Duration DEFAULT_BATCH_INTERVAL = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_RETRIES = 3;

    private static final String NO_ERROR_DETAIL = "logServerErrorDetail=false";
    private static final Pattern ERROR_DETAIL_PARAM =
            Pattern.compile("(?i)([?&])logServerErrorDetail=[^&]*");
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&;]password=)[^&;]*");

    public JdbcSettings {
        Objects.requireNonNull(url, "url");
        if (url.isBlank()) {
            throw new IllegalArgumentException("jdbc url is blank");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1: " + batchSize);
        }
        Objects.requireNonNull(batchInterval, "batchInterval");
        if (batchInterval.isNegative()) {
            throw new IllegalArgumentException("batch interval is negative: " + batchInterval);
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("max retries is negative: " + maxRetries);
        }
        url = withoutServerErrorDetail(url.trim());
        user = blankToNull(user);
        passwordEnv = blankToNull(passwordEnv);
        passwordFile = blankToNull(passwordFile);
    }

    /**
     * Settings with the default password variable {@value #DEFAULT_PASSWORD_ENV} and default
     * batching.
     */
    public static JdbcSettings of(String url, String user) {
        return new JdbcSettings(
                url,
                user,
                DEFAULT_PASSWORD_ENV,
                null,
                DEFAULT_BATCH_SIZE,
                DEFAULT_BATCH_INTERVAL,
                DEFAULT_MAX_RETRIES);
    }

    /** A copy that reads the password from this environment variable instead. */
    public JdbcSettings withPasswordEnv(String variable) {
        return new JdbcSettings(url, user, variable, null, batchSize, batchInterval, maxRetries);
    }

    /** A copy that reads the password from this file instead. */
    public JdbcSettings withPasswordFile(String path) {
        return new JdbcSettings(url, user, null, path, batchSize, batchInterval, maxRetries);
    }

    /** A copy with other batching. */
    public JdbcSettings withBatch(int size, Duration interval) {
        return new JdbcSettings(url, user, passwordEnv, passwordFile, size, interval, maxRetries);
    }

    /** A copy with another number of flush retries. */
    public JdbcSettings withMaxRetries(int retries) {
        return new JdbcSettings(
                url, user, passwordEnv, passwordFile, batchSize, batchInterval, retries);
    }

    /**
     * Reads the password from the file or the environment of this process; {@code null} when none
     * is configured or the variable is unset.
     *
     * @throws UncheckedIOException when the password file cannot be read
     */
    public String resolvePassword() {
        return resolvePassword(System.getenv()::get);
    }

    String resolvePassword(Function<String, String> env) {
        if (passwordFile != null) {
            try {
                String text = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8);
                return text.replaceAll("[\\r\\n]+$", "");
            } catch (IOException e) {
                // The path is configuration, not a secret; the content never appears.
                throw new UncheckedIOException(
                        "cannot read the JDBC password file " + passwordFile, e);
            }
        }
        if (passwordEnv != null) {
            return env.apply(passwordEnv);
        }
        return null;
    }

    /**
     * Where the password comes from, for error messages: the {@code jdbc.password-file} or {@code
     * jdbc.password-env} key and its value (a path or a variable name, never the password), and
     * whether the variable is set in this process.
     */
    public String describePasswordSource() {
        return describePasswordSource(System.getenv()::get);
    }

    String describePasswordSource(Function<String, String> env) {
        if (passwordFile != null) {
            return JdbcOptions.PASSWORD_FILE.key() + "=" + passwordFile;
        }
        if (passwordEnv != null) {
            return JdbcOptions.PASSWORD_ENV.key()
                    + "="
                    + passwordEnv
                    + (env.apply(passwordEnv) == null ? " (not set here: no password sent)" : "");
        }
        return "nowhere (neither "
                + JdbcOptions.PASSWORD_FILE.key()
                + " nor "
                + JdbcOptions.PASSWORD_ENV.key()
                + " is set: no password sent)";
    }

    /** Batch size, interval and retries for Flink's JDBC sink. */
    public JdbcExecutionOptions executionOptions() {
        return JdbcExecutionOptions.builder()
                .withBatchSize(batchSize)
                .withBatchIntervalMs(batchInterval.toMillis())
                .withMaxRetries(maxRetries)
                .build();
    }

    /**
     * A serializable connection provider that resolves the password on the TaskManager when it
     * first connects.
     */
    public JdbcConnectionProvider connectionProvider() {
        return new SecretResolvingConnectionProvider(this);
    }

    @Override
    public String toString() {
        return "JdbcSettings[url="
                + redactUrl(url)
                + ", user="
                + user
                + ", passwordEnv="
                + passwordEnv
                + ", passwordFile="
                + passwordFile
                + ", batchSize="
                + batchSize
                + ", batchInterval="
                + batchInterval
                + ", maxRetries="
                + maxRetries
                + "]";
    }

    static String withoutServerErrorDetail(String url) {
        if (!url.startsWith("jdbc:postgresql:")) {
            return url;
        }
        String cleaned = ERROR_DETAIL_PARAM.matcher(url).replaceAll("$1");
        cleaned = cleaned.replace("?&", "?").replace("&&", "&");
        if (cleaned.endsWith("?") || cleaned.endsWith("&")) {
            cleaned = cleaned.substring(0, cleaned.length() - 1);
        }
        return cleaned + (cleaned.contains("?") ? "&" : "?") + NO_ERROR_DETAIL;
    }

    /** The URL with the value of any {@code password} parameter replaced by {@code ***}. */
    static String redactUrl(String url) {
        return PASSWORD_PARAM.matcher(url).replaceAll("$1***");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
