package dev.notiflow.job.bench;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.util.Collector;

import dev.notiflow.job.operators.AudienceSequencer;
import dev.notiflow.job.operators.AudienceWalk;
import dev.notiflow.job.operators.AudienceWalker;
import dev.notiflow.job.operators.FanOut;
import dev.notiflow.job.operators.RecipientEvent;
import dev.notiflow.job.operators.RecipientResolver;
import dev.notiflow.model.Audience;
import dev.notiflow.model.Channel;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.model.UserUpdate;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measurement, not a test: what a walk of an audience of {@code users} (default 1M) does to
 * checkpoint duration and to the latency of one-recipient events going through the same resolver
 * meanwhile. Runs the fan-out, the walker and the resolver on a MiniCluster (RocksDB, incremental
 * checkpoints every second, parallelism 2), loads one profile and one iOS device per user, then
 * sends one audience event ({@code all}, push) among one-recipient push events, ten per second.
 *
 * <pre>
 * mvn -B -o -q -pl job -am verify -DskipITs -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest=AudienceWalkBenchmark -Dnotiflow.bench.users=1000000
 * </pre>
 *
 * Prints the figures; run only on request (it is not named like a test, so surefire skips it unless
 * {@code -Dtest} names it).
 */
class AudienceWalkBenchmark {

    /** Between the end of the load and the audience event: the baseline. */
    static final long QUIET_MS = 15_000;

    static final AtomicLong UPDATES_OUT = new AtomicLong();
    static final AtomicLong WALKED = new AtomicLong();
    static volatile long audienceAt;
    static volatile long firstWalked;
    static volatile long lastWalked;
    static volatile boolean done;
    static final ConcurrentLinkedQueue<long[]> PROBES = new ConcurrentLinkedQueue<>();

    @org.junit.jupiter.api.Test
    void measure() throws Exception {
        int users = Integer.getInteger("notiflow.bench.users", 1_000_000);
        int chunk = Integer.getInteger("notiflow.bench.chunk", 2000);
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "rocksdb");
        conf.setString("execution.checkpointing.incremental", "true");
        conf.setString("execution.checkpointing.interval", "1 s");
        conf.setString(
                "execution.checkpointing.dir",
                Files.createTempDirectory("walk-bench").toUri().toString());
        conf.setString("execution.checkpointing.storage", "filesystem");
        conf.setString("web.checkpoints.history", "1000");
        conf.setString("pipeline.generic-types", "false");
        conf.setString("taskmanager.memory.managed.size", "512m");
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(2)
                                .build());
        cluster.start();
        try {
            TestStreamEnvironment.setAsContext(cluster, 2);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(2);
            define(env, users, chunk);
            JobClient job = env.executeAsync("audience-walk-benchmark");
            CheckpointStatsSnapshot stats = null;
            while (!job.getJobStatus().get().isGloballyTerminalState()) {
                try {
                    stats =
                            cluster.getExecutionGraph(job.getJobID())
                                    .get()
                                    .getCheckpointStatsSnapshot();
                } catch (Exception e) {
                    // finished meanwhile
                }
                Thread.sleep(1000);
            }
            report(users, chunk, stats);
        } finally {
            TestStreamEnvironment.unsetAsContext();
            cluster.close();
        }
    }

    private static void define(StreamExecutionEnvironment env, int users, int chunk) {
        Instant t = Instant.parse("2026-11-01T00:00:00Z");
        DataStream<UserUpdate> updates =
                env.fromSequence(0, 2L * users - 1)
                        .map(
                                i -> {
                                    String u = "u" + (i / 2);
                                    UPDATES_OUT.incrementAndGet();
                                    return i % 2 == 0
                                            ? UserUpdate.preferences(
                                                    new UserPreferences(
                                                            u, null, null, "en-US", "UTC", null,
                                                            null, null, t))
                                            : UserUpdate.device(
                                                    new DeviceToken(
                                                            u,
                                                            "tok-" + u,
                                                            Platform.IOS,
                                                            "app",
                                                            true,
                                                            t));
                                })
                        .returns(UserUpdate.class);

        DataStream<NotificationEvent> events =
                // Chained to its source (parallelism 1): the pacing sleep holds the source, so no
                // backlog builds up in front of it and barriers are not held behind one.
                env.fromSequence(0, 100_000)
                        .setParallelism(1)
                        .flatMap(
                                (Long i, Collector<NotificationEvent> out) -> {
                                    if (done) {
                                        return;
                                    }
                                    Thread.sleep(100);
                                    long now = System.currentTimeMillis();
                                    boolean loaded = UPDATES_OUT.get() >= 2L * users;
                                    if (loaded && audienceAt == 0) {
                                        audienceAt = now + QUIET_MS; // drain, then a quiet baseline
                                    }
                                    if (audienceAt != 0
                                            && now >= audienceAt
                                            && WALKED.get() == 0
                                            && firstWalked == 0) {
                                        firstWalked = -1;
                                        out.collect(
                                                event("sale", List.of(), Audience.everyone(), now));
                                        return;
                                    }
                                    String u = "u" + (i * 7919 % users);
                                    out.collect(event("probe-" + i, List.of(u), null, now));
                                })
                        .returns(NotificationEvent.class)
                        .setParallelism(1);

        SingleOutputStreamOperator<RecipientEvent> fannedOut = events.process(new FanOut());
        DataStream<AudienceWalk> audiences =
                fannedOut
                        .getSideOutput(FanOut.AUDIENCES)
                        .process(new AudienceSequencer())
                        .setParallelism(1);
        DataStream<RecipientEvent> walked =
                updates.keyBy(UserUpdate::userId)
                        .connect(audiences.broadcast())
                        .transform(
                                "Walk audiences",
                                TypeInformation.of(RecipientEvent.class),
                                new AudienceWalker(chunk, Duration.ZERO, Duration.ofDays(270)));
        fannedOut
                .union(walked)
                .keyBy(RecipientEvent::userId)
                .connect(updates.keyBy(UserUpdate::userId))
                .process(
                        new RecipientResolver(
                                Duration.ofSeconds(30), Duration.ofDays(270), Map.of()))
                .map(
                        (SendRequest r) -> {
                            long now = System.currentTimeMillis();
                            if (r.eventId().equals("sale")) {
                                if (WALKED.incrementAndGet() == 1) {
                                    firstWalked = now;
                                }
                                lastWalked = now;
                                if (WALKED.get() == users) {
                                    // ten more seconds of probes after the walk
                                    new Thread(
                                                    () -> {
                                                        try {
                                                            Thread.sleep(10_000);
                                                        } catch (InterruptedException e) {
                                                            return;
                                                        }
                                                        done = true;
                                                    })
                                            .start();
                                }
                            } else {
                                PROBES.add(new long[] {now, now - r.createdAt().toEpochMilli()});
                            }
                            return 0;
                        })
                .returns(Integer.class)
                .addSink(new DiscardingSink<>());
    }

    private static NotificationEvent event(
            String id, List<String> userIds, Audience audience, long now) {
        return new NotificationEvent(
                id,
                "sale.flash",
                "sale",
                userIds,
                "sale",
                Map.of(),
                List.of(Channel.PUSH),
                Priority.NORMAL,
                null,
                Instant.ofEpochMilli(now),
                Instant.ofEpochMilli(now),
                "bench",
                audience);
    }

    private static void report(int users, int chunk, CheckpointStatsSnapshot stats) {
        long start = firstWalked;
        long end = lastWalked;
        System.out.printf(
                "audience walk: %d users, chunk %d: %d recipient requests in %.1f s (%.0f/s)%n",
                users,
                chunk,
                WALKED.get(),
                (end - start) / 1000.0,
                WALKED.get() * 1000.0 / Math.max(1, end - start));
        List<Long> before = new ArrayList<>();
        List<Long> during = new ArrayList<>();
        List<Long> after = new ArrayList<>();
        long quiet = audienceAt - QUIET_MS / 2; // the second half of the quiet time
        for (long[] p : PROBES) {
            if (p[0] >= quiet) {
                (p[0] < start ? before : p[0] <= end ? during : after).add(p[1]);
            }
        }
        System.out.println(
                "one-recipient latency (ms), before (load done, no walk) / during / after the walk:");
        System.out.println("  before " + percentiles(before));
        System.out.println("  during " + percentiles(during));
        System.out.println("  after  " + percentiles(after));
        List<Long> cpBefore = new ArrayList<>();
        List<Long> cpDuring = new ArrayList<>();
        List<Long> sizeDuring = new ArrayList<>();
        if (stats != null) {
            for (AbstractCheckpointStats c : stats.getHistory().getCheckpoints()) {
                if (c.getStatus() != CheckpointStatsStatus.COMPLETED) {
                    continue;
                }
                long at = c.getTriggerTimestamp();
                if (at >= start && at <= end) {
                    cpDuring.add(c.getEndToEndDuration());
                    sizeDuring.add(c.getCheckpointedSize() / 1024);
                } else if (at < start && at >= quiet) {
                    cpBefore.add(c.getEndToEndDuration());
                }
            }
        }
        System.out.println(
                "checkpoint duration (ms), before the walk (load done): " + percentiles(cpBefore));
        System.out.println("checkpoint duration (ms), during the walk: " + percentiles(cpDuring));
        System.out.println(
                "checkpointed size (KiB) per checkpoint during the walk: "
                        + percentiles(sizeDuring));
    }

    private static String percentiles(List<Long> values) {
        if (values.isEmpty()) {
            return "n=0";
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return String.format(
                "n=%d p50=%d p95=%d p99=%d max=%d",
                sorted.size(),
                sorted.get(sorted.size() / 2),
                sorted.get((int) (sorted.size() * 0.95)),
                sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))),
                sorted.get(sorted.size() - 1));
    }
}
