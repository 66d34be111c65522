package dev.notiflow.jdbc;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.time.Duration;

/**
 * Job settings for the PostgreSQL tables, as Flink {@link ConfigOption}s under {@code jdbc.}. The
 * tables are written only when {@link #URL} is set ({@link #enabled(ReadableConfig)}).
 *
 * <pre>{@code
 * jdbc.url: jdbc:postgresql://postgres:5432/notiflow
 * jdbc.user: notiflow
 * jdbc.password-env: JDBC_PASSWORD        # or jdbc.password-file: /opt/notiflow/secrets/jdbc/password
 * jdbc.batch-size: 500
 * jdbc.batch-interval: 1 s
 * jdbc.max-retries: 3
 * }</pre>
 *
 * <p>There is deliberately no option for the password itself. Stateless and thread-safe.
 */
public final class JdbcOptions {

    public static final ConfigOption<String> URL =
            ConfigOptions.key("jdbc.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JDBC URL of the PostgreSQL database for the delivery tables; "
                                    + "unset disables them. logServerErrorDetail=false is added. "
                                    + "A database that is down is waited for; one that refuses "
                                    + "the password, the user or the database name fails the "
                                    + "job at once, without restarts.");

    public static final ConfigOption<String> USER =
            ConfigOptions.key("jdbc.user")
                    .stringType()
                    .noDefaultValue()
                    .withDeprecatedKeys("jdbc.username")
                    .withDescription("Database user.");

    public static final ConfigOption<String> PASSWORD_ENV =
            ConfigOptions.key("jdbc.password-env")
                    .stringType()
                    .defaultValue(JdbcSettings.DEFAULT_PASSWORD_ENV)
                    .withDescription(
                            "Name of the environment variable (on the TaskManagers and the "
                                    + "client) that holds the database password. Unset "
                                    + "variable: no password is sent.");

    public static final ConfigOption<String> PASSWORD_FILE =
            ConfigOptions.key("jdbc.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Path of a file holding the database password (e.g. a mounted "
                                    + "Kubernetes secret); wins over jdbc.password-env.");

    public static final ConfigOption<Integer> BATCH_SIZE =
            ConfigOptions.key("jdbc.batch-size")
                    .intType()
                    .defaultValue(JdbcSettings.DEFAULT_BATCH_SIZE)
                    .withDescription("Rows buffered per sink subtask before a flush.");

    public static final ConfigOption<Duration> BATCH_INTERVAL =
            ConfigOptions.key("jdbc.batch-interval")
                    .durationType()
                    .defaultValue(JdbcSettings.DEFAULT_BATCH_INTERVAL)
                    .withDescription(
                            "Longest time buffered rows wait before a flush (0: only on size "
                                    + "and on checkpoints).");

    public static final ConfigOption<Integer> MAX_RETRIES =
            ConfigOptions.key("jdbc.max-retries")
                    .intType()
                    .defaultValue(JdbcSettings.DEFAULT_MAX_RETRIES)
                    .withDescription(
                            "Retries of a failed flush before the sink fails the task (and the "
                                    + "job restarts from its last checkpoint).");

    private JdbcOptions() {}

    /** True when {@link #URL} is set to something other than blanks. */
    public static boolean enabled(ReadableConfig config) {
        return config.getOptional(URL).filter(url -> !url.isBlank()).isPresent();
    }

    /**
     * The settings named by the configuration.
     *
     * @throws IllegalStateException when {@link #URL} is missing
     * @throws IllegalArgumentException when a number is out of range
     */
    public static JdbcSettings settings(ReadableConfig config) {
        if (!enabled(config)) {
            throw new IllegalStateException(URL.key() + " is not set");
        }
        return new JdbcSettings(
                config.get(URL),
                config.get(USER),
                config.get(PASSWORD_ENV),
                config.get(PASSWORD_FILE),
                config.get(BATCH_SIZE),
                config.get(BATCH_INTERVAL),
                config.get(MAX_RETRIES));
    }
}
