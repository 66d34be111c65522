package dev.notiflow.sandbox;

import org.apache.flink.core.execution.JobClient;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.testkit.postgres.LocalPostgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The delivery tables job running beside the sending job: samples, once a second, the rows in the
 * delivery table and the records committed on the deliveries topic, which give its rows/s and lag.
 */
final class BenchmarkTables {

    private record Sample(long atMillis, long rows, long topic) {}

    private final JobClient client;
    private final LocalPostgres postgres;
    private final List<Sample> samples = new ArrayList<>();
    private volatile boolean running = true;
    private Thread sampler;
    private final long started = System.currentTimeMillis();

    BenchmarkTables(JobClient client, LocalPostgres postgres) {
        this.client = client;
        this.postgres = postgres;
    }

    void watch(BenchmarkWatcher watcher) {
        sampler =
                new Thread(
                        () -> {
                            try (Connection c = postgres.connect()) {
                                while (running) {
                                    long topic = watcher.count();
                                    long rows = rows(c);
                                    synchronized (samples) {
                                        samples.add(
                                                new Sample(
                                                        System.currentTimeMillis(), rows, topic));
                                    }
                                    Thread.sleep(1000);
                                }
                            } catch (SQLException e) {
                                Benchmark.say("delivery table sampling stopped: %s", e);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "bench-tables");
        sampler.setDaemon(true);
        sampler.start();
    }

    static long rows(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM deliveries")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Waits (up to 10 minutes) until the table holds {@code expected} rows, then stops the job. */
    ObjectNode finish(long expected) throws Exception {
        long topicDoneAt = System.currentTimeMillis();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        long rows;
        try (Connection c = postgres.connect()) {
            rows = rows(c);
            while (rows < expected && System.nanoTime() < deadline) {
                Thread.sleep(500);
                rows = rows(c);
            }
        }
        long caughtUpAt = System.currentTimeMillis();
        running = false;
        if (sampler != null) {
            sampler.join(5000);
        }
        client.cancel().get(2, TimeUnit.MINUTES);
        ObjectNode r = Benchmark.JSON.createObjectNode();
        r.put("rows", rows);
        r.put("expectedRows", expected);
        r.put("complete", rows == expected);
        long firstRowAt = -1;
        long maxLag = 0;
        ArrayNode lag = r.putArray("lagSeries");
        synchronized (samples) {
            for (Sample s : samples) {
                if (firstRowAt < 0 && s.rows() > 0) {
                    firstRowAt = s.atMillis();
                }
                long l = Math.max(0, s.topic() - s.rows());
                maxLag = Math.max(maxLag, l);
                lag.add(l);
            }
        }
        double seconds = (caughtUpAt - (firstRowAt < 0 ? started : firstRowAt)) / 1e3;
        r.put("seconds", Benchmark.round(seconds));
        r.put("rowsPerSecond", Benchmark.round(rows / Math.max(seconds, 1e-3)));
        r.put("maxLagRows", maxLag);
        r.put("catchUpAfterJobSeconds", Benchmark.round((caughtUpAt - topicDoneAt) / 1e3));
        r.put(
                "note",
                "lag = records committed on the deliveries topic minus rows in the table, sampled"
                        + " each second; rows/s from the first row to the last");
        return r;
    }
}
