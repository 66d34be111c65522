package dev.notiflow.jdbc;

import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.datasource.connections.JdbcConnectionProvider;
import org.apache.flink.connector.jdbc.datasource.connections.SimpleJdbcConnectionProvider;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A {@link JdbcConnectionProvider} that carries only {@link JdbcSettings} (no password) through
 * serialization and reads the password from the environment or file on the TaskManager when it
 * first connects. The work is delegated to Flink's {@link SimpleJdbcConnectionProvider}.
 *
 * <p>Not thread-safe, like the provider it wraps: one instance serves one sink writer.
 */
final class SecretResolvingConnectionProvider implements JdbcConnectionProvider {

    private static final long serialVersionUID = 1L;

    private final JdbcSettings settings;
    private transient SimpleJdbcConnectionProvider delegate;

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
        return delegate().getOrEstablishConnection();
    }

    @Override
    public void closeConnection() {
        if (delegate != null) {
            delegate.closeConnection();
        }
    }

    @Override
    public Connection reestablishConnection() throws SQLException, ClassNotFoundException {
        return delegate().reestablishConnection();
    }
}
