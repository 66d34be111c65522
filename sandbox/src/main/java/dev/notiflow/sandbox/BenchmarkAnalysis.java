package dev.notiflow.sandbox;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Reads a variant's committed deliveries back after it ran (so that parsing them costs nothing
 * during the measurement): per-record status, {@code createdAt} and {@code finalAt}, picked with
 * Jackson's streaming parser.
 */
final class BenchmarkAnalysis {

    private static final JsonFactory FACTORY = new JsonFactory();

    private BenchmarkAnalysis() {}

    /** One delivery's fields that the benchmark reads. */
    record Row(
            String eventId,
            String status,
            String reason,
            String detail,
            long createdAt,
            long finalAt) {

        /** What a record that is not SENT says of itself: status, reason and detail. */
        String outcome() {
            return status + " " + reason + ": " + detail;
        }
    }

    /** How many distinct outcomes other than SENT a report lists. */
    static final int MAX_OTHER_OUTCOMES = 20;

    /** The burst: throughput over the run and in its steady state. */
    record Burst(
            long count,
            Map<String, Long> statuses,
            Map<String, Long> otherOutcomes,
            long submittedAt,
            long firstFinal,
            long lastFinal,
            double perSecond,
            double steadyPerSecond,
            long[] perSecondSeries) {

        void into(ObjectNode r) {
            r.put("notifications", count);
            double seconds = (lastFinal - submittedAt) / 1e3;
            r.put("seconds", Benchmark.round(seconds));
            r.put("perSecond", Benchmark.round(perSecond));
            r.put("steadyPerSecond", Benchmark.round(steadyPerSecond));
            r.put("firstOutcomeAfterSeconds", Benchmark.round((firstFinal - submittedAt) / 1e3));
            ObjectNode s = r.putObject("statuses");
            statuses.forEach(s::put);
            ObjectNode o = r.putObject("otherOutcomes");
            otherOutcomes.forEach(o::put);
            ArrayNode series = r.putArray("perSecondSeries");
            for (long n : perSecondSeries) {
                series.add(n);
            }
        }
    }

    /** The steady phase's event → final outcome latencies. */
    record Latencies(long count, Map<String, Long> statuses, long[] sortedMillis) {

        long percentile(double p) {
            if (sortedMillis.length == 0) {
                return -1;
            }
            int index = (int) Math.ceil(p / 100.0 * sortedMillis.length) - 1;
            return sortedMillis[Math.max(0, Math.min(sortedMillis.length - 1, index))];
        }

        void into(ObjectNode r) {
            r.put("measured", count);
            r.put("p50Ms", percentile(50));
            r.put("p95Ms", percentile(95));
            r.put("p99Ms", percentile(99));
            r.put("maxMs", sortedMillis.length == 0 ? -1 : sortedMillis[sortedMillis.length - 1]);
            ObjectNode s = r.putObject("statuses");
            statuses.forEach(s::put);
            ArrayNode cdf = r.putArray("percentilesMs");
            for (int p = 1; p <= 100; p++) {
                cdf.add(percentile(p));
            }
        }
    }

    /** The records of events whose id starts with {@code e-}, from the job's start. */
    static Burst burst(String bootstrap, String topic, long submittedAt, long expected)
            throws IOException {
        long[][] finals = {new long[(int) Math.min(expected, 50_000_000L) + 16]};
        int[] n = {0};
        Map<String, Long> statuses = new TreeMap<>();
        Map<String, Long> others = new TreeMap<>();
        readAll(
                bootstrap,
                topic,
                row -> {
                    if (!row.eventId().startsWith("e-")) {
                        return;
                    }
                    if (!"SENT".equals(row.status())
                            && (others.size() < MAX_OTHER_OUTCOMES
                                    || others.containsKey(row.outcome()))) {
                        others.merge(row.outcome(), 1L, Long::sum);
                    }
                    if (n[0] == finals[0].length) {
                        finals[0] = Arrays.copyOf(finals[0], finals[0].length * 2);
                    }
                    finals[0][n[0]++] = row.finalAt();
                    statuses.merge(row.status(), 1L, Long::sum);
                });
        long[] sorted = Arrays.copyOf(finals[0], n[0]);
        Arrays.sort(sorted);
        if (sorted.length == 0) {
            return new Burst(
                    0, statuses, others, submittedAt, submittedAt, submittedAt, 0, 0, new long[0]);
        }
        long first = sorted[0];
        long last = sorted[sorted.length - 1];
        double whole = sorted.length / Math.max(1e-3, (last - submittedAt) / 1e3);
        int i10 = (int) (sorted.length * 0.1);
        int i90 = Math.max(i10 + 1, (int) (sorted.length * 0.9)) - 1;
        double span = (sorted[i90] - sorted[i10]) / 1e3;
        double steady = span <= 0 ? whole : (i90 - i10) / span;
        long[] series = new long[(int) ((last - submittedAt) / 1000) + 1];
        for (long t : sorted) {
            series[(int) Math.max(0, (t - submittedAt) / 1000)]++;
        }
        return new Burst(
                sorted.length, statuses, others, submittedAt, first, last, whole, steady, series);
    }

    /** Latencies (finalAt − createdAt) of the records of events whose id has the prefix. */
    static Latencies latencies(String bootstrap, String topic, String prefix) throws IOException {
        long[][] values = {new long[1024]};
        int[] n = {0};
        Map<String, Long> statuses = new TreeMap<>();
        readAll(
                bootstrap,
                topic,
                row -> {
                    if (!row.eventId().startsWith(prefix) || row.createdAt() < 0) {
                        return;
                    }
                    if (n[0] == values[0].length) {
                        values[0] = Arrays.copyOf(values[0], values[0].length * 2);
                    }
                    values[0][n[0]++] = row.finalAt() - row.createdAt();
                    statuses.merge(row.status(), 1L, Long::sum);
                });
        long[] sorted = Arrays.copyOf(values[0], n[0]);
        Arrays.sort(sorted);
        return new Latencies(sorted.length, statuses, sorted);
    }

    /** Every committed record of the topic up to its current end, parsed. */
    static void readAll(String bootstrap, String topic, Consumer<Row> each) throws IOException {
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(BenchmarkWatcher.consumerProperties(bootstrap))) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (System.nanoTime() < deadline) {
                boolean done = true;
                for (TopicPartition tp : partitions) {
                    if (consumer.position(tp) < end.get(tp)) {
                        done = false;
                    }
                }
                if (done) {
                    return;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    each.accept(parse(r.value()));
                }
            }
        }
    }

    static Row parse(byte[] json) throws IOException {
        String eventId = "";
        String status = "";
        String reason = null;
        String detail = null;
        long created = -1;
        long finalAt = -1;
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new Row(eventId, status, reason, detail, created, finalAt);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "eventId" -> eventId = p.getValueAsString("");
                    case "status" -> status = p.getValueAsString("");
                    case "reason" -> reason = p.getValueAsString();
                    case "detail" -> detail = p.getValueAsString();
                    case "createdAt" -> created = millis(p, value);
                    case "finalAt" -> finalAt = millis(p, value);
                    default -> p.skipChildren();
                }
            }
        }
        return new Row(eventId, status, reason, detail, created, finalAt);
    }

    private static long millis(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            return Instant.parse(p.getText()).toEpochMilli();
        }
        if (value.isNumeric()) {
            return (long) (p.getDoubleValue() * 1000);
        }
        return -1;
    }
}
