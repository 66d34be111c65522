package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A JFR recording (settings "profile") of the job variant, and its top frames summarised. */
final class BenchmarkJfr {

    private static final int TOP = 25;

    private final Recording recording;

    private BenchmarkJfr(Recording recording) {
        this.recording = recording;
    }

    static BenchmarkJfr start() throws IOException, ParseException {
        Recording recording = new Recording(Configuration.getConfiguration("profile"));
        recording.setName("notiflow-bench");
        recording.start();
        return new BenchmarkJfr(recording);
    }

    /** Stops, writes the .jfr and returns the top frames and threads of its execution samples. */
    ObjectNode stop(Path file) throws IOException {
        recording.stop();
        recording.dump(file);
        recording.close();
        Map<String, Integer> frames = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        long compilerMillis = 0;
        int compilations = 0;
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            if (type.equals("jdk.ExecutionSample")) {
                samples++;
                RecordedStackTrace stack = e.getStackTrace();
                if (stack != null && !stack.getFrames().isEmpty()) {
                    RecordedFrame top = stack.getFrames().get(0);
                    frames.merge(
                            top.getMethod().getType().getName() + "." + top.getMethod().getName(),
                            1,
                            Integer::sum);
                }
                if (e.getThread("sampledThread") != null) {
                    String name = e.getThread("sampledThread").getJavaName();
                    threads.merge(
                            name == null ? "?" : name.replaceAll("[0-9]+", "#"), 1, Integer::sum);
                }
            } else if (type.equals("jdk.Compilation")) {
                compilations++;
                compilerMillis += e.getDuration().toMillis();
            }
        }
        ObjectNode r = Benchmark.JSON.createObjectNode();
        r.put("file", file.getFileName().toString());
        r.put("executionSamples", samples);
        r.put("compilations", compilations);
        r.put("compilationMillis", compilerMillis);
        r.set("topFrames", top(frames, samples));
        r.set("topThreads", top(threads, samples));
        Benchmark.say("JFR %s: %d execution samples; top frames:", file, samples);
        for (var f : r.get("topFrames")) {
            Benchmark.say("  %5.1f%%  %s", f.get("share").asDouble() * 100, f.get("name").asText());
        }
        return r;
    }

    private static ArrayNode top(Map<String, Integer> counts, int total) {
        ArrayNode list = Benchmark.JSON.createArrayNode();
        List<Map.Entry<String, Integer>> sorted =
                counts.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .limit(TOP)
                        .toList();
        for (Map.Entry<String, Integer> e : sorted) {
            ObjectNode f = list.addObject();
            f.put("name", e.getKey());
            f.put("samples", e.getValue());
            f.put("share", Math.round(1000.0 * e.getValue() / Math.max(1, total)) / 1000.0);
        }
        return list;
    }
}
