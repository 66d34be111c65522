package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The benchmark's report: {@code report.json}, {@code report.md} (with the previous run in the same
 * parent directory beside it, when there is one) and two PNG charts drawn with XChart: {@code
 * throughput.png} (notifications per second over each job variant's burst) and {@code latency.png}
 * (the steady phase's latency percentiles).
 */
final class BenchmarkReport {

    static final List<String> JOBS =
            List.of("job-no-provider-io", "job-no-ledger", "job-local-providers");
    static final List<String> CEILINGS =
            List.of("kafka-consumer", "flink-parse", "pushy", "firebase", "jdbc-upsert");

    private BenchmarkReport() {}

    /**
     * Adds {@code ratios}: per job variant and ceiling, the job's rate, the ceiling's and their
     * ratio; {@code lower-provider} is the lower of the provider ceilings that sent anything.
     */
    static void ratios(ObjectNode report) {
        JsonNode variants = report.path("variants");
        // CPU per notification in each JVM: less sensitive to a shared machine than rates.
        variants.fields()
                .forEachRemaining(
                        v -> {
                            long n = v.getValue().path("notifications").asLong(0);
                            for (String jvm : List.of("jobJvm", "providersJvm", "brokerJvm")) {
                                JsonNode node = v.getValue().path(jvm);
                                if (n > 0 && node instanceof ObjectNode o) {
                                    o.put(
                                            "cpuMicrosPerNotification",
                                            Math.round(
                                                    node.path("cpuSeconds").asDouble() * 1e6 / n));
                                }
                            }
                        });
        ObjectNode ratios = report.putObject("ratios");
        for (String job : JOBS) {
            JsonNode j = variants.path(job);
            if (!j.has("perSecond")) {
                continue;
            }
            ObjectNode r = ratios.putObject(job);
            for (String ceiling : CEILINGS) {
                JsonNode c = variants.path(ceiling);
                if (c.path("perSecond").asDouble(0) > 0) {
                    put(r, ceiling, j, c);
                }
            }
            Optional<JsonNode> lower =
                    Stream.of("pushy", "firebase")
                            .map(variants::path)
                            .filter(c -> c.path("perSecond").asDouble(0) > 0)
                            .min(Comparator.comparingDouble(c -> c.path("perSecond").asDouble()));
            lower.ifPresent(c -> put(r, "lower-provider", j, c));
        }
    }

    private static void put(ObjectNode r, String name, JsonNode job, JsonNode ceiling) {
        ObjectNode x = r.putObject(name);
        double jobRate = job.path("perSecond").asDouble();
        double steady = job.path("steadyPerSecond").asDouble();
        double ceil = ceiling.path("perSecond").asDouble();
        double ceilSteady = ceiling.path("steadyPerSecond").asDouble(0);
        if (ceilSteady <= 0) {
            ceilSteady = ceil;
        }
        x.put("jobPerSecond", jobRate);
        x.put("ceilingPerSecond", ceil);
        x.put("ratio", Math.round(jobRate / ceil * 1000) / 1000.0);
        x.put("jobSteadyPerSecond", steady);
        x.put("ceilingSteadyPerSecond", ceilSteady);
        x.put("steadyRatio", Math.round(steady / ceilSteady * 1000) / 1000.0);
    }

    /** Writes every file and returns the path of {@code report.json}. */
    static Path write(ObjectNode report, Path out) throws IOException {
        Files.createDirectories(out);
        Path json = out.resolve("report.json");
        Files.writeString(
                json, Benchmark.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        JsonNode previous = previous(out);
        Files.writeString(out.resolve("report.md"), markdown(report, previous));
        throughputChart(report, out.resolve("throughput.png"));
        latencyChart(report, out.resolve("latency.png"));
        System.out.println();
        System.out.println(markdown(report, previous));
        return json;
    }

    /** The newest other report.json in the parent directory, or null. */
    static JsonNode previous(Path out) {
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return null;
        }
        try (Stream<Path> dirs = Files.list(parent)) {
            Optional<Path> last =
                    dirs.filter(d -> !d.equals(out.toAbsolutePath()))
                            .filter(d -> Files.isRegularFile(d.resolve("report.json")))
                            .max(
                                    Comparator.comparing(
                                            d -> d.resolve("report.json").toFile().lastModified()));
            if (last.isEmpty()) {
                return null;
            }
            ObjectNode node =
                    (ObjectNode)
                            Benchmark.JSON.readTree(last.get().resolve("report.json").toFile());
            node.put("_dir", last.get().getFileName().toString());
            return node;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String markdown(JsonNode report, JsonNode previous) {
        StringBuilder md = new StringBuilder();
        JsonNode setup = report.path("setup");
        JsonNode input = report.path("input");
        md.append("# notiflow benchmark\n\n");
        md.append(
                String.format(
                        "%s notifications (%s iOS, %s Android) to %s users with %s devices, in %s"
                                + " events (%s batch events of 1,000 recipients, %s one-recipient,"
                                + " %s audience); device mix %s; %s CPUs, load average at start %s;"
                                + " started %s.%n%n",
                        input.path("notifications").asText(),
                        input.path("iosNotifications").asText(),
                        input.path("androidNotifications").asText(),
                        input.path("users").asText(),
                        input.path("devices").asText(),
                        input.path("events").asText(),
                        input.path("batchEvents").asText(),
                        input.path("oneRecipientEvents").asText(),
                        input.path("audienceEvents").asText(),
                        setup.path("deviceMix").asText(),
                        setup.path("cpus").asText(),
                        setup.path("loadAverageAtStart").asText(),
                        setup.path("startedAt").asText()));
        md.append(
                "| variant | notifications | seconds | notif/s (whole) | notif/s (steady) | job JVM"
                        + " cpu s (jit cpu s) | job JVM cpu µs/notif. | job heap peak / after GC / RSS MB |"
                        + " providers"
                        + " cpu s (jit cpu s) | providers cpu µs/notif. | providers heap / RSS MB |"
                        + " broker cpu s |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Iterator<Map.Entry<String, JsonNode>> it = report.path("variants").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.has("error")) {
                md.append("| ").append(e.getKey()).append(" | error: ");
                md.append(v.path("error").asText().replace('|', '/')).append(" |||||||||\n");
                continue;
            }
            if (e.getKey().equals("delivery-tables")) {
                continue;
            }
            md.append(
                    String.format(
                            "| %s%s | %s | %s | %s | %s | %s (%s) | %s | %s / %s / %s | %s (%s) | %s | %s / %s"
                                    + " | %s |%n",
                            e.getKey(),
                            v.path("complete").asBoolean(true) ? "" : " (incomplete)",
                            v.path("notifications").asText(),
                            v.path("seconds").asText("-"),
                            v.path("perSecond").asText("-"),
                            v.path("steadyPerSecond").asText("-"),
                            v.at("/jobJvm/cpuSeconds").asText("-"),
                            v.at("/jobJvm/jitSeconds").asText("-"),
                            v.at("/jobJvm/cpuMicrosPerNotification").asText("-"),
                            v.at("/jobJvm/peakHeapMb").asText("-"),
                            v.at("/jobJvm/peakHeapAfterGcMb").asText("-"),
                            v.at("/jobJvm/peakRssMb").asText("-"),
                            v.at("/providersJvm/cpuSeconds").asText("-"),
                            v.at("/providersJvm/jitSeconds").asText("-"),
                            v.at("/providersJvm/cpuMicrosPerNotification").asText("-"),
                            v.at("/providersJvm/peakHeapMb").asText("-"),
                            v.at("/providersJvm/peakRssMb").asText("-"),
                            v.at("/brokerJvm/cpuSeconds").asText("-")));
        }
        md.append("\n## The job as a ratio of each same-run ceiling\n\n");
        md.append(
                "| job variant | ceiling | job notif/s | ceiling notif/s | ratio | job steady |"
                        + " ceiling steady | steady ratio |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Iterator<Map.Entry<String, JsonNode>> jobs = report.path("ratios").fields();
                jobs.hasNext(); ) {
            Map.Entry<String, JsonNode> j = jobs.next();
            for (Iterator<Map.Entry<String, JsonNode>> cs = j.getValue().fields(); cs.hasNext(); ) {
                Map.Entry<String, JsonNode> c = cs.next();
                JsonNode x = c.getValue();
                md.append(
                        String.format(
                                "| %s | %s | %s | %s | %s | %s | %s | %s |%n",
                                j.getKey(),
                                c.getKey(),
                                x.path("jobPerSecond").asText(),
                                x.path("ceilingPerSecond").asText(),
                                x.path("ratio").asText(),
                                x.path("jobSteadyPerSecond").asText(),
                                x.path("ceilingSteadyPerSecond").asText(),
                                x.path("steadyRatio").asText()));
            }
        }
        md.append("\n## Steady phase (half the burst's steady rate): event → provider answer\n\n");
        md.append(
                "| job variant | rate notif/s | measured | p50 ms | p95 ms | p99 ms | max ms |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (String job : JOBS) {
            JsonNode s = report.path("variants").path(job).path("steadyPhase");
            if (!s.isMissingNode()) {
                md.append(
                        String.format(
                                "| %s | %s | %s | %s | %s | %s | %s |%n",
                                job,
                                s.path("targetPerSecond").asText(),
                                s.path("measured").asText(),
                                s.path("p50Ms").asText(),
                                s.path("p95Ms").asText(),
                                s.path("p99Ms").asText(),
                                s.path("maxMs").asText()));
            }
        }
        md.append(
                "\n## Checkpoints\n\n| job variant | completed | duration ms (avg / max) |"
                        + " checkpointed size bytes (avg / max) | full state bytes (max) |\n|---|---:|---:|---:|---:|\n");
        for (String job : JOBS) {
            JsonNode c = report.path("variants").path(job).path("checkpoints");
            if (!c.isMissingNode()) {
                md.append(
                        String.format(
                                "| %s | %s | %s / %s | %s / %s | %s |%n",
                                job,
                                c.path("completed").asText(),
                                c.at("/durationMs/avg").asText("-"),
                                c.at("/durationMs/max").asText("-"),
                                c.at("/checkpointedSizeBytes/avg").asText("-"),
                                c.at("/checkpointedSizeBytes/max").asText("-"),
                                c.at("/stateSizeBytes/max").asText("-")));
            }
        }
        JsonNode tables = report.path("variants").path("delivery-tables");
        if (tables.has("rows")) {
            md.append(
                    String.format(
                            "%n## Delivery tables job%n%n%s of %s rows; %s rows/s; max lag %s rows;"
                                    + " caught up %s s after the sending job's last record.%n",
                            tables.path("rows").asText(),
                            tables.path("expectedRows").asText(),
                            tables.path("rowsPerSecond").asText(),
                            tables.path("maxLagRows").asText(),
                            tables.path("catchUpAfterJobSeconds").asText()));
        }
        JsonNode profile = report.path("variants").path("job-local-providers").path("profile");
        if (profile.has("topFrames")) {
            md.append("\n## JFR profile of job-local-providers (top frames)\n\n");
            md.append(
                    String.format(
                            "%s execution samples, %s compilations (%s ms), file %s.%n%n",
                            profile.path("executionSamples").asText(),
                            profile.path("compilations").asText(),
                            profile.path("compilationMillis").asText(),
                            profile.path("file").asText()));
            md.append("| share | frame |\n|---:|---|\n");
            for (JsonNode f : profile.path("topFrames")) {
                md.append(
                        String.format(
                                "| %.1f%% | `%s` |%n",
                                f.path("share").asDouble() * 100, f.path("name").asText()));
            }
        }
        if (previous != null) {
            md.append("\n## Against the previous run (").append(previous.path("_dir").asText());
            md.append(")\n\n| variant | notif/s before | notif/s now |\n|---|---:|---:|\n");
            report.path("variants")
                    .fieldNames()
                    .forEachRemaining(
                            name ->
                                    md.append(
                                            String.format(
                                                    "| %s | %s | %s |%n",
                                                    name,
                                                    previous.path("variants")
                                                            .path(name)
                                                            .path("perSecond")
                                                            .asText("-"),
                                                    report.path("variants")
                                                            .path(name)
                                                            .path("perSecond")
                                                            .asText("-"))));
        }
        return md.toString();
    }

    static void throughputChart(JsonNode report, Path file) throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(1000)
                        .height(500)
                        .title("Notifications per second during the burst")
                        .xAxisTitle("seconds since the job was submitted")
                        .yAxisTitle("final outcomes per second")
                        .build();
        boolean any = false;
        for (String job : JOBS) {
            JsonNode series = report.path("variants").path(job).path("perSecondSeries");
            if (series.size() > 0) {
                double[] x = new double[series.size()];
                double[] y = new double[series.size()];
                for (int i = 0; i < series.size(); i++) {
                    x[i] = i;
                    y[i] = series.get(i).asDouble();
                }
                chart.addSeries(job, x, y);
                any = true;
            }
        }
        if (!any) {
            chart.addSeries("no job variant", new double[] {0}, new double[] {0});
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static void latencyChart(JsonNode report, Path file) throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(1000)
                        .height(500)
                        .title("Steady phase: event to provider answer, by percentile")
                        .xAxisTitle("percentile")
                        .yAxisTitle("milliseconds")
                        .build();
        boolean any = false;
        for (String job : JOBS) {
            JsonNode p =
                    report.path("variants").path(job).path("steadyPhase").path("percentilesMs");
            if (p.size() > 0) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (int i = 0; i < p.size(); i++) {
                    x.add(i + 1.0);
                    y.add(Math.max(0, p.get(i).asDouble()));
                }
                chart.addSeries(job, x, y);
                any = true;
            }
        }
        if (!any) {
            chart.addSeries("no job variant", new double[] {0}, new double[] {0});
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
