package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.gateway.ApiKeys;
import dev.notiflow.gateway.Gateway;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scripts/bench.sh --scenario gateway}: events/s accepted through the HTTP gateway at batch
 * sizes 1, 100 and 1000 (each request one Kafka transaction; single events also claim their eventId
 * in PostgreSQL), with p50/p99 request latency, beside a raw idempotent {@code acks=all} Kafka
 * producer's rate on the same broker in the same run. A benchmark, never a test.
 *
 * <pre>
 * scripts/bench.sh --scenario gateway [--seconds S] [--clients C] [--out DIR]
 * </pre>
 */
public final class BenchmarkGateway {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "bench-key";

    private BenchmarkGateway() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("seconds", "15");
        defaults.put("clients", "8");
        Map<String, String> opts = ScenarioOptions.parse("gateway", defaults, args);
        int seconds = Integer.parseInt(opts.get("seconds"));
        int clients = Integer.parseInt(opts.get("clients"));
        Path out = Path.of(opts.get("out")).toAbsolutePath();
        Files.createDirectories(out);

        ObjectNode report = JSON.createObjectNode();
        report.put("seconds", seconds);
        report.put("clients", clients);
        ArrayNode rows = report.putArray("results");
        try (LocalPostgres postgres = LocalPostgres.start();
                LocalKafka kafka = LocalKafka.start()) {
            kafka.createTopic("notification-events", 2, false);
            Map<String, String> config = new LinkedHashMap<>(postgres.jdbcOptions());
            config.put("kafka.bootstrap-servers", kafka.bootstrapServers());
            config.put("gateway.port", "0");
            config.put("gateway.host", "127.0.0.1");
            config.put("gateway.instance-id", "bench");
            config.put("gateway.producers", Integer.toString(clients));
            config.put("gateway.rate-limit", "1000000/s");
            try (Gateway gateway =
                    new Gateway(config, ApiKeys.parse(ApiKeys.line(KEY, "send", "bench"), "bench"))
                            .start()) {
                URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/v1/events");
                for (int batch : new int[] {1, 100, 1000}) {
                    ObjectNode row = http(uri, batch, clients, seconds);
                    rows.add(row);
                    LocalRun.say(
                            "gateway, batch %4d: %8.0f events/s, %6.0f requests/s, p50 %6.1f ms,"
                                    + " p99 %6.1f ms",
                            batch,
                            row.get("eventsPerSecond").asDouble(),
                            row.get("requestsPerSecond").asDouble(),
                            row.get("p50Ms").asDouble(),
                            row.get("p99Ms").asDouble());
                }
            }
            ObjectNode raw = rawProducer(kafka.bootstrapServers(), seconds);
            rows.add(raw);
            LocalRun.say(
                    "raw KafkaProducer (idempotent, acks=all): %8.0f events/s",
                    raw.get("eventsPerSecond").asDouble());
        }
        Files.writeString(
                out.resolve("report.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        LocalRun.say("Wrote %s", out.resolve("report.json"));
    }

    private static String event(String id) {
        return "{\"eventId\":\""
                + id
                + "\",\"type\":\"order.shipped\",\"userIds\":[\"u1\"],"
                + "\"data\":{\"orderId\":\"123\"},\"channels\":[\"push\"]}";
    }

    private static ObjectNode http(URI uri, int batch, int clients, int seconds) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        AtomicLong seq = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicLong events = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(
                    pool.submit(
                            () -> {
                                while (System.nanoTime() < end) {
                                    String body;
                                    if (batch == 1) {
                                        body = event("b1-" + seq.incrementAndGet());
                                    } else {
                                        StringBuilder b = new StringBuilder("{\"events\":[");
                                        for (int i = 0; i < batch; i++) {
                                            b.append(i == 0 ? "" : ",")
                                                    .append(
                                                            event(
                                                                    "b"
                                                                            + batch
                                                                            + "-"
                                                                            + seq
                                                                                    .incrementAndGet()));
                                        }
                                        body = b.append("]}").toString();
                                    }
                                    HttpRequest req =
                                            HttpRequest.newBuilder(uri)
                                                    .header("Authorization", "Bearer " + KEY)
                                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                                    .build();
                                    long t0 = System.nanoTime();
                                    HttpResponse<String> r =
                                            http.send(req, HttpResponse.BodyHandlers.ofString());
                                    latencies.add(System.nanoTime() - t0);
                                    if (r.statusCode() == 202) {
                                        events.addAndGet(batch);
                                    } else {
                                        failures.incrementAndGet();
                                    }
                                }
                                return null;
                            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        ObjectNode row = JSON.createObjectNode();
        row.put("variant", "gateway");
        row.put("batch", batch);
        row.put("requests", sorted.size());
        row.put("failed", failures.get());
        row.put("eventsPerSecond", events.get() / elapsed);
        row.put("requestsPerSecond", sorted.size() / elapsed);
        row.put("p50Ms", percentile(sorted, 0.50) / 1e6);
        row.put("p99Ms", percentile(sorted, 0.99) / 1e6);
        return row;
    }

    private static long percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static ObjectNode rawProducer(String bootstrap, int seconds) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        long acked;
        double elapsed;
        Semaphore inFlight = new Semaphore(10_000);
        AtomicLong ok = new AtomicLong();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            long n = 0;
            while (System.nanoTime() < end) {
                String id = "raw-" + n++;
                inFlight.acquire();
                producer.send(
                        new ProducerRecord<>(
                                "notification-events",
                                id.getBytes(StandardCharsets.UTF_8),
                                event(id).getBytes(StandardCharsets.UTF_8)),
                        (md, e) -> {
                            if (e == null) {
                                ok.incrementAndGet();
                            }
                            inFlight.release();
                        });
            }
            producer.flush();
            elapsed = (System.nanoTime() - start) / 1e9;
            acked = ok.get();
        }
        ObjectNode row = JSON.createObjectNode();
        row.put("variant", "raw-producer");
        row.put("events", acked);
        row.put("eventsPerSecond", acked / elapsed);
        return row;
    }
}
