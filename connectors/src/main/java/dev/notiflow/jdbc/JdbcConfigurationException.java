package dev.notiflow.jdbc;

import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

import java.sql.SQLException;

/**
 * The database refused the configured connection in a way that waiting or restarting cannot fix:
 * authentication failed (SQLState class {@code 28}), the database does not exist ({@code 3D000}),
 * or the server asked for a password and none was configured. The message names {@code jdbc.url},
 * {@code jdbc.user} and where the password came from ({@code jdbc.password-file} or {@code
 * jdbc.password-env}), never the password.
 *
 * <p>Flink treats it as a non-recoverable error ({@link ThrowableType#NonRecoverableError}): a task
 * failing with it anywhere in its cause chain fails the whole job at once, whatever the restart
 * strategy, instead of restarting into the same refusal for ever.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
public final class JdbcConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String sqlState;

    public JdbcConfigurationException(String message, SQLException cause) {
        super(message, cause);
        this.sqlState = cause == null ? null : cause.getSQLState();
    }

    /** The SQLState of the refusal, e.g. {@code 28P01}. */
    public String sqlState() {
        return sqlState;
    }
}
