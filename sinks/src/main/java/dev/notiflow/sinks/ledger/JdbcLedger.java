package dev.notiflow.sinks.ledger;

import dev.notiflow.jdbc.ConnectFailures;
import dev.notiflow.jdbc.JdbcConfigurationException;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.model.Provider;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code send_ledger} table over plain JDBC, with a tiny pool of at most {@code maxConnections}
 * connections. Lookups and inserts take many notifications at once ({@link #findAll}, {@link
 * #recordAll}), one statement each whatever their number. Its methods block: call them from a
 * thread that may block (the {@link LedgeredSender}'s executor), never from a task thread.
 *
 * <p>A connection that fails is closed, and a statement that fails on a reused connection is tried
 * once more on a new one (after a database restart every pooled connection is dead). The password
 * is resolved from {@link JdbcSettings} when the first connection opens. Connect and socket
 * timeouts are short, so a stuck database frees the calling thread. A connection the database
 * refuses for its credentials or name ({@link ConnectFailures.Kind#CONFIGURATION}) throws a {@link
 * JdbcConfigurationException} instead of an {@link SQLException}.
 *
 * <p>Thread-safe.
 */
final class JdbcLedger implements AutoCloseable {

    /** One statement for any number of notifications: the ids travel as one text array. */
    static final String LOOKUP_SQL =
            "SELECT notification_id, provider_message_id FROM send_ledger"
                    + " WHERE notification_id = ANY(?)";

    /** One statement for any number of rows: each column travels as one array. */
    static final String INSERT_SQL =
            "INSERT INTO send_ledger (notification_id, provider, provider_message_id, sent_at)"
                    + " SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[])"
                    + " ON CONFLICT (notification_id) DO NOTHING";

    private static final String CONNECT_TIMEOUT_SECONDS = "2";
    private static final String SOCKET_TIMEOUT_SECONDS = "5";
    private static final int QUERY_TIMEOUT_SECONDS = 5;

    /** A notification found in the ledger; {@code providerMessageId} may be {@code null}. */
    record Entry(String providerMessageId) {}

    /** An accepted send to record; {@code providerMessageId} may be {@code null}. */
    record Row(
            String notificationId, Provider provider, String providerMessageId, Instant sentAt) {}

    private final JdbcSettings settings;
    private final BlockingQueue<Connection> idle;
    private volatile Properties properties;
    private volatile Driver driver;
    private volatile boolean closed;
    private final AtomicLong statements = new AtomicLong();

    JdbcLedger(JdbcSettings settings, int maxConnections) {
        this.settings = settings;
        this.idle = new ArrayBlockingQueue<>(maxConnections);
    }

    /** The entry of a notification, or {@code null} when the ledger has none. */
    Entry find(String notificationId) throws SQLException {
        return findAll(List.of(notificationId)).get(notificationId);
    }

    /**
     * The entries of the given notifications, in one statement; a notification the ledger does not
     * hold has no key in the map.
     */
    Map<String, Entry> findAll(Collection<String> notificationIds) throws SQLException {
        if (notificationIds.isEmpty()) {
            return Map.of();
        }
        return withConnection(
                c -> {
                    try (PreparedStatement s = c.prepareStatement(LOOKUP_SQL)) {
                        s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                        s.setArray(1, c.createArrayOf("text", notificationIds.toArray()));
                        statements.incrementAndGet();
                        Map<String, Entry> found = new HashMap<>();
                        try (ResultSet rs = s.executeQuery()) {
                            while (rs.next()) {
                                found.put(rs.getString(1), new Entry(rs.getString(2)));
                            }
                        }
                        return found;
                    }
                });
    }

    /**
     * Records an accepted send; a notification already recorded keeps its first row.
     *
     * @return true when a row was added, false when one was there already
     */
    boolean record(
            String notificationId, Provider provider, String providerMessageId, Instant sentAt)
            throws SQLException {
        return recordAll(List.of(new Row(notificationId, provider, providerMessageId, sentAt)))
                == 1;
    }

    /**
     * Records accepted sends in one statement; a notification already recorded (or named twice in
     * {@code rows}) keeps its first row.
     *
     * @return the number of rows added
     */
    int recordAll(List<Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return 0;
        }
        int n = rows.size();
        String[] ids = new String[n];
        String[] providers = new String[n];
        String[] messageIds = new String[n];
        Timestamp[] sentAt = new Timestamp[n];
        for (int i = 0; i < n; i++) {
            Row row = rows.get(i);
            ids[i] = row.notificationId();
            providers[i] = row.provider().wireName();
            messageIds[i] = row.providerMessageId();
            sentAt[i] = Timestamp.from(row.sentAt());
        }
        return withConnection(
                c -> {
                    try (PreparedStatement s = c.prepareStatement(INSERT_SQL)) {
                        s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                        s.setArray(1, c.createArrayOf("text", ids));
                        s.setArray(2, c.createArrayOf("text", providers));
                        s.setArray(3, c.createArrayOf("text", messageIds));
                        s.setArray(4, c.createArrayOf("timestamptz", sentAt));
                        statements.incrementAndGet();
                        return s.executeUpdate();
                    }
                });
    }

    /**
     * Opens one connection into the pool when it has room and runs one lookup on it, so the first
     * lookups after a start pay neither for connecting nor for a new database session's first
     * statement (its catalog reads and planning) and the driver's first use: after a restore, those
     * first lookups are the replays the ledger is there to answer.
     *
     * @throws JdbcConfigurationException when the database refuses the credentials
     */
    void warmUp() throws SQLException {
        if (idle.remainingCapacity() > 0) {
            Connection c = connect();
            try (PreparedStatement s = c.prepareStatement(LOOKUP_SQL)) {
                s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                s.setArray(1, c.createArrayOf("text", new String[] {""}));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        // nothing to read: the statement ran
                    }
                }
            } catch (SQLException | RuntimeException e) {
                closeQuietly(c);
                throw e;
            }
            release(c);
        }
    }

    /** Lookup and insert statements run so far (each may carry many notifications). */
    long statements() {
        return statements.get();
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T withConnection(Work<T> work) throws SQLException {
        Connection pooled = idle.poll();
        if (pooled != null) {
            try {
                T result = work.run(pooled);
                release(pooled);
                return result;
            } catch (SQLException e) {
                // The database may have restarted: every idle connection is suspect.
                closeQuietly(pooled);
                drainIdle();
            }
        }
        Connection fresh = connect();
        try {
            T result = work.run(fresh);
            release(fresh);
            return result;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(fresh);
            throw e;
        }
    }

    private void release(Connection c) {
        if (closed || !idle.offer(c)) {
            closeQuietly(c);
        }
    }

    private Connection connect() throws SQLException {
        if (closed) {
            throw new SQLException("the send ledger is closed", "08003");
        }
        Properties props = properties();
        Connection c;
        try {
            c =
                    driver() != null
                            ? driver.connect(settings.url(), props)
                            : DriverManager.getConnection(settings.url(), props);
        } catch (SQLException e) {
            if (ConnectFailures.classify(e, props.containsKey("password"))
                    == ConnectFailures.Kind.CONFIGURATION) {
                throw ConnectFailures.configurationError(settings, e);
            }
            throw e;
        }
        if (c == null) {
            throw new SQLException("no JDBC driver accepts the configured URL", "08001");
        }
        c.setAutoCommit(true);
        return c;
    }

    /** The PostgreSQL driver, loaded directly so that Flink's user-code class loader finds it. */
    private Driver driver() throws SQLException {
        if (driver == null && settings.url().startsWith("jdbc:postgresql:")) {
            try {
                driver =
                        (Driver)
                                Class.forName(
                                                "org.postgresql.Driver",
                                                true,
                                                JdbcLedger.class.getClassLoader())
                                        .getDeclaredConstructor()
                                        .newInstance();
            } catch (ReflectiveOperationException e) {
                throw new SQLException("PostgreSQL JDBC driver not found", "08001", e);
            }
        }
        return driver;
    }

    private Properties properties() {
        if (properties == null) {
            Properties p = new Properties();
            if (settings.user() != null) {
                p.setProperty("user", settings.user());
            }
            String password = settings.resolvePassword();
            if (password != null) {
                p.setProperty("password", password);
            }
            p.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
            p.setProperty("loginTimeout", CONNECT_TIMEOUT_SECONDS);
            p.setProperty("socketTimeout", SOCKET_TIMEOUT_SECONDS);
            p.setProperty("ApplicationName", "notiflow-send-ledger");
            properties = p;
        }
        return properties;
    }

    private void drainIdle() {
        List<Connection> stale = new ArrayList<>();
        idle.drainTo(stale);
        stale.forEach(JdbcLedger::closeQuietly);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // already broken; nothing to release
        }
    }

    @Override
    public void close() {
        closed = true;
        drainIdle();
    }
}
