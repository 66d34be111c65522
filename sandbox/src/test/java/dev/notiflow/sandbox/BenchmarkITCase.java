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

/**
 * Keeps {@code scripts/bench.sh} working: a small run of every variant must account for every
 * notification with the right outcome and report its measurements. It asserts counts and the
 * report's shape, never a speed: speed is what the script itself is for.
 */
class BenchmarkITCase {

    @TempDir Path out;

    @Test
    void shouldMeasureEveryVariantAndAccountForEveryNotification() throws Exception {
        Path report =
                Benchmark.run(
                        new String[] {
                            "--notifications", "400",
                            "--users", "40",
                            "--warm-up", "100",
                            "--out", out.toString()
                        });

        JsonNode json = new ObjectMapper().readTree(Files.readString(report));
        assertThat(json.path("notifications").asInt()).isEqualTo(400);
        List<String> variants = new ArrayList<>();
        for (JsonNode r : json.path("results")) {
            variants.add(r.path("variant").asText());
            assertThat(r.path("completed").asInt()).as(r.toString()).isEqualTo(400);
            String outcome =
                    r.path("variant").asText().equals("kafka-passthrough") ? "COPIED" : "SENT";
            assertThat(r.path("statuses").path(outcome).asInt()).as(r.toString()).isEqualTo(400);
            assertThat(r.path("perSecond").asDouble()).isPositive();
            assertThat(r.path("p50Millis").asLong())
                    .isPositive()
                    .isLessThanOrEqualTo(r.path("p99Millis").asLong());
            assertThat(r.path("p99Millis").asLong())
                    .isLessThanOrEqualTo(r.path("maxMillis").asLong());
            assertThat(r.path("peakHeapMb").asLong()).isPositive();
        }
        assertThat(variants).containsExactlyElementsOf(Benchmark.VARIANTS);
    }
}
