package dev.notiflow.testkit.redis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Redis server for tests and the local run: {@code redis-server} started on a free loopback
 * port, in a temporary directory, with a password generated for it ({@code requirepass}), no
 * persistence, and stopped by {@link #close()}.
 *
 * <p>The binary is {@code $NOTIFLOW_REDIS_BIN}, else {@code redis-server} on the {@code PATH}, else
 * {@code /usr/bin/redis-server}. When none exists and this JVM runs as root with {@code apt-get}
 * available, the Debian package {@code redis-server} is installed first ({@code apt-get update},
 * then {@code apt-get install -y redis-server}), as the scripts do for PostgreSQL, so a fresh clone
 * depends on nothing started or installed by hand.
 *
 * <pre>{@code
 * try (LocalRedis redis = LocalRedis.start()) {
 *     RedisClient client = RedisClient.create(redis.uri());   // redis://:password@127.0.0.1:port
 *     ...
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #close()} is synchronized; the getters may be used from any thread.
 */
public final class LocalRedis implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalRedis.class);

    /** Path of a {@code redis-server} binary to use instead of the one found on the PATH. */
    public static final String ENV_BIN = "NOTIFLOW_REDIS_BIN";

    private static final String BINARY = "redis-server";
    private static final Path DEBIAN_BINARY = Path.of("/usr/bin/redis-server");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Process process;
    private final int port;
    private final String password;
    private final Path dir;
    private final Path passwordFile;
    private final Thread shutdownHook;
    private boolean closed;

    private LocalRedis(Process process, int port, String password, Path dir, Path passwordFile) {
        this.process = process;
        this.port = port;
        this.password = password;
        this.dir = dir;
        this.passwordFile = passwordFile;
        this.shutdownHook = new Thread(this::destroy, "local-redis-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a server on a free loopback port, installing {@code redis-server} when missing. */
    public static LocalRedis start() {
        Path binary = binary();
        int port = freePort();
        String password = newPassword();
        Path dir;
        try {
            dir = Files.createTempDirectory("notiflow-redis-");
            Path passwordFile = dir.resolve("password");
            Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(
                    passwordFile, PosixFilePermissions.fromString("rw-------"));
            Path conf = dir.resolve("redis.conf");
            Files.writeString(
                    conf,
                    String.join(
                            "\n",
                            "bind 127.0.0.1",
                            "port " + port,
                            "protected-mode yes",
                            "daemonize no",
                            "dir " + dir,
                            "save \"\"",
                            "appendonly no",
                            "databases 1",
                            "logfile \"\"",
                            "requirepass " + password,
                            ""),
                    StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
            Process process =
                    new ProcessBuilder(binary.toString(), conf.toString())
                            .redirectErrorStream(true)
                            .redirectOutput(dir.resolve("redis.log").toFile())
                            .start();
            LocalRedis redis = new LocalRedis(process, port, password, dir, passwordFile);
            try {
                redis.awaitReady();
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
            LOG.info("Redis started on 127.0.0.1:{} ({})", port, binary);
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
    }

    /** {@code redis://:<password>@127.0.0.1:<port>}: the form Lettuce's {@code RedisURI} reads. */
    public String uri() {
        return "redis://:" + password + "@127.0.0.1:" + port;
    }

    /**
     * {@code redis://127.0.0.1:<port>}, without the password (pass it from {@link
     * #passwordFile()}).
     */
    public String uriWithoutPassword() {
        return "redis://127.0.0.1:" + port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The password the server requires. */
    public String password() {
        return password;
    }

    /** A file holding {@link #password()} alone, readable by its owner only. */
    public Path passwordFile() {
        return passwordFile;
    }

    /** True while the server process runs. */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops the server and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        LOG.info("Redis on port {} stopped", port);
    }

    private void destroy() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        deleteRecursively(dir);
    }

    /** Waits until the server answers an authenticated PING with PONG. */
    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "redis-server exited with " + process.exitValue() + ": " + logTail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                s.setSoTimeout(2000);
                OutputStream out = s.getOutputStream();
                out.write(command("AUTH", password));
                out.write(command("PING"));
                out.flush();
                BufferedReader in =
                        new BufferedReader(
                                new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String auth = in.readLine();
                String pong = in.readLine();
                if ("+OK".equals(auth) && "+PONG".equals(pong)) {
                    return;
                }
                last = new IOException("unexpected answers " + auth + " / " + pong);
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while Redis started", e);
            }
        }
        throw new IllegalStateException(
                "Redis did not answer on port " + port + " within " + START_TIMEOUT + ": " + last);
    }

    private static byte[] command(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("redis.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** The binary to run; installs the Debian package when none is found and we may. */
    static Path binary() {
        String env = System.getenv(ENV_BIN);
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException(ENV_BIN + "=" + env + " is not an executable");
            }
            return p;
        }
        Path found = onPath();
        if (found != null) {
            return found;
        }
        install();
        found = onPath();
        if (found == null) {
            throw new IllegalStateException(
                    "redis-server was installed but is still not found on the PATH or in /usr/bin");
        }
        return found;
    }

    private static Path onPath() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    Path p = Path.of(dir, BINARY);
                    if (Files.isExecutable(p)) {
                        return p;
                    }
                }
            }
        }
        return Files.isExecutable(DEBIAN_BINARY) ? DEBIAN_BINARY : null;
    }

    private static synchronized void install() {
        if (onPath() != null) {
            return;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean apt = Files.isExecutable(Path.of("/usr/bin/apt-get"));
        if (!root || !apt) {
            throw new IllegalStateException(
                    "redis-server not found: install the Debian package redis-server"
                            + " (apt-get install -y redis-server) or set "
                            + ENV_BIN);
        }
        LOG.info("redis-server not found: installing it with apt-get");
        run(List.of("apt-get", "update", "-q"));
        run(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"));
    }

    private static void run(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            pb.redirectErrorStream(true);
            Path log = Files.createTempFile("notiflow-apt-", ".log");
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(
                        String.join(" ", command)
                                + " failed with "
                                + p.exitValue()
                                + ": "
                                + Files.readString(log));
            }
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String newPassword() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", root, e.toString());
        }
    }
}
