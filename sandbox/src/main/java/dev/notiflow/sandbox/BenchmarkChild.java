package dev.notiflow.sandbox;

import dev.notiflow.testkit.CompilerCpu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of its own for a part of the benchmark that must not be measured as the job's cost (the
 * local providers, the broker): same Java and class path, its own heap, its output in a log file
 * beside the report. Its CPU time and peak RSS are read from {@code /proc}.
 */
final class BenchmarkChild implements AutoCloseable {

    private final String name;
    private final Process process;
    private final PrintWriter stdin;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> ready = new LinkedBlockingQueue<>();
    private String readyLine;

    private BenchmarkChild(String name, Process process, Path log, String readyPrefix)
            throws IOException {
        this.name = name;
        this.process = process;
        this.stdin =
                new PrintWriter(
                        new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8),
                        true);
        Writer logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader out =
                                            new BufferedReader(
                                                    new InputStreamReader(
                                                            process.getInputStream(),
                                                            StandardCharsets.UTF_8));
                                    logWriter) {
                                for (String line = out.readLine();
                                        line != null;
                                        line = out.readLine()) {
                                    int at = line.indexOf(readyPrefix);
                                    if (at >= 0) {
                                        // From the prefix on, whatever logged the line before it.
                                        ready.add(line.substring(at));
                                    } else if (line.startsWith("stats ") || line.equals("reset")) {
                                        replies.add(line);
                                    } else {
                                        logWriter.write(line);
                                        logWriter.write('\n');
                                        logWriter.flush();
                                    }
                                }
                            } catch (IOException e) {
                                // the child is gone
                            }
                        },
                        "bench-child-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} in a new JVM and waits until it prints a line holding {@code
     * readyPrefix} (at its start, or after a log line's time and logger).
     */
    static BenchmarkChild start(
            String name,
            String mainClass,
            List<String> args,
            String extraClasspath,
            String heap,
            Path log,
            String readyPrefix,
            Duration timeout)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.add("-XX:+UseParallelGC");
        // Compiler threads that come and go take their CPU counts with them (CompilerCpu).
        command.add("-XX:-UseDynamicNumberOfCompilerThreads");
        command.add("-Dlog4j2.level=WARN");
        command.add("-cp");
        command.add(
                extraClasspath.isEmpty()
                        ? System.getProperty("java.class.path")
                        : extraClasspath
                                + java.io.File.pathSeparator
                                + System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        Process process =
                new ProcessBuilder(command)
                        .redirectError(log.resolveSibling(log.getFileName() + ".err").toFile())
                        .start();
        BenchmarkChild child = new BenchmarkChild(name, process, log, readyPrefix);
        String line = child.ready.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
            child.close();
            throw new IllegalStateException(
                    name + " did not start within " + timeout + "; see " + log + " and .err");
        }
        child.readyLine = line;
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        return child;
    }

    /**
     * This JVM's class path; under a test runner that starts with a manifest-only jar (Maven's
     * surefire and failsafe), the entries of that jar's {@code Class-Path}.
     */
    static String classPath() {
        String cp = System.getProperty("java.class.path");
        String[] parts = cp.split(java.io.File.pathSeparator);
        if (parts.length != 1 || !parts[0].endsWith(".jar")) {
            return cp;
        }
        Path jar = Path.of(parts[0]).toAbsolutePath();
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest manifest = file.getManifest();
            String entries =
                    manifest == null
                            ? null
                            : manifest.getMainAttributes()
                                    .getValue(java.util.jar.Attributes.Name.CLASS_PATH);
            if (entries == null || entries.isBlank()) {
                return cp;
            }
            List<String> paths = new ArrayList<>();
            for (String entry : entries.trim().split("\\s+")) {
                paths.add(
                        entry.startsWith("file:")
                                ? Path.of(java.net.URI.create(entry)).toString()
                                : jar.getParent()
                                        .resolve(
                                                java.net.URLDecoder.decode(
                                                        entry, StandardCharsets.UTF_8))
                                        .normalize()
                                        .toString());
            }
            return String.join(java.io.File.pathSeparator, paths);
        } catch (IOException | RuntimeException e) {
            return cp;
        }
    }

    /** The line the child printed when it was ready. */
    String readyLine() {
        return readyLine;
    }

    /** Asks the child to stop (SIGTERM) without waiting for it; {@link #close()} still waits. */
    void terminate() {
        process.destroy();
    }

    long pid() {
        return process.pid();
    }

    /**
     * Sends a command the child answers with one line ({@code stats}, {@code reset}); {@code null}
     * when it did not answer in time.
     */
    String command(String command) throws InterruptedException {
        replies.clear();
        stdin.println(command);
        return replies.poll(10, TimeUnit.SECONDS);
    }

    /** The {@code key=value} pairs of the child's {@code stats} line, empty if none. */
    Map<String, Long> stats() throws InterruptedException {
        Map<String, Long> stats = new LinkedHashMap<>();
        String line = command("stats");
        if (line != null) {
            for (String part : line.substring("stats ".length()).split(" ")) {
                String[] kv = part.split("=");
                stats.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return stats;
    }

    /** CPU time (user + system) of the child process so far, from /proc, in nanoseconds. */
    long cpuNanos() {
        return procCpuNanos(process.pid());
    }

    /** The child's peak resident set (VmHWM) in MB, from /proc, or -1. */
    long peakRssMb() {
        return procStatusKb(process.pid(), "VmHWM:") >> 10;
    }

    /** Resets the child's peak RSS to its current RSS (Linux {@code clear_refs}). */
    void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/" + process.pid() + "/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux or not allowed
        }
    }

    static long procCpuNanos(long pid) {
        try {
            return CompilerCpu.statCpuNanos(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long procStatusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1024;
    }

    @Override
    public void close() {
        try {
            stdin.println("stop");
        } catch (RuntimeException e) {
            // already gone
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
