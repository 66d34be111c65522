package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Keeps {@code scripts/bench.sh} working: a tiny run of every variant (both device platforms, a
 * batch event among one-recipient events) must write the report and charts, account for every
 * notification in every variant, and report numbers that agree with each other. It asserts counts
 * and consistency, never a speed: speed is what the script itself is for.
 */
class BenchmarkITCase {

    private static final int NOTIFICATIONS = 4000;

    @TempDir Path out;

    @Test
    void shouldMeasureEveryVariantOnTheSameInputAndReportConsistentFigures() throws Exception {
        Path report =
                Benchmark.run(
                        new String[] {
                            "--notifications", Integer.toString(NOTIFICATIONS),
                            "--users", "1000",
                            "--device-mix", "mixed",
                            "--checkpoint-interval", "1 s",
                            "--steady-seconds", "2",
                            "--warm-up", "100",
                            "--variant-timeout", "3",
                            "--out", out.toString()
                        });

        for (String file : List.of("report.json", "report.md", "throughput.png", "latency.png")) {
            assertThat(out.resolve(file)).as(file).isNotEmptyFile();
        }
        byte[] png = Files.readAllBytes(out.resolve("throughput.png"));
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("PNG");

        JsonNode json = new ObjectMapper().readTree(Files.readString(report));
        JsonNode input = json.path("input");
        long ios = input.path("iosNotifications").asLong();
        long android = input.path("androidNotifications").asLong();
        assertThat(input.path("notifications").asLong()).isEqualTo(NOTIFICATIONS);
        assertThat(ios + android).isEqualTo(NOTIFICATIONS);
        assertThat(ios).isPositive();
        assertThat(android).isPositive();
        assertThat(input.path("batchEvents").asInt()).isPositive();
        assertThat(input.path("oneRecipientEvents").asInt()).isPositive();

        JsonNode variants = json.path("variants");
        List<String> names = new ArrayList<>();
        variants.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrderElementsOf(Benchmark.VARIANTS);
        for (String name : names) {
            JsonNode v = variants.path(name);
            assertThat(v.has("error")).as(name + ": " + v).isFalse();
            assertThat(v.path("complete").asBoolean()).as(name + ": " + v).isTrue();
        }
        for (String name : List.of("kafka-consumer", "flink-parse", "jdbc-upsert")) {
            assertThat(variants.path(name).path("notifications").asLong())
                    .as(name)
                    .isEqualTo(NOTIFICATIONS);
        }
        assertThat(variants.at("/kafka-consumer/events").asLong())
                .isEqualTo(input.path("events").asLong());
        assertThat(variants.at("/pushy/notifications").asLong()).isEqualTo(ios);
        assertThat(variants.at("/pushy/statuses/ACCEPTED").asLong()).isEqualTo(ios);
        assertThat(variants.at("/firebase/notifications").asLong()).isEqualTo(android);
        assertThat(variants.at("/firebase/statuses/ACCEPTED").asLong()).isEqualTo(android);

        // The ledger's cost is measured side by side: the same job with and without it.
        assertThat(variants.at("/job-local-providers/ledger").asBoolean()).isTrue();
        assertThat(variants.at("/job-no-ledger/ledger").isBoolean()).isTrue();
        assertThat(variants.at("/job-no-ledger/ledger").asBoolean()).isFalse();
        for (String job : BenchmarkReport.JOBS) {
            JsonNode v = variants.path(job);
            assertThat(v.path("notifications").asLong()).as(job).isEqualTo(NOTIFICATIONS);
            assertThat(v.at("/statuses/SENT").asLong())
                    .as("%s %s %s", job, v.path("statuses"), v.path("otherOutcomes"))
                    .isEqualTo(NOTIFICATIONS);
            long series = 0;
            for (JsonNode n : v.path("perSecondSeries")) {
                series += n.asLong();
            }
            assertThat(series).as(job + " throughput series").isEqualTo(NOTIFICATIONS);
            JsonNode steady = v.path("steadyPhase");
            assertThat(steady.path("complete").asBoolean()).as(job).isTrue();
            assertThat(steady.path("measured").asLong())
                    .as(job + " steady phase")
                    .isEqualTo(steady.path("notifications").asLong())
                    .isEqualTo(steady.at("/statuses/SENT").asLong())
                    .isPositive();
            assertThat(steady.path("p50Ms").asLong())
                    .isNotNegative()
                    .isLessThanOrEqualTo(steady.path("p95Ms").asLong());
            assertThat(steady.path("p95Ms").asLong())
                    .isLessThanOrEqualTo(steady.path("p99Ms").asLong());
            assertThat(steady.path("p99Ms").asLong())
                    .isLessThanOrEqualTo(steady.path("maxMs").asLong());
            assertThat(v.at("/jobJvm/peakHeapMb").asLong()).isPositive();
            assertThat(v.at("/jobJvm/peakHeapAfterGcMb").asLong())
                    .isPositive()
                    .isLessThanOrEqualTo(v.at("/jobJvm/peakHeapMb").asLong());
            // The compiler threads' CPU is part of the JVM's, never more (elapsed compile time
            // could be).
            assertThat(v.at("/jobJvm/jitSeconds").asDouble())
                    .isBetween(0.0, v.at("/jobJvm/cpuSeconds").asDouble());
            assertThat(v.at("/providersJvm/peakRssMb").asLong()).isPositive();
            assertThat(v.at("/checkpoints/completed").asLong()).as(job).isPositive();

            JsonNode ratios = json.path("ratios").path(job);
            for (String ceiling : BenchmarkReport.CEILINGS) {
                JsonNode r = ratios.path(ceiling);
                double ceilingRate = variants.path(ceiling).path("perSecond").asDouble();
                assertThat(r.path("ceilingPerSecond").asDouble()).isEqualTo(ceilingRate);
                assertThat(r.path("jobPerSecond").asDouble())
                        .isEqualTo(v.path("perSecond").asDouble());
                assertThat(r.path("ratio").asDouble())
                        .as(job + " / " + ceiling)
                        .isCloseTo(v.path("perSecond").asDouble() / ceilingRate, within(0.001));
            }
            double lower =
                    Math.min(
                            variants.at("/pushy/perSecond").asDouble(),
                            variants.at("/firebase/perSecond").asDouble());
            assertThat(ratios.at("/lower-provider/ceilingPerSecond").asDouble()).isEqualTo(lower);
        }

        JsonNode tables = variants.path("delivery-tables");
        long expectedRows =
                NOTIFICATIONS
                        + variants.at("/job-local-providers/steadyPhase/notifications").asLong();
        assertThat(tables.path("rows").asLong()).isEqualTo(expectedRows);
        assertThat(tables.path("expectedRows").asLong()).isEqualTo(expectedRows);
        assertThat(Files.readString(out.resolve("report.md")))
                .contains("job-local-providers", "lower-provider", "p99");
    }
}
