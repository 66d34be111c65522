package dev.notiflow.sandbox.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * Runs the repository's deployment scripts (scripts/cluster.sh, scripts/submit.sh) as a user would,
 * with an environment that isolates the test's cluster from a developer's one.
 */
final class Scripts {

    /** What a finished script printed; stdout carries its result (a job id, a savepoint path). */
    record Result(int exitCode, String stdout, String stderr) {
        String lastLine() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    private final Path root;
    private final Map<String, String> env;

    Scripts(Path root, Map<String, String> env) {
        this.root = root;
        this.env = env;
    }

    /**
     * The environment of a test's own cluster: its directory under {@code flinkHome} (kept in
     * target/ for its logs), the classpath file the build wrote, and ports of its own.
     */
    static Map<String, String> clusterEnv(Path root, Path flinkHome, int restPort)
            throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NOTIFLOW_FLINK_HOME", flinkHome.toString());
        env.put("FLINK_CLASSPATH_FILE", root.resolve(".local/flink/classpath.txt").toString());
        env.put("FLINK_REST_PORT", Integer.toString(restPort));
        env.put("FLINK_RPC_PORT", Integer.toString(freePort()));
        env.put("FLINK_START_TIMEOUT", "240");
        return env;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Cancels the jobs and stops the cluster, whatever each step answers. */
    void cancelAndStop(Duration timeout, Iterable<String> jobs)
            throws IOException, InterruptedException {
        for (String job : jobs) {
            run(timeout, "submit.sh", "cancel", job);
        }
        run(timeout, "cluster.sh", "stop");
    }

    /** The repository root: the first parent holding scripts/cluster.sh. */
    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/cluster.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "scripts/cluster.sh not found above the working directory");
        }
        return dir;
    }

    /** The cluster job jar built by the job module's package phase. */
    static Path shadedJobJar(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        Path target = root.resolve("job/target");
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> jars =
                    Files.newDirectoryStream(target, "notiflow-job-*-shaded.jar")) {
                jars.forEach(found::add);
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException(
                    "expected one shaded job jar in "
                            + target
                            + ", found "
                            + found
                            + ": build it with mvn -pl job package -DskipTests");
        }
        return found.get(0);
    }

    /**
     * Copies the shaded job jar to {@code target}, retrying while the copy is not a complete jar
     * with the job's main class (another build may be rewriting job/target at that moment).
     */
    static Path copyShadedJobJar(Path root, Path target) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            Files.copy(shadedJobJar(root), target, StandardCopyOption.REPLACE_EXISTING);
            try (JarFile jar = new JarFile(target.toFile())) {
                if (jar.getEntry("dev/notiflow/job/NotificationJob.class") != null) {
                    return target;
                }
            } catch (IOException incomplete) {
                if (attempt >= 10) {
                    throw incomplete;
                }
            }
            if (attempt >= 10) {
                throw new IllegalStateException(
                        "no complete job jar with NotificationJob in job/target");
            }
            Thread.sleep(3_000);
        }
    }

    Result run(Duration timeout, String script, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(root.resolve("scripts").resolve(script).toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        builder.environment().putAll(env);
        Path out = Files.createTempFile("script-", ".out");
        Path err = Files.createTempFile("script-", ".err");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(
                        script
                                + " "
                                + String.join(" ", args)
                                + " did not finish in "
                                + timeout
                                + "\n"
                                + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a script and returns its last stdout line; fails with its stderr when it fails. */
    String succeed(Duration timeout, String script, String... args)
            throws IOException, InterruptedException {
        Result result = run(timeout, script, args);
        if (result.exitCode() != 0) {
            throw new AssertionError(
                    script
                            + " "
                            + String.join(" ", args)
                            + " exited with "
                            + result.exitCode()
                            + "\n--- stderr ---\n"
                            + result.stderr()
                            + "\n--- stdout ---\n"
                            + result.stdout());
        }
        return result.lastLine();
    }
}
