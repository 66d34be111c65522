package dev.notiflow.jdbc;

import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.datasource.connections.JdbcConnectionProvider;
import org.apache.flink.connector.jdbc.datasource.connections.SimpleJdbcConnectionProvider;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A {@link JdbcConnectionProvider} that carries only {@link JdbcSettings} (no password) through
 * serialization and reads the password from the environment or file on the TaskManager when it
 * first connects. The work is delegated to Flink's {@link SimpleJdbcConnectionProvider}.
 *
 * <p>Connecting waits out a database outage of any length: a connection that fails at the
 * connection level ({@link ConnectFailures.Kind#CONNECTION}: SQLState class {@code 08}, {@code
 * 57P01}-{@code 57P03}, {@code 53300}) is tried again with a backoff (1 s doubling to 10 s, a WARN
 * each time) until it succeeds or the task is cancelled (interrupted), blocking the sink's task.
 * The job back-pressures instead of failing, because a failing JDBC writer fails again while
 * closing, which Flink treats as fatal for the whole TaskManager. That job is {@code
 * DeliveryTablesJob}, which has nothing else to do; its checkpoints wait meanwhile.
 *
 * <p>A refusal that no wait can cure ({@link ConnectFailures.Kind#CONFIGURATION}: a wrong password
 * or user, an unknown database, no password where the server wants one) is not retried: it throws a
 * {@link JdbcConfigurationException} naming {@code jdbc.url} and the password's source, which fails
 * the job without restarts. Any other {@link SQLException} is thrown as it is: the task fails and
 * the restart strategy decides.
 *
 * <p>Not thread-safe, like the provider it wraps: one instance serves one sink writer.
 */
final class SecretResolvingConnectionProvider implements JdbcConnectionProvider {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG =
            LoggerFactory.getLogger(SecretResolvingConnectionProvider.class);

    private final JdbcSettings settings;
    private transient SimpleJdbcConnectionProvider delegate;
    private transient boolean passwordGiven;

    SecretResolvingConnectionProvider(JdbcSettings settings) {
        this.settings = settings;
    }

    private SimpleJdbcConnectionProvider delegate() {
        if (delegate == null) {
            JdbcConnectionOptions.JdbcConnectionOptionsBuilder options =
                    new JdbcConnectionOptions.JdbcConnectionOptionsBuilder()
                            .withUrl(settings.url());
            if (settings.url().startsWith("jdbc:postgresql:")) {
                options.withDriverName("org.postgresql.Driver");
            }
            if (settings.user() != null) {
                options.withUsername(settings.user());
            }
            String password = settings.resolvePassword();
            if (password != null) {
                options.withPassword(password);
            }
            passwordGiven = password != null;
            delegate = new SimpleJdbcConnectionProvider(options.build());
        }
        return delegate;
    }

    @Override
    public Connection getConnection() {
        return delegate == null ? null : delegate.getConnection();
    }

    @Override
    public Properties getProperties() {
        return delegate().getProperties();
    }

    @Override
    public boolean isConnectionValid() throws SQLException {
        return delegate != null && delegate.isConnectionValid();
    }

    @Override
    public Connection getOrEstablishConnection() throws SQLException, ClassNotFoundException {
        return withRetries(() -> delegate().getOrEstablishConnection());
    }

    @Override
    public void closeConnection() {
        if (delegate != null) {
            delegate.closeConnection();
        }
    }

    @Override
    public Connection reestablishConnection() throws SQLException, ClassNotFoundException {
        return withRetries(() -> delegate().reestablishConnection());
    }

    private interface Connect {
        Connection get() throws SQLException, ClassNotFoundException;
    }

    private Connection withRetries(Connect connect) throws SQLException, ClassNotFoundException {
        long backoffMillis = 1000;
        while (true) {
            try {
                return connect.get();
            } catch (SQLException e) {
                switch (ConnectFailures.classify(e, passwordGiven)) {
                    case CONFIGURATION:
                        throw ConnectFailures.configurationError(settings, e);
                    case OTHER:
                        throw e;
                    default:
                        break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                LOG.warn(
                        "Database not reachable (SQLState {}); trying again in {} ms",
                        e.getSQLState(),
                        backoffMillis);
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoffMillis = Math.min(10_000, backoffMillis * 2);
            }
        }
    }
}
