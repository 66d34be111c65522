package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.tools.attach.VirtualMachine;
import dev.notiflow.live.LiveRegistryKeys;
import dev.notiflow.live.LiveTokens;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sandbox.BenchmarkLiveClients.Client;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.live.LiveSenderFactory;
import dev.notiflow.sinks.live.LiveSettings;
import dev.notiflow.testkit.redis.LocalRedis;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code scripts/bench.sh --scenario live}: one push server ({@code PushServerMain}, in a JVM of
 * its own, with a private Redis) holding {@code --connections} WebSocket and SSE clients on
 * loopback, each with its own user and token. A benchmark, never a test. It reports:
 *
 * <ul>
 *   <li>memory per connection of the server's JVM: heap used after a full GC, RSS and the direct
 *       buffers (Netty's pool), each after a warm-up and again with every client connected, read
 *       over JMX (the attach API) and {@code /proc}; the client JVM's cost beside it;
 *   <li>one message to every client through the job's own {@code LiveSender} (registry lookup, then
 *       {@code POST /internal/v1/deliver}) at {@code --concurrency} sends in flight, each acked by
 *       its client: latency from the send to the client's receipt and to the answer, the rate, and
 *       every client's count (missing and duplicate messages);
 *   <li>the reconnects after a simulated deploy: the server drains (SIGTERM: a {@code goaway} to
 *       every client at once) and the clients reconnect at once to its successor, started beside it
 *       with a short {@code live.max-connection-lifetime} ({@code --lifetime}) less a random part
 *       of {@code live.lifetime-dither} ({@code --dither}); when those lifetimes end the clients
 *       get goaways and reconnect again. Per second for both waves: the goaways as the servers
 *       counted them and the reconnects as the clients saw them; without dither the second wave
 *       would repeat the first one lifetime later.
 * </ul>
 *
 * <pre>
 * scripts/bench.sh --scenario live [--connections N] [--sse-share F] [--lifetime S]
 *                  [--dither S] [--concurrency C] [--warm-up N] [--server-heap H] [--out DIR]
 * </pre>
 *
 * Exits non-zero when a client did not connect, the registry lacks a connection, a message is
 * missing or a client did not reconnect.
 */
public final class BenchmarkLive {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PORT = Pattern.compile("ws://[^:/]+:(\\d+)/v1/live/ws");
    private static final int CONNECTS_IN_FLIGHT = 256;

    private BenchmarkLive() {}

    public static void main(String[] args) throws Exception {
        JsonNode report = run(args);
        if (!report.path("ok").asBoolean()) {
            System.err.println("[bench live] FAILED: " + report.path("problems"));
            System.exit(1);
        }
        System.exit(0);
    }

    /** Runs the scenario and writes the report; returns it. */
    static ObjectNode run(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("connections", "10000");
        defaults.put("sse-share", "0.1");
        defaults.put("lifetime", "60");
        defaults.put("dither", "20");
        defaults.put("concurrency", "64");
        defaults.put("warm-up", "200");
        defaults.put("server-heap", "1g");
        Map<String, String> opts = ScenarioOptions.parse("live", defaults, args);
        int n = Integer.parseInt(opts.get("connections"));
        double sseShare = Double.parseDouble(opts.get("sse-share"));
        int lifetime = Integer.parseInt(opts.get("lifetime"));
        int dither = Integer.parseInt(opts.get("dither"));
        int concurrency = Integer.parseInt(opts.get("concurrency"));
        int warmUp = Integer.parseInt(opts.get("warm-up"));
        if (n < 1 || sseShare < 0 || sseShare > 1 || dither < 0 || dither >= lifetime) {
            throw new IllegalArgumentException(
                    "need --connections >= 1, 0 <= --sse-share <= 1, 0 <= --dither < --lifetime");
        }
        Path out = Path.of(opts.get("out")).toAbsolutePath();
        Files.createDirectories(out);

        ObjectNode report = JSON.createObjectNode();
        report.put("scenario", "live");
        report.put("startedAt", Instant.now().toString());
        report.put("connections", n);
        report.put("sseShare", sseShare);
        report.put("lifetimeSeconds", lifetime);
        report.put("ditherSeconds", dither);
        report.put("concurrency", concurrency);
        report.put("warmUpConnections", warmUp);
        report.put("serverHeap", opts.get("server-heap"));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("loadAverageAtStart", loadAverage());
        ArrayNode problems = JSON.createArrayNode();

        byte[] secret = secret();
        Path secretFile = Files.createTempFile("notiflow-bench-live-", ".secret");
        secretFile.toFile().deleteOnExit();
        Files.write(secretFile, secret);
        LiveTokens tokens = new LiveTokens(secret);
        String heap = opts.get("server-heap");
        try (LocalRedis redis = LocalRedis.start();
                // The measured server: the shipped lifetime (1800 s), so no goaway interferes;
                // and the deploy's successor, with the short lifetime and dither under test,
                // started beside it.
                Servers servers =
                        Servers.start(
                                () -> server(redis, secretFile, OLD, List.of(), heap, out),
                                () ->
                                        server(
                                                redis,
                                                secretFile,
                                                NEW,
                                                List.of(
                                                        "--live.max-connection-lifetime",
                                                        lifetime + " s",
                                                        "--live.lifetime-dither",
                                                        dither + " s"),
                                                heap,
                                                out));
                RedisClient redisClient = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> redisConn = redisClient.connect();
                BenchmarkLiveClients clients =
                        new BenchmarkLiveClients(
                                "127.0.0.1",
                                publicPort(servers.old.readyLine()),
                                Runtime.getRuntime().availableProcessors());
                ChannelSender sender =
                        new LiveSenderFactory(
                                        new LiveSettings(
                                                redis.uriWithoutPassword(),
                                                redis.passwordFile().toString(),
                                                null,
                                                null,
                                                Duration.ofSeconds(10),
                                                Duration.ofSeconds(5),
                                                Duration.ofSeconds(5)))
                                .create()) {
            BenchmarkChild server = servers.old;
            BenchmarkChild successor = servers.successor;
            int port = publicPort(server.readyLine());
            int newPort = publicPort(successor.readyLine());
            say(
                    "push server pid %d on port %d (its successor on %d); %d connections to come",
                    server.pid(), port, newPort, n);

            // Warm-up: the server's code compiled and its buffer pools grown, so that the figures
            // after it are what connections cost, not the JVM's first steps.
            if (warmUp > 0) {
                List<Client> warm = clients(tokens, "warm", Math.min(warmUp, n), sseShare);
                connectAll(clients, warm);
                push(sender, warm, "warm", concurrency);
                clients.closeAll(warm);
                awaitOpen(port, 0, Duration.ofSeconds(30));
                say("warm-up: %d connections and messages", warm.size());
            }
            List<Client> list = clients(tokens, "u", n, sseShare);
            ObjectNode memory = report.putObject("memory");
            ServerJvm jvm = ServerJvm.attach(server.pid());
            ObjectNode serverBefore = jvm.sample();
            ObjectNode clientBefore = clientSample();

            long start = System.nanoTime();
            int failed = connectAll(clients, list);
            long connected = list.stream().filter(c -> c.connections.get() > 0).count();
            double connectSeconds = seconds(start, max(list, c -> c.connectedAt.get(0)));
            int[] wave = perSecond(list, c -> c.connectedAt.get(0), start);
            ObjectNode connect = report.putObject("connect");
            connect.put("connected", connected);
            connect.put("failed", failed);
            connect.put("websocket", list.stream().filter(c -> !c.sse).count());
            connect.put("sse", list.stream().filter(c -> c.sse).count());
            connect.put("seconds", round(connectSeconds));
            connect.put("perSecond", round(connected / Math.max(connectSeconds, 1e-3)));
            connect.put("peakPerSecond", Arrays.stream(wave).max().orElse(0));
            connect.set("perSecondSeries", array(wave));
            say("%d of %d connected in %.1f s (%d failed)", connected, n, connectSeconds, failed);
            if (connected != n) {
                problems.add((n - connected) + " clients did not connect");
            }
            report.set("registry", registryCheck(port, redisConn.async(), list, OLD, problems));

            ObjectNode serverWith = jvm.sample();
            jvm.close();
            ObjectNode clientWith = clientSample();
            memory.set("server", memory(serverBefore, serverWith, n));
            memory.set("client", memory(clientBefore, clientWith, n));
            say(
                    "server per connection: heap %d B, RSS %d B, direct %d B",
                    memory.at("/server/perConnection/heapBytes").asLong(),
                    memory.at("/server/perConnection/rssBytes").asLong(),
                    memory.at("/server/perConnection/directBytes").asLong());

            // One message to every client, as the job's live sender sends it.
            long pushStart = System.nanoTime();
            Map<Integer, SendResult> results = push(sender, list, "bench", concurrency);
            long pushEnd = System.nanoTime();
            Thread.sleep(500); // a duplicate would arrive within it
            report.set("push", pushReport(list, results, pushStart, pushEnd));
            ((ObjectNode) report.get("push")).put("failedSseAcks", clients.failedAcks());
            say("push: %s", summary(report.get("push")));
            if (report.at("/push/missing").asLong() > 0) {
                problems.add(report.at("/push/missing").asLong() + " clients missed the message");
            }
            if (report.at("/push/duplicates").asLong() > 0) {
                problems.add(report.at("/push/duplicates").asLong() + " duplicate messages");
            }

            // The deploy: the server drains (a goaway to every client at once), the clients
            // reconnect at once to its successor, whose lifetimes then end with dither.
            clients.target(newPort);
            long deploy = System.nanoTime();
            // The servers' own goaway counters, sampled: when they sent them, whatever the
            // clients' side (one JVM, loaded) takes to read them and reconnect.
            GoawaySampler sampler = new GoawaySampler(deploy, port, newPort);
            server.terminate();
            awaitConnections(list, 2, deploy + TimeUnit.MINUTES.toNanos(2));
            long herdEnd = max(list, c -> c.connectedAt.get(1));
            report.set(
                    "registryAfterDeploy",
                    registryCheck(newPort, redisConn.async(), list, NEW, problems));
            awaitConnections(
                    list,
                    3,
                    herdEnd + TimeUnit.SECONDS.toNanos(lifetime) + TimeUnit.SECONDS.toNanos(25));
            clients.stopReconnecting();
            sampler.close();
            report.set("reconnect", reconnects(list, deploy, lifetime, dither));
            ((ObjectNode) report.at("/reconnect/drain")).set("serverGoaways", sampler.series(0));
            ((ObjectNode) report.at("/reconnect/lifetime")).set("serverGoaways", sampler.series(1));
            csv(list, deploy, out.resolve("clients.csv"));
            say("reconnects: %s", summary(report.get("reconnect")));
            for (String wavePath : List.of("/reconnect/drain", "/reconnect/lifetime")) {
                long back = report.at(wavePath + "/reconnects").asLong();
                if (back != n) {
                    problems.add(
                            (n - back)
                                    + " clients did not reconnect after their goaway ("
                                    + wavePath.substring(11)
                                    + ")");
                }
            }
            Map<String, Long> m = metrics(newPort);
            ObjectNode sm = report.putObject("successorMetrics");
            m.forEach(sm::put);
            clients.closeAll(list);
            awaitOpen(newPort, 0, Duration.ofSeconds(20));
        }
        report.put("loadAverageAtEnd", loadAverage());
        report.set("problems", problems);
        report.put("ok", problems.isEmpty());
        Files.deleteIfExists(secretFile);
        write(report, out);
        return report;
    }

    /** The two push servers, started side by side and stopped together. */
    private static final class Servers implements AutoCloseable {
        interface Start {
            BenchmarkChild start() throws Exception;
        }

        final BenchmarkChild old;
        final BenchmarkChild successor;

        private Servers(BenchmarkChild old, BenchmarkChild successor) {
            this.old = old;
            this.successor = successor;
        }

        static Servers start(Start old, Start successor) throws Exception {
            CompletableFuture<BenchmarkChild> next =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return successor.start();
                                } catch (Exception e) {
                                    throw new java.util.concurrent.CompletionException(e);
                                }
                            });
            BenchmarkChild first;
            try {
                first = old.start();
            } catch (Exception e) {
                next.thenAccept(BenchmarkChild::close);
                throw e;
            }
            try {
                return new Servers(first, next.join());
            } catch (RuntimeException e) {
                first.close();
                throw e;
            }
        }

        @Override
        public void close() {
            old.terminate();
            successor.terminate();
            old.close();
            successor.close();
        }
    }

    /** Samples the goaway counters of two servers every 200 ms. */
    private static final class GoawaySampler implements AutoCloseable {
        private final long origin;
        private final int[] ports;
        private final List<List<long[]>> samples = new ArrayList<>();
        private final java.util.concurrent.ScheduledExecutorService timer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "bench-live-goaways");
                            t.setDaemon(true);
                            return t;
                        });

        GoawaySampler(long origin, int... ports) {
            this.origin = origin;
            this.ports = ports;
            for (int i = 0; i < ports.length; i++) {
                samples.add(java.util.Collections.synchronizedList(new ArrayList<>()));
            }
            timer.scheduleAtFixedRate(this::sample, 0, 200, TimeUnit.MILLISECONDS);
        }

        private void sample() {
            for (int i = 0; i < ports.length; i++) {
                Long g = metrics(ports[i]).get("notiflow_live_goaways_total");
                if (g != null) {
                    samples.get(i).add(new long[] {System.nanoTime() - origin, g});
                }
            }
        }

        /** Goaways sent per second since the origin, from the counter's samples. */
        ObjectNode series(int server) {
            List<long[]> s;
            synchronized (samples.get(server)) {
                s = new ArrayList<>(samples.get(server));
            }
            ObjectNode node = JSON.createObjectNode();
            if (s.isEmpty()) {
                return node;
            }
            long base = s.get(0)[1];
            int seconds = (int) (s.get(s.size() - 1)[0] / 1_000_000_000L) + 1;
            int[] perSecond = new int[seconds];
            long previous = base;
            int k = 0;
            for (int sec = 0; sec < seconds; sec++) {
                long end = (sec + 1) * 1_000_000_000L;
                long value = previous;
                while (k < s.size() && s.get(k)[0] < end) {
                    value = s.get(k++)[1];
                }
                perSecond[sec] = (int) (value - previous);
                previous = value;
            }
            int last = perSecond.length - 1;
            while (last > 0 && perSecond[last] == 0) {
                last--;
            }
            int[] trimmed = Arrays.copyOf(perSecond, last + 1);
            int first = firstNonZero(trimmed);
            node.put("total", previous - base);
            node.put("peakPerSecond", Arrays.stream(trimmed).max().orElse(0));
            node.put("firstSecond", first);
            node.put("windowSeconds", first < 0 ? 0 : trimmed.length - first);
            node.set("perSecondSeries", array(trimmed));
            return node;
        }

        /** Stops sampling after a last sample, which sees every goaway sent until now. */
        @Override
        public void close() throws InterruptedException {
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
            sample();
        }
    }

    /** Every client's times in ms since the deploy (negative: before it; empty: never). */
    private static void csv(List<Client> list, long deploy, Path file) throws java.io.IOException {
        StringBuilder sb =
                new StringBuilder(
                        "client,transport,connected,received,goaway1,reconnected1,goaway2,"
                                + "reconnected2\n");
        for (Client c : list) {
            sb.append(c.index).append(',').append(c.sse ? "sse" : "ws");
            long[] times = {
                c.connectedAt.get(0),
                c.receivedNanos,
                c.goawayAt.get(0),
                c.connectedAt.get(1),
                c.goawayAt.get(1),
                c.connectedAt.get(2)
            };
            for (long t : times) {
                sb.append(',');
                if (t != 0) {
                    sb.append((t - deploy) / 1_000_000);
                }
            }
            sb.append('\n');
        }
        Files.writeString(file, sb);
    }

    private static final String OLD = "bench-live-1";
    private static final String NEW = "bench-live-2";

    /** A push server in its own JVM, on free loopback ports, with a private Redis. */
    private static BenchmarkChild server(
            LocalRedis redis,
            Path secretFile,
            String instance,
            List<String> extra,
            String heap,
            Path out)
            throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--live.host", "127.0.0.1",
                                "--live.port", "0",
                                "--live.internal-host", "127.0.0.1",
                                "--live.internal-port", "0",
                                "--live.advertised-url", "http://127.0.0.1:0",
                                "--live.instance-id", instance,
                                "--live.secret-file", secretFile.toString(),
                                "--live.redis-uri", redis.uriWithoutPassword(),
                                "--live.redis-password-file", redis.passwordFile().toString(),
                                "--live.drain-timeout", "60 s"));
        args.addAll(extra);
        return BenchmarkChild.start(
                instance,
                "dev.notiflow.push.PushServerMain",
                args,
                "",
                heap,
                out.resolve(instance + ".log"),
                "Live endpoints: ",
                Duration.ofMinutes(1));
    }

    /** Waits until every client opened at least {@code count} connections, or the deadline. */
    private static void awaitConnections(List<Client> list, int count, long deadline)
            throws InterruptedException {
        while (list.stream().anyMatch(c -> c.connections.get() < count)
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    /** The server's open count and the registry's members of {@code instance} for every user. */
    private static ObjectNode registryCheck(
            int port,
            RedisAsyncCommands<String, String> redis,
            List<Client> list,
            String instance,
            ArrayNode problems)
            throws Exception {
        int n = list.size();
        ObjectNode registry = JSON.createObjectNode();
        long open = awaitOpen(port, n, Duration.ofSeconds(30));
        long[] held = awaitRegistry(redis, list, instance, Duration.ofSeconds(30));
        registry.put("instance", instance);
        registry.put("serverOpenConnections", open);
        registry.put("usersWithAConnection", held[0]);
        registry.put("members", held[1]);
        say(
                "registry of %s: %d users with a connection, %d members; server open %d",
                instance, held[0], held[1], open);
        if (held[0] != n || held[1] != n || open != n) {
            problems.add(
                    "the registry holds "
                            + held[1]
                            + " connections of "
                            + held[0]
                            + " users on "
                            + instance
                            + " and the server counts "
                            + open
                            + ", expected "
                            + n);
        }
        return registry;
    }

    /** A report node without its long series, for the log. */
    private static String summary(JsonNode node) {
        ObjectNode copy = node.deepCopy();
        copy.findParents("percentiles").forEach(p -> ((ObjectNode) p).remove("percentiles"));
        copy.findParents("perSecondSeries")
                .forEach(p -> ((ObjectNode) p).remove("perSecondSeries"));
        return copy.toString();
    }

    // ---- figures ---------------------------------------------------------------------------

    private static ObjectNode memory(ObjectNode before, ObjectNode with, int n) {
        ObjectNode m = JSON.createObjectNode();
        m.set("beforeConnections", before);
        m.set("withConnections", with);
        ObjectNode per = m.putObject("perConnection");
        Map<String, String> fields =
                Map.of(
                        "heapBytes",
                        "heapUsedBytes",
                        "rssBytes",
                        "rssBytes",
                        "directBytes",
                        "directBytes");
        fields.forEach(
                (to, from) ->
                        per.put(
                                to,
                                Math.round(
                                        (with.path(from).asDouble() - before.path(from).asDouble())
                                                / n)));
        per.put(
                "heapPlusDirectBytes",
                per.path("heapBytes").asLong() + per.path("directBytes").asLong());
        return m;
    }

    private static ObjectNode pushReport(
            List<Client> list, Map<Integer, SendResult> results, long start, long end) {
        ObjectNode p = JSON.createObjectNode();
        Map<String, Long> statuses = new TreeMap<>();
        List<Long> toClient = new ArrayList<>();
        List<Long> toAnswer = new ArrayList<>();
        long received = 0;
        long missing = 0;
        long duplicates = 0;
        long unexpected = 0;
        for (Client c : list) {
            SendResult r = results.get(c.index);
            String status =
                    r == null
                            ? "NO_ANSWER"
                            : r.status() + (r.reason() == null ? "" : " " + r.reason());
            statuses.merge(status, 1L, Long::sum);
            int got = c.notifications.get();
            if (got == 0) {
                missing++;
            } else {
                received++;
                duplicates += got - 1;
                toClient.add(c.receivedNanos - c.sentNanos);
            }
            unexpected += c.unexpected.get();
            if (r != null && r.status() == SendStatus.ACCEPTED) {
                toAnswer.add(c.answeredNanos - c.sentNanos);
            }
        }
        double seconds = (end - start) / 1e9;
        p.put("sent", list.size());
        p.put("received", received);
        p.put("missing", missing);
        p.put("duplicates", duplicates);
        p.put("unexpected", unexpected);
        ObjectNode st = p.putObject("statuses");
        statuses.forEach(st::put);
        p.put("seconds", round(seconds));
        p.put("perSecond", round(list.size() / Math.max(seconds, 1e-3)));
        p.set("sendToClientMs", latency(toClient));
        p.set("sendToAckAnswerMs", latency(toAnswer));
        return p;
    }

    /** Nearest-rank percentiles in milliseconds, and the 1st..100th for the chart. */
    static ObjectNode latency(List<Long> nanos) {
        long[] v = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        ObjectNode node = JSON.createObjectNode();
        node.put("count", v.length);
        if (v.length > 0) {
            node.put("p50", ms(rank(v, 0.50)));
            node.put("p95", ms(rank(v, 0.95)));
            node.put("p99", ms(rank(v, 0.99)));
            node.put("max", ms(v[v.length - 1]));
            ArrayNode all = node.putArray("percentiles");
            for (int q = 1; q <= 100; q++) {
                all.add(ms(rank(v, q / 100.0)));
            }
        }
        return node;
    }

    private static long rank(long[] sorted, double q) {
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    /**
     * The two reconnect waves after the deploy: the drain's (every client told at once; what a
     * lifetime without dither would repeat one lifetime later) and the successor's lifetimes'.
     */
    private static ObjectNode reconnects(List<Client> list, long deploy, int lifetime, int dither) {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode drain = wave(list, 0, 1, deploy);
        ObjectNode life = wave(list, 1, 2, deploy);
        r.set("drain", drain);
        r.set("lifetime", life);
        r.put(
                "expectedPeakPerSecondWithDither",
                dither == 0 ? 0 : round((double) list.size() / dither));
        return r;
    }

    /** Goaway {@code goaway} and the connection {@code connection} after it, per second. */
    private static ObjectNode wave(List<Client> list, int goaway, int connection, long origin) {
        ObjectNode w = JSON.createObjectNode();
        List<Client> told = list.stream().filter(c -> c.goawayAt.get(goaway) != 0).toList();
        List<Client> back =
                told.stream()
                        .filter(c -> c.connectedAt.get(connection) > c.goawayAt.get(goaway))
                        .toList();
        int[] series = perSecond(back, c -> c.connectedAt.get(connection), origin);
        w.put("goaways", told.size());
        w.put("reconnects", back.size());
        w.put("peakPerSecond", Arrays.stream(series).max().orElse(0));
        int first = firstNonZero(series);
        w.put("firstSecond", first);
        w.put("lastSecond", series.length - 1);
        w.put("windowSeconds", first < 0 ? 0 : series.length - first);
        long[] at =
                back.stream()
                        .mapToLong(c -> c.connectedAt.get(connection) - origin)
                        .sorted()
                        .toArray();
        if (at.length > 0) {
            // 90% of them: from the 5th to the 95th percentile of the reconnect times
            w.put("middle90PercentSeconds", round((rank(at, 0.95) - rank(at, 0.05)) / 1e9));
            w.set(
                    "goawayToReconnectMs",
                    latency(
                            back.stream()
                                    .map(
                                            c ->
                                                    c.connectedAt.get(connection)
                                                            - c.goawayAt.get(goaway))
                                    .toList()));
        }
        w.set("perSecondSeries", array(series));
        return w;
    }

    private static int firstNonZero(int[] series) {
        for (int i = 0; i < series.length; i++) {
            if (series[i] > 0) {
                return i;
            }
        }
        return -1;
    }

    /** Counts per whole second since {@code origin} of the clients' non-zero times. */
    private static int[] perSecond(
            List<Client> list, java.util.function.ToLongFunction<Client> time, long origin) {
        int last = -1;
        for (Client c : list) {
            long t = time.applyAsLong(c);
            if (t != 0) {
                last = Math.max(last, (int) ((t - origin) / 1_000_000_000L));
            }
        }
        int[] series = new int[last + 1];
        for (Client c : list) {
            long t = time.applyAsLong(c);
            if (t != 0) {
                series[(int) ((t - origin) / 1_000_000_000L)]++;
            }
        }
        return series;
    }

    private static long max(List<Client> list, java.util.function.ToLongFunction<Client> f) {
        return list.stream().mapToLong(f).max().orElse(0);
    }

    private static double seconds(long from, long to) {
        return to <= from ? 0 : (to - from) / 1e9;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static ArrayNode array(int[] values) {
        ArrayNode a = JSON.createArrayNode();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }

    /** Polls until every client's user has exactly its connection in the registry. */
    private static long[] awaitRegistry(
            RedisAsyncCommands<String, String> redis,
            List<Client> list,
            String instance,
            Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long[] held;
        do {
            held = registry(redis, list, instance);
            if (held[0] == list.size() && held[1] == list.size()) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return held;
    }

    /** Users with at least one live member of this server, and the members in all. */
    private static long[] registry(
            RedisAsyncCommands<String, String> redis, List<Client> list, String instance)
            throws Exception {
        long now = System.currentTimeMillis();
        List<RedisFuture<List<String>>> answers = new ArrayList<>(list.size());
        for (Client c : list) {
            answers.add(
                    redis.zrangebyscore(
                            LiveRegistryKeys.connections(c.userId),
                            Range.from(
                                    Range.Boundary.excluding((double) now),
                                    Range.Boundary.unbounded())));
        }
        long users = 0;
        long members = 0;
        Predicate<String> ours = m -> instance.equals(LiveRegistryKeys.instanceOf(m));
        for (RedisFuture<List<String>> a : answers) {
            long mine = a.get(30, TimeUnit.SECONDS).stream().filter(ours).count();
            members += mine;
            users += mine > 0 ? 1 : 0;
        }
        return new long[] {users, members};
    }

    // ---- report ----------------------------------------------------------------------------

    private static void write(ObjectNode report, Path out) throws java.io.IOException {
        Files.writeString(
                out.resolve("report.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        String md = markdown(report);
        Files.writeString(out.resolve("report.md"), md);
        latencyChart(report, out.resolve("latency.png"));
        reconnectChart(report, out.resolve("reconnects.png"));
        System.out.println();
        System.out.println(md);
        say("Wrote %s", out.resolve("report.json"));
    }

    static String markdown(JsonNode r) {
        StringBuilder md = new StringBuilder();
        md.append("# Live channel benchmark\n\n");
        md.append(
                String.format(
                        Locale.ROOT,
                        "%d connections (%d WebSocket, %d SSE) to one push server, lifetime %d s"
                                + " less up to %d s of dither, %d sends in flight; %d cores, load"
                                + " average %.1f at the start and %.1f at the end.\n\n",
                        r.path("connections").asInt(),
                        r.at("/connect/websocket").asInt(),
                        r.at("/connect/sse").asInt(),
                        r.path("lifetimeSeconds").asInt(),
                        r.path("ditherSeconds").asInt(),
                        r.path("concurrency").asInt(),
                        r.path("cores").asInt(),
                        r.path("loadAverageAtStart").asDouble(),
                        r.path("loadAverageAtEnd").asDouble()));
        if (r.path("ok").asBoolean()) {
            md.append(
                    "All checks passed (every client connected, registered, got the message once"
                            + " and reconnected after its goaway).\n\n");
        } else {
            md.append("**FAILED**: ").append(r.path("problems")).append("\n\n");
        }
        md.append("| connect | |\n|---|---|\n");
        row(md, "connected / failed", r.at("/connect/connected") + " / " + r.at("/connect/failed"));
        row(
                md,
                "connect wave",
                r.at("/connect/seconds") + " s, peak " + r.at("/connect/peakPerSecond") + "/s");
        row(
                md,
                "registry: users / members / server's open count",
                r.at("/registry/usersWithAConnection")
                        + " / "
                        + r.at("/registry/members")
                        + " / "
                        + r.at("/registry/serverOpenConnections"));
        md.append("\n| memory per connection | heap (after full GC) | RSS | direct buffers |\n");
        md.append("|---|---|---|---|\n");
        for (String side : List.of("server", "client")) {
            JsonNode per = r.at("/memory/" + side + "/perConnection");
            md.append("| ")
                    .append(side)
                    .append(" JVM | ")
                    .append(kb(per.path("heapBytes").asLong()))
                    .append(" | ")
                    .append(kb(per.path("rssBytes").asLong()))
                    .append(" | ")
                    .append(kb(per.path("directBytes").asLong()))
                    .append(" |\n");
        }
        JsonNode p = r.path("push");
        md.append("\n| push to every client | |\n|---|---|\n");
        row(
                md,
                "sent / received / missing / duplicates",
                p.path("sent")
                        + " / "
                        + p.path("received")
                        + " / "
                        + p.path("missing")
                        + " / "
                        + p.path("duplicates"));
        row(md, "answers", p.path("statuses").toString());
        row(md, "rate", p.path("perSecond") + " messages/s over " + p.path("seconds") + " s");
        row(md, "send → client p50 / p95 / p99 / max ms", percentiles(p.path("sendToClientMs")));
        row(
                md,
                "send → ack answered p50 / p95 / p99 / max ms",
                percentiles(p.path("sendToAckAnswerMs")));
        JsonNode rc = r.path("reconnect");
        md.append(
                "\n| reconnects after the deploy (seconds since it) | the drain: every client at"
                        + " once | the successor's lifetimes, with dither |\n");
        md.append("|---|---|---|\n");
        for (String[] f :
                new String[][] {
                    {"goaways / reconnects", "goaways", "reconnects"},
                    {"peak per second", "peakPerSecond", null},
                    {"window (s)", "windowSeconds", null},
                    {"90% of them within (s)", "middle90PercentSeconds", null},
                    {"first / last second", "firstSecond", "lastSecond"},
                }) {
            md.append("| ").append(f[0]);
            for (String w : List.of("drain", "lifetime")) {
                md.append(" | ").append(rc.path(w).path(f[1]));
                if (f[2] != null) {
                    md.append(" / ").append(rc.path(w).path(f[2]));
                }
            }
            md.append(" |\n");
        }
        md.append("| the server's goaways (its counter): peak per second / window (s)");
        for (String w : List.of("drain", "lifetime")) {
            md.append(" | ")
                    .append(rc.path(w).at("/serverGoaways/peakPerSecond"))
                    .append(" / ")
                    .append(rc.path(w).at("/serverGoaways/windowSeconds"));
        }
        md.append(" |\n");
        md.append("| goaway → reconnected p50 / p99 ms");
        for (String w : List.of("drain", "lifetime")) {
            md.append(" | ")
                    .append(rc.path(w).at("/goawayToReconnectMs/p50"))
                    .append(" / ")
                    .append(rc.path(w).at("/goawayToReconnectMs/p99"));
        }
        md.append(" |\n");
        md.append(
                String.format(
                        Locale.ROOT,
                        "\nWithout dither the successor's goaways would repeat the drain's wave one"
                                + " lifetime later (peak %d/s). With dither each connection lives"
                                + " between %d and %d s, so %d clients that connected at once come"
                                + " back at about %.0f/s over %d s. Zuul's 1800 s less up to 180 s:"
                                + " 10,000 clients of a server at ~56/s over 3 minutes after a"
                                + " deploy, then each about once per 28 minutes (~6/s).\n",
                        rc.at("/drain/peakPerSecond").asInt(),
                        r.path("lifetimeSeconds").asInt() - r.path("ditherSeconds").asInt(),
                        r.path("lifetimeSeconds").asInt(),
                        r.path("connections").asInt(),
                        rc.path("expectedPeakPerSecondWithDither").asDouble(),
                        r.path("ditherSeconds").asInt()));
        md.append("\nThe successor's counters: goaways ")
                .append(r.at("/successorMetrics/notiflow_live_goaways_total"))
                .append(", forced closes ")
                .append(r.at("/successorMetrics/notiflow_live_forced_closes_total"))
                .append(".\n");
        return md.toString();
    }

    private static void row(StringBuilder md, String name, String value) {
        md.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    private static String percentiles(JsonNode l) {
        return l.path("p50")
                + " / "
                + l.path("p95")
                + " / "
                + l.path("p99")
                + " / "
                + l.path("max");
    }

    private static String kb(long bytes) {
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }

    private static void latencyChart(JsonNode r, Path file) throws java.io.IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(1000)
                        .height(500)
                        .title("Live push: latency by percentile")
                        .xAxisTitle("percentile")
                        .yAxisTitle("milliseconds")
                        .build();
        boolean any = false;
        for (String s : List.of("sendToClientMs", "sendToAckAnswerMs")) {
            JsonNode p = r.path("push").path(s).path("percentiles");
            if (p.size() > 0) {
                double[] x = new double[p.size()];
                double[] y = new double[p.size()];
                for (int i = 0; i < p.size(); i++) {
                    x[i] = i + 1;
                    y[i] = p.get(i).asDouble();
                }
                chart.addSeries(
                        s.equals("sendToClientMs") ? "send → client" : "send → ack answered", x, y);
                any = true;
            }
        }
        if (!any) {
            chart.addSeries("nothing received", new double[] {0}, new double[] {0});
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void reconnectChart(JsonNode r, Path file) throws java.io.IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(1000)
                        .height(500)
                        .title("Reconnects per second after a simulated deploy")
                        .xAxisTitle("seconds since the deploy")
                        .yAxisTitle("per second")
                        .build();
        addSeries(
                chart,
                "the drain: all clients told at once",
                r.at("/reconnect/drain/perSecondSeries"),
                0);
        addSeries(
                chart,
                "the successor's lifetimes, with dither",
                r.at("/reconnect/lifetime/perSecondSeries"),
                0);
        addSeries(
                chart,
                "the successor's goaways (its counter)",
                r.at("/reconnect/lifetime/serverGoaways/perSecondSeries"),
                0);
        addSeries(
                chart,
                "without dither (the drain's wave, one lifetime later)",
                r.at("/reconnect/drain/perSecondSeries"),
                r.path("lifetimeSeconds").asInt());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void addSeries(XYChart chart, String name, JsonNode series, int shift) {
        int size = Math.max(1, series.size());
        double[] x = new double[size];
        double[] y = new double[size];
        for (int i = 0; i < series.size(); i++) {
            x[i] = i + shift;
            y[i] = series.get(i).asDouble();
        }
        chart.addSeries(name, x, y);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static List<Client> clients(LiveTokens tokens, String prefix, int n, double sseShare) {
        List<Client> list = new ArrayList<>(n);
        int sse = (int) Math.round(n * sseShare);
        for (int i = 0; i < n; i++) {
            String user = prefix + "-u" + i;
            // SSE clients spread evenly among the WebSocket ones.
            boolean isSse = sse > 0 && (long) i * sse / n != (long) (i + 1) * sse / n;
            list.add(new Client(i, user, tokens.mint(user, Duration.ofMinutes(30)), isSse));
        }
        return list;
    }

    /** Connects every client, at most {@link #CONNECTS_IN_FLIGHT} at a time. */
    private static int connectAll(BenchmarkLiveClients clients, List<Client> list)
            throws InterruptedException {
        Semaphore inFlight = new Semaphore(CONNECTS_IN_FLIGHT);
        AtomicLong failed = new AtomicLong();
        List<CompletableFuture<Client>> all = new ArrayList<>(list.size());
        for (Client c : list) {
            inFlight.acquire();
            all.add(
                    clients.connect(c)
                            .whenComplete(
                                    (ok, e) -> {
                                        inFlight.release();
                                        if (e != null) {
                                            failed.incrementAndGet();
                                        }
                                    }));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture[0]))
                    .exceptionally(e -> null)
                    .get(5, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            // counted below
        }
        return (int) failed.get();
    }

    /** Sends one message to every client's user through the live sender; returns the results. */
    private static Map<Integer, SendResult> push(
            ChannelSender sender, List<Client> list, String prefix, int concurrency)
            throws InterruptedException {
        Semaphore inFlight = new Semaphore(concurrency);
        Map<Integer, SendResult> results = new ConcurrentHashMap<>();
        for (Client c : list) {
            c.expectedNotificationId = prefix + "-n" + c.index;
        }
        for (Client c : list) {
            inFlight.acquire();
            SendRequest r = request(c);
            c.sentNanos = System.nanoTime();
            sender.send(r)
                    .whenComplete(
                            (res, e) -> {
                                c.answeredNanos = System.nanoTime();
                                results.put(
                                        c.index,
                                        e != null
                                                ? SendResult.retryable("ERROR", e.toString(), null)
                                                : res);
                                inFlight.release();
                            });
        }
        inFlight.acquire(concurrency);
        inFlight.release(concurrency);
        return results;
    }

    private static SendRequest request(Client c) {
        return SendRequest.builder()
                .notificationId(c.expectedNotificationId)
                .eventId("bench-live-e" + c.index)
                .userId(c.userId)
                .type("bench.live")
                .category("bench")
                .channel(Channel.LIVE)
                .provider(Provider.LIVE)
                .data(Map.of("i", Integer.toString(c.index)))
                .content(new Content("Bench", "Message " + c.index, null, null, null))
                .attempt(1)
                .createdAt(Instant.now())
                .build();
    }

    static int publicPort(String readyLine) {
        Matcher m = PORT.matcher(readyLine);
        if (!m.find()) {
            throw new IllegalStateException("no port in the push server's line: " + readyLine);
        }
        return Integer.parseInt(m.group(1));
    }

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The server's {@code /metrics} as name (with labels) → value. */
    static Map<String, Long> metrics(int port) {
        Map<String, Long> m = new TreeMap<>();
        try {
            String text =
                    HTTP.send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            "http://127.0.0.1:"
                                                                    + port
                                                                    + "/metrics"))
                                            .timeout(Duration.ofSeconds(10))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.lastIndexOf(' ');
                m.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1).trim()));
            }
        } catch (Exception e) {
            // reported as missing figures
        }
        return m;
    }

    static long open(Map<String, Long> metrics) {
        return metrics.getOrDefault("notiflow_live_open_connections{transport=\"ws\"}", -1L)
                + metrics.getOrDefault("notiflow_live_open_connections{transport=\"sse\"}", -1L);
    }

    private static long awaitOpen(int port, long expected, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long open;
        while ((open = open(metrics(port))) != expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return open;
    }

    private static byte[] secret() {
        byte[] b = new byte[36];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(b)
                .getBytes(StandardCharsets.UTF_8);
    }

    static double loadAverage() {
        try {
            return Double.parseDouble(
                    Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0]);
        } catch (Exception e) {
            return -1;
        }
    }

    static void say(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench live] " + format + "%n", args);
    }

    /** The server JVM's memory over JMX (the attach API's local management agent). */
    static final class ServerJvm implements AutoCloseable {
        private final long pid;
        private final JMXConnector connector;
        private final MBeanServerConnection mbeans;

        private ServerJvm(long pid, JMXConnector connector) throws java.io.IOException {
            this.pid = pid;
            this.connector = connector;
            this.mbeans = connector.getMBeanServerConnection();
        }

        static ServerJvm attach(long pid) throws Exception {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                String url = vm.startLocalManagementAgent();
                return new ServerJvm(pid, JMXConnectorFactory.connect(new JMXServiceURL(url)));
            } finally {
                vm.detach();
            }
        }

        /** Heap used after two full GCs, RSS and direct buffers, in bytes. */
        ObjectNode sample() throws Exception {
            MemoryMXBean memory =
                    ManagementFactory.newPlatformMXBeanProxy(
                            mbeans, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
            memory.gc();
            memory.gc();
            ObjectNode s = JSON.createObjectNode();
            s.put("heapUsedBytes", memory.getHeapMemoryUsage().getUsed());
            s.put("rssBytes", BenchmarkChild.procStatusKb(pid, "VmRSS:") * 1024);
            s.put(
                    "directBytes",
                    direct(ManagementFactory.getPlatformMXBeans(mbeans, BufferPoolMXBean.class)));
            return s;
        }

        @Override
        public void close() {
            try {
                connector.close();
            } catch (java.io.IOException e) {
                // the server is gone already
            }
        }
    }

    static long direct(List<BufferPoolMXBean> pools) {
        for (BufferPoolMXBean p : pools) {
            if ("direct".equals(p.getName())) {
                return p.getMemoryUsed();
            }
        }
        return -1;
    }

    /** This JVM's (the clients') heap after a full GC, RSS and direct buffers, in bytes. */
    static ObjectNode clientSample() {
        System.gc();
        System.gc();
        ObjectNode s = JSON.createObjectNode();
        s.put("heapUsedBytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        s.put(
                "rssBytes",
                BenchmarkChild.procStatusKb(ProcessHandle.current().pid(), "VmRSS:") * 1024);
        s.put("directBytes", direct(ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)));
        return s;
    }
}
