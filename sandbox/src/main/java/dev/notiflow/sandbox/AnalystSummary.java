package dev.notiflow.sandbox;

import dev.notiflow.testkit.postgres.LocalPostgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Prints what an analyst sees in the delivery table at the end of a local run. */
final class AnalystSummary {

    private static final String BY_CHANNEL =
            "SELECT coalesce(channel, '-') AS channel, status, count(*) AS notifications,"
                    + " round(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)::numeric) AS p50_ms,"
                    + " round(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)::numeric) AS p95_ms"
                    + " FROM deliveries GROUP BY 1, 2 ORDER BY 1, 2";

    private static final long STABLE_SECONDS = 15;

    private AnalystSummary() {}

    /**
     * Waits until the table holds {@code expected} rows (or its count stayed the same for {@value
     * #STABLE_SECONDS} s, or 60 s passed), prints the summary and returns the row count.
     */
    static int print(LocalPostgres postgres, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        int rows = -1;
        long changedAt = System.nanoTime();
        while (System.nanoTime() < deadline) {
            int now = count(postgres);
            if (now != rows) {
                rows = now;
                changedAt = System.nanoTime();
            }
            if (rows >= expected
                    || System.nanoTime() - changedAt > STABLE_SECONDS * 1_000_000_000L) {
                break;
            }
            Thread.sleep(500);
        }
        LocalRun.say(
                "Delivery table: %d rows (deliveries topic: %d notifications)", rows, expected);
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(BY_CHANNEL)) {
            System.out.printf(
                    "%-8s %-10s %14s %8s %8s%n",
                    "channel", "status", "notifications", "p50 ms", "p95 ms");
            while (rs.next()) {
                System.out.printf(
                        "%-8s %-10s %14d %8s %8s%n",
                        rs.getString(1),
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getString(4),
                        rs.getString(5));
            }
        } catch (SQLException e) {
            LocalRun.say("Could not query the delivery table: %s", e.getMessage());
        }
        return rows;
    }

    private static int count(LocalPostgres postgres) {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM deliveries")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            return 0;
        }
    }
}
