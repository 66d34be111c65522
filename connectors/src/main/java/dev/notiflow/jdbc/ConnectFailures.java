package dev.notiflow.jdbc;

import java.sql.SQLException;
import java.util.Set;

/**
 * Sorts the {@link SQLException}s of opening a database connection by what helps: waiting (the
 * database is down, starting, shutting down or full), fixing the configuration (wrong password,
 * unknown user or database), or neither.
 *
 * <pre>{@code
 * switch (ConnectFailures.classify(e, password != null)) {
 *     case CONNECTION -> retryLater();
 *     case CONFIGURATION -> throw ConnectFailures.configurationError(settings, e);
 *     case OTHER -> throw e;
 * }
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class ConnectFailures {

    /** What a failed connection attempt calls for. */
    public enum Kind {
        /**
         * SQLState class {@code 08} (connection exception: refused, reset, timed out), {@code
         * 57P01} admin shutdown, {@code 57P02} crash shutdown, {@code 57P03} cannot connect now
         * (starting up), {@code 53300} too many connections: the database may come back.
         */
        CONNECTION,
        /**
         * SQLState class {@code 28} (invalid authorization: wrong password, unknown user, no {@code
         * pg_hba.conf} entry), {@code 3D000} unknown database, or {@code 08004} (the server
         * rejected the connection) when no password was configured, which is how the PostgreSQL
         * driver reports a server that wants one: only a configuration change helps.
         */
        CONFIGURATION,
        /** Anything else: not retried here; the task fails and Flink's restart strategy decides. */
        OTHER
    }

    private static final Set<String> CONNECTION_STATES = Set.of("57P01", "57P02", "57P03", "53300");

    private ConnectFailures() {}

    /**
     * @param passwordGiven whether a password was passed to the driver
     */
    public static Kind classify(SQLException e, boolean passwordGiven) {
        String state = e.getSQLState();
        if (state == null) {
            return Kind.OTHER;
        }
        if (state.startsWith("28") || state.equals("3D000")) {
            return Kind.CONFIGURATION;
        }
        if (state.equals("08004") && !passwordGiven) {
            return Kind.CONFIGURATION;
        }
        if (state.startsWith("08") || CONNECTION_STATES.contains(state)) {
            return Kind.CONNECTION;
        }
        return Kind.OTHER;
    }

    /**
     * The error for a {@link Kind#CONFIGURATION} failure: names {@code jdbc.url} (with any {@code
     * password} parameter masked), {@code jdbc.user} and the password's source, and carries the
     * driver's message (which holds no password) and SQLState.
     */
    public static JdbcConfigurationException configurationError(
            JdbcSettings settings, SQLException e) {
        return configurationError(
                settings.url(), settings.user(), settings.describePasswordSource(), e);
    }

    static JdbcConfigurationException configurationError(
            String url, String user, String passwordSource, SQLException e) {
        String state = e.getSQLState();
        String hint =
                state != null && state.equals("3D000")
                        ? "check the database name in " + JdbcOptions.URL.key()
                        : "check " + JdbcOptions.USER.key() + " and the password";
        return new JdbcConfigurationException(
                "The database refused the connection for good (SQLState "
                        + state
                        + ": "
                        + e.getMessage()
                        + "); "
                        + hint
                        + ". "
                        + JdbcOptions.URL.key()
                        + "="
                        + JdbcSettings.redactUrl(url)
                        + ", "
                        + JdbcOptions.USER.key()
                        + "="
                        + (user == null ? "(unset)" : user)
                        + ", password from "
                        + passwordSource
                        + ". Retrying cannot help; fix the configuration and start again.",
                e);
    }
}
