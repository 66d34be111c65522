package dev.notiflow.gateway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's PostgreSQL side: the idempotency claims ({@code gateway_requests}), the eventIds it
 * enqueued, the devices it registered, and reads of the job's {@code deliveries} table. Applies the
 * project's Flyway migrations at start (idempotent; Flyway serializes concurrent starts).
 */
public final class Store implements AutoCloseable {

    /** What a claim found. */
    public sealed interface Claim {}

    /** The key is ours now: produce, then {@link #complete} or {@link #release}. */
    public record Claimed() implements Claim {}

    /** The key was answered before: the same answer again. */
    public record Answered(int status, String response) implements Claim {}

    /** Another request with this key is producing now. */
    public record InProgress(Duration age) implements Claim {}

    /** The key was used with another body. */
    public record Conflict() implements Claim {}

    private final HikariDataSource ds;

    public Store(String url, String user, String password, int poolSize) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password);
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(1);
        c.setConnectionTimeout(3000);
        c.setInitializationFailTimeout(-1);
        c.setPoolName("gateway");
        ds = new HikariDataSource(c);
    }

    public void migrate() {
        Flyway.configure(Store.class.getClassLoader())
                .dataSource(ds)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }

    /**
     * Claims {@code (apiKey, key)} for a request whose body hashes to {@code hash}. A pending claim
     * older than {@code staleAfter} (its gateway died between claim and answer) is taken over: the
     * request is produced again under the same eventIds, which the job's dedupe drops.
     */
    public Claim claim(String apiKey, String key, String hash, Duration window, Duration staleAfter)
            throws SQLException {
        Instant now = Instant.now();
        try (Connection c = ds.getConnection()) {
            for (int attempt = 0; attempt < 3; attempt++) {
                try (PreparedStatement ins =
                        c.prepareStatement(
                                "INSERT INTO gateway_requests (api_key, idem_key, body_hash, state,"
                                        + " claimed_at, expires_at) VALUES (?, ?, ?, 'PENDING', ?, ?)"
                                        + " ON CONFLICT (api_key, idem_key) DO NOTHING")) {
                    ins.setString(1, apiKey);
                    ins.setString(2, key);
                    ins.setString(3, hash);
                    ins.setTimestamp(4, Timestamp.from(now));
                    ins.setTimestamp(5, Timestamp.from(now.plus(window)));
                    if (ins.executeUpdate() == 1) {
                        return new Claimed();
                    }
                }
                try (PreparedStatement sel =
                        c.prepareStatement(
                                "SELECT body_hash, state, status, response, claimed_at, expires_at"
                                        + " FROM gateway_requests WHERE api_key = ? AND idem_key = ?")) {
                    sel.setString(1, apiKey);
                    sel.setString(2, key);
                    try (ResultSet rs = sel.executeQuery()) {
                        if (!rs.next()) {
                            continue; // deleted meanwhile: insert again
                        }
                        Instant claimedAt = rs.getTimestamp("claimed_at").toInstant();
                        Instant expiresAt = rs.getTimestamp("expires_at").toInstant();
                        boolean expired = !expiresAt.isAfter(now);
                        boolean stale =
                                "PENDING".equals(rs.getString("state"))
                                        && claimedAt.plus(staleAfter).isBefore(now);
                        if (!expired && !rs.getString("body_hash").equals(hash)) {
                            return new Conflict();
                        }
                        if (!expired && "DONE".equals(rs.getString("state"))) {
                            return new Answered(rs.getInt("status"), rs.getString("response"));
                        }
                        if (!expired && !stale) {
                            return new InProgress(Duration.between(claimedAt, now));
                        }
                        if (takeOver(c, apiKey, key, hash, claimedAt, now, window)) {
                            return new Claimed();
                        }
                    }
                }
            }
            return new InProgress(Duration.ZERO);
        }
    }

    private static boolean takeOver(
            Connection c,
            String apiKey,
            String key,
            String hash,
            Instant oldClaim,
            Instant now,
            Duration window)
            throws SQLException {
        try (PreparedStatement up =
                c.prepareStatement(
                        "UPDATE gateway_requests SET body_hash = ?, state = 'PENDING', status ="
                                + " NULL, response = NULL, claimed_at = ?, expires_at = ? WHERE"
                                + " api_key = ? AND idem_key = ? AND claimed_at = ?")) {
            up.setString(1, hash);
            up.setTimestamp(2, Timestamp.from(now));
            up.setTimestamp(3, Timestamp.from(now.plus(window)));
            up.setString(4, apiKey);
            up.setString(5, key);
            up.setTimestamp(6, Timestamp.from(oldClaim));
            return up.executeUpdate() == 1;
        }
    }

    /** Records the answer of a claimed key. */
    public void complete(String apiKey, String key, int status, String response)
            throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement up =
                        c.prepareStatement(
                                "UPDATE gateway_requests SET state = 'DONE', status = ?, response"
                                        + " = ? WHERE api_key = ? AND idem_key = ?")) {
            up.setInt(1, status);
            up.setString(2, response);
            up.setString(3, apiKey);
            up.setString(4, key);
            up.executeUpdate();
        }
    }

    /** Gives a claimed key up (nothing was enqueued): a retry may claim it again. */
    public void release(String apiKey, String key) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement del =
                        c.prepareStatement(
                                "DELETE FROM gateway_requests WHERE api_key = ? AND idem_key = ?"
                                        + " AND state = 'PENDING'")) {
            del.setString(1, apiKey);
            del.setString(2, key);
            del.executeUpdate();
        }
    }

    /** Remembers eventIds that Kafka committed, for {@link #knownEvent}. */
    public void eventsAccepted(List<String> eventIds, Duration window) throws SQLException {
        if (eventIds.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        try (Connection c = ds.getConnection();
                PreparedStatement ins =
                        c.prepareStatement(
                                "INSERT INTO gateway_events (event_id, accepted_at, expires_at)"
                                        + " VALUES (?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET"
                                        + " expires_at = EXCLUDED.expires_at")) {
            for (String id : eventIds) {
                ins.setString(1, id);
                ins.setTimestamp(2, Timestamp.from(now));
                ins.setTimestamp(3, Timestamp.from(now.plus(window)));
                ins.addBatch();
            }
            ins.executeBatch();
        }
    }

    /** When the gateway enqueued this eventId (within the window), or null. */
    public Instant knownEvent(String eventId) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement sel =
                        c.prepareStatement(
                                "SELECT accepted_at FROM gateway_events WHERE event_id = ?")) {
            sel.setString(1, eventId);
            try (ResultSet rs = sel.executeQuery()) {
                return rs.next() ? rs.getTimestamp(1).toInstant() : null;
            }
        }
    }

    public void deviceRegistered(String userId, String token) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ins =
                        c.prepareStatement(
                                "INSERT INTO gateway_devices (user_id, token, registered_at) VALUES"
                                        + " (?, ?, now()) ON CONFLICT (user_id, token) DO NOTHING")) {
            ins.setString(1, userId);
            ins.setString(2, token);
            ins.executeUpdate();
        }
    }

    public void devicesRemoved(String userId, List<String> tokens) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement del =
                        c.prepareStatement(
                                "DELETE FROM gateway_devices WHERE user_id = ? AND token = ?")) {
            for (String t : tokens) {
                del.setString(1, userId);
                del.setString(2, t);
                del.addBatch();
            }
            del.executeBatch();
        }
    }

    public List<String> devices(String userId) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement sel =
                        c.prepareStatement(
                                "SELECT token FROM gateway_devices WHERE user_id = ? ORDER BY"
                                        + " token")) {
            sel.setString(1, userId);
            try (ResultSet rs = sel.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** Every row of {@code deliveries} for the event, as JSON-ready maps. */
    public List<Map<String, Object>> deliveries(String eventId) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement sel =
                        c.prepareStatement(
                                "SELECT notification_id, user_id, channel, provider, platform,"
                                        + " status, reason, detail, attempts, created_at,"
                                        + " received_at, first_attempt_at, final_at, updated_at"
                                        + " FROM deliveries WHERE event_id = ? ORDER BY"
                                        + " notification_id")) {
            sel.setString(1, eventId);
            try (ResultSet rs = sel.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("notificationId", rs.getString("notification_id"));
                    m.put("userId", rs.getString("user_id"));
                    m.put("channel", rs.getString("channel"));
                    m.put("provider", rs.getString("provider"));
                    m.put("platform", rs.getString("platform"));
                    m.put("status", rs.getString("status"));
                    m.put("reason", rs.getString("reason"));
                    m.put("detail", rs.getString("detail"));
                    m.put("attempts", rs.getInt("attempts"));
                    m.put("createdAt", instant(rs, "created_at"));
                    m.put("receivedAt", instant(rs, "received_at"));
                    m.put("firstAttemptAt", instant(rs, "first_attempt_at"));
                    m.put("finalAt", instant(rs, "final_at"));
                    m.put("updatedAt", instant(rs, "updated_at"));
                    out.add(m);
                }
            }
        }
        return out;
    }

    private static String instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant().toString();
    }

    /** Deletes expired idempotency rows and remembered eventIds; returns how many. */
    public int deleteExpired() throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement a =
                        c.prepareStatement(
                                "DELETE FROM gateway_requests WHERE expires_at < now()");
                PreparedStatement b =
                        c.prepareStatement("DELETE FROM gateway_events WHERE expires_at < now()")) {
            return a.executeUpdate() + b.executeUpdate();
        }
    }

    /** True when a connection answers within {@code timeout}. */
    public boolean reachable(Duration timeout) {
        try (Connection c = ds.getConnection()) {
            return c.isValid((int) Math.max(1, timeout.toSeconds()));
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        ds.close();
    }
}
