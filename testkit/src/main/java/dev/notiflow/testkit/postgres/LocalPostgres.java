package dev.notiflow.testkit.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests and the local run: a private instance made with {@code initdb}
 * and run with {@code pg_ctl} in a scratch directory, on its own port, listening on 127.0.0.1 only,
 * with a database {@value #DATABASE}.
 *
 * <p>The server is tuned for tests ({@code fsync=off}, {@code synchronous_commit=off}) and allows
 * {@code max_prepared_transactions=10} so XA (two-phase) sinks work. Authentication is {@code
 * scram-sha-256}, as on a real deployment: {@code initdb} gets a password generated for this
 * server, which {@link #password()} returns and {@link #passwordFile()} holds (readable by its
 * owner only), so a test that connects without it, or with another one, is refused. PostgreSQL
 * refuses to run as root, so when this JVM runs as root the binaries run as the {@code postgres} OS
 * user (via {@code runuser}) and the scratch directory belongs to that user.
 *
 * <p>The binaries are taken from {@code $NOTIFLOW_PG_BIN}, else {@code pg_config --bindir}, else
 * the newest {@code /usr/lib/postgresql/<version>/bin}, else {@code initdb} on the {@code PATH}.
 *
 * <p>When the environment variable {@value #ENV_URL} is set (with {@value #ENV_USER} and {@value
 * #ENV_PASSWORD}), no server is started and that external server is used instead; {@link #stop()}
 * and {@link #startAgain()} are then unsupported (see {@link #isExternal()}); its password is
 * written to a temporary {@link #passwordFile()} all the same.
 *
 * <pre>{@code
 * try (LocalPostgres pg = LocalPostgres.start();
 *         Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password())) {
 *     c.createStatement().execute("CREATE TABLE t (id TEXT PRIMARY KEY)");
 * }
 * pg.jdbcOptions().forEach(config::setString);   // jdbc.url, jdbc.user, jdbc.password-file
 * }</pre>
 *
 * <p>Thread-safety: the lifecycle methods are synchronized; the getters may be used from any
 * thread.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPostgres.class);

    /** The database created in a private server, and named by {@link #jdbcUrl()}. */
    public static final String DATABASE = "notiflow";

    /** JDBC URL of an external server to use instead of starting one. */
    public static final String ENV_URL = "NOTIFLOW_PG_URL";

    /** User for {@value #ENV_URL} (default {@code postgres}). */
    public static final String ENV_USER = "NOTIFLOW_PG_USER";

    /** Password for {@value #ENV_URL} (default empty). */
    public static final String ENV_PASSWORD = "NOTIFLOW_PG_PASSWORD";

    /** Directory holding {@code initdb} and {@code pg_ctl}, to override the discovery. */
    public static final String ENV_BIN = "NOTIFLOW_PG_BIN";

    private static final String SUPERUSER = "notiflow";
    private static final String PASSWORD_FILE = "password";
    private static final String OS_USER = "postgres";
    private static final String TEMP_PREFIX = "notiflow-pg-";
    private static final String OWNER_FILE = "owner.pid";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final String MISSING =
            "install postgresql (scripts/test.sh does it, or: apt-get install -y postgresql)";

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final Path passwordFile;
    private final int port;
    private final Path binDir;
    private final Path rootDir;
    private final boolean deleteRootDir;
    private final boolean asPostgresUser;
    private boolean running;
    private boolean closed;
    private Thread shutdownHook;

    private LocalPostgres(
            String jdbcUrl,
            String user,
            String password,
            Path passwordFile,
            int port,
            Path binDir,
            Path rootDir,
            boolean deleteRootDir,
            boolean asPostgresUser) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.passwordFile = passwordFile;
        this.port = port;
        this.binDir = binDir;
        this.rootDir = rootDir;
        this.deleteRootDir = deleteRootDir;
        this.asPostgresUser = asPostgresUser;
    }

    /**
     * Uses {@value #ENV_URL} if set; otherwise creates a private server on a free port, starts it
     * and creates the database {@value #DATABASE}.
     */
    public static LocalPostgres start() {
        return builder().start();
    }

    /** A builder to choose the port or the directory, or to ignore {@value #ENV_URL}. */
    public static Builder builder() {
        return new Builder();
    }

    /** JDBC URL of the database {@value #DATABASE} (or the external URL). */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** JDBC URL of another database on the same private server. */
    public String jdbcUrl(String database) {
        requirePrivate("jdbcUrl(database)");
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String user() {
        return user;
    }

    /** The password: generated for a private server, {@value #ENV_PASSWORD} for an external one. */
    public String password() {
        return password;
    }

    /**
     * A file holding {@link #password()} and nothing else, readable by its owner only, for the
     * {@code jdbc.password-file} key; it lives as long as this server.
     */
    public Path passwordFile() {
        return passwordFile;
    }

    /**
     * The job's {@code jdbc.*} keys for this server, as a deployment sets them: {@code jdbc.url},
     * {@code jdbc.user} and {@code jdbc.password-file} (so the password is read where the
     * connection opens, never put in the configuration).
     */
    public Map<String, String> jdbcOptions() {
        return Map.of(
                "jdbc.url",
                jdbcUrl,
                "jdbc.user",
                user,
                "jdbc.password-file",
                passwordFile.toString());
    }

    /** The TCP port of a private server; -1 for an external one. */
    public int port() {
        return port;
    }

    /** True when {@value #ENV_URL} named an external server. */
    public boolean isExternal() {
        return rootDir == null;
    }

    /** True while a private server is running (always true for an external one). */
    public synchronized boolean isRunning() {
        return isExternal() || running;
    }

    /** Opens a new connection to {@link #jdbcUrl()}; the caller closes it. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, user, password);
    }

    /**
     * Creates another database on the private server (e.g. one per test class), if missing, and
     * returns its JDBC URL.
     */
    public String createDatabase(String database) {
        requirePrivate("createDatabase");
        if (!database.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException(
                    "database name must match [a-z_][a-z0-9_]*: " + database);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user, password);
                Statement s = c.createStatement()) {
            boolean exists;
            try (var rs =
                    s.executeQuery(
                            "SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
                exists = rs.next();
            }
            if (!exists) {
                s.execute("CREATE DATABASE " + database);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + database, e);
        }
        return jdbcUrl(database);
    }

    /**
     * Stops the private server (fast shutdown: open connections are closed), keeping its data.
     * Clients then get "connection refused" until {@link #startAgain()}.
     */
    public synchronized void stop() {
        requirePrivate("stop");
        if (!running) {
            return;
        }
        pgCtl("stop", "-m", "fast");
        running = false;
        LOG.info("PostgreSQL on port {} stopped", port);
    }

    /** Starts the private server again, on the same port and with the same data. */
    public synchronized void startAgain() {
        requirePrivate("startAgain");
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (running) {
            return;
        }
        startServer();
    }

    /** Stops a private server and deletes its scratch directory (unless it was given). */
    @Override
    public synchronized void close() {
        if (closed || isExternal()) {
            if (!closed) {
                deleteRecursively(passwordFile);
            }
            closed = true;
            return;
        }
        closed = true;
        try {
            if (running) {
                pgCtl("stop", "-m", "fast");
                running = false;
            }
        } finally {
            removeShutdownHook();
            if (deleteRootDir) {
                deleteRecursively(rootDir);
            }
        }
        LOG.info("PostgreSQL on port {} closed", port);
    }

    @Override
    public String toString() {
        return isExternal() ? "LocalPostgres[external]" : "LocalPostgres[127.0.0.1:" + port + "]";
    }

    private Path dataDir() {
        return rootDir.resolve("data");
    }

    private void startServer() {
        long startNanos = System.nanoTime();
        pgCtl("start", "-l", rootDir.resolve("postgres.log").toString());
        running = true;
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::stopOnExit, "local-postgres-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        LOG.info(
                "PostgreSQL started on 127.0.0.1:{} in {} ms",
                port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    private void stopOnExit() {
        synchronized (this) {
            if (running) {
                try {
                    pgCtl("stop", "-m", "immediate");
                } catch (RuntimeException e) {
                    // the JVM is exiting; nothing else to do
                }
                running = false;
            }
        }
    }

    private void removeShutdownHook() {
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
            shutdownHook = null;
        }
    }

    private void pgCtl(String action, String... extra) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binDir.resolve("pg_ctl").toString());
        cmd.add(action);
        cmd.add("-D");
        cmd.add(dataDir().toString());
        cmd.add("-w");
        cmd.add("-t");
        cmd.add("60");
        cmd.addAll(List.of(extra));
        run(cmd, asPostgresUser);
    }

    private void requirePrivate(String what) {
        if (isExternal()) {
            throw new UnsupportedOperationException(
                    what + " is not possible on the external server named by " + ENV_URL);
        }
    }

    /** Runs a command (as the postgres OS user if asked); fails with its output on error. */
    static String run(List<String> command, boolean asPostgresUser) {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", OS_USER, "--"));
        }
        full.addAll(command);
        Path output = null;
        try {
            output = Files.createTempFile("notiflow-pg-cmd-", ".out");
            // Output goes to a file, not a pipe: pg_ctl leaves a server running that must not
            // hold our pipe open.
            Process process =
                    new ProcessBuilder(full)
                            .redirectErrorStream(true)
                            .redirectOutput(output.toFile())
                            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                            .directory(new File("/"))
                            .start();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(
                        "timed out after " + COMMAND_TIMEOUT + ": " + String.join(" ", full));
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(
                        "command failed (exit "
                                + process.exitValue()
                                + "): "
                                + String.join(" ", full)
                                + "\n"
                                + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", full), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", full), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    LOG.debug("Could not delete {}", output, e);
                }
            }
        }
    }

    /** Finds the directory with initdb and pg_ctl, or fails saying what to install. */
    static Path findBinDir(Map<String, String> env) {
        String fromEnv = env.get(ENV_BIN);
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path dir = Path.of(fromEnv);
            if (hasServerBinaries(dir)) {
                return dir;
            }
            throw new IllegalStateException(
                    "initdb not found in " + ENV_BIN + "=" + fromEnv + ": " + MISSING);
        }
        Optional<Path> fromPgConfig = pgConfigBinDir();
        if (fromPgConfig.isPresent() && hasServerBinaries(fromPgConfig.get())) {
            return fromPgConfig.get();
        }
        Optional<Path> newest = newestDebianBinDir(Path.of("/usr/lib/postgresql"));
        if (newest.isPresent()) {
            return newest.get();
        }
        String path = env.getOrDefault("PATH", "");
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path initdb = Path.of(entry, "initdb");
            if (Files.isExecutable(initdb)) {
                try {
                    Path dir = initdb.toRealPath().getParent();
                    if (hasServerBinaries(dir)) {
                        return dir;
                    }
                } catch (IOException e) {
                    LOG.debug("Cannot resolve {}", initdb, e);
                }
            }
        }
        throw new IllegalStateException(
                "initdb not found (looked in $"
                        + ENV_BIN
                        + ", pg_config --bindir, /usr/lib/postgresql/*/bin and PATH): "
                        + MISSING);
    }

    /** The bin directory of the highest version under a Debian-style root, if any. */
    static Optional<Path> newestDebianBinDir(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(v -> hasServerBinaries(v.resolve("bin")))
                    .max((a, b) -> compareVersionKeys(versionKey(a), versionKey(b)))
                    .map(v -> v.resolve("bin"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static List<Integer> versionKey(Path versionDir) {
        List<Integer> key = new ArrayList<>();
        Matcher m = Pattern.compile("\\d+").matcher(versionDir.getFileName().toString());
        while (m.find()) {
            key.add(Integer.parseInt(m.group()));
        }
        return key;
    }

    private static int compareVersionKeys(List<Integer> a, List<Integer> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = Integer.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static boolean hasServerBinaries(Path dir) {
        return Files.isExecutable(dir.resolve("initdb"))
                && Files.isExecutable(dir.resolve("pg_ctl"));
    }

    private static Optional<Path> pgConfigBinDir() {
        try {
            Process process =
                    new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out =
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0) {
                return Optional.of(Path.of(out.trim()));
            }
        } catch (IOException e) {
            LOG.debug("pg_config not available", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Stops and deletes temporary servers whose JVM died without closing them (e.g. a test fork
     * killed on timeout), so they do not pile up on the machine.
     */
    private static void reapAbandoned(Path binDir, boolean asPostgresUser) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> dirs = Files.list(tmp)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                if (!dir.getFileName().toString().startsWith(TEMP_PREFIX)
                        || !Files.isRegularFile(dir.resolve(OWNER_FILE))) {
                    continue;
                }
                long owner;
                try {
                    owner = Long.parseLong(Files.readString(dir.resolve(OWNER_FILE)).trim());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                LOG.info(
                        "Removing the abandoned PostgreSQL in {} (its JVM {} is gone)", dir, owner);
                if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
                    try {
                        run(
                                List.of(
                                        binDir.resolve("pg_ctl").toString(),
                                        "stop",
                                        "-D",
                                        dir.resolve("data").toString(),
                                        "-m",
                                        "immediate",
                                        "-w"),
                                asPostgresUser);
                    } catch (RuntimeException e) {
                        LOG.debug("Could not stop the abandoned PostgreSQL in {}", dir, e);
                    }
                }
                deleteRecursively(dir);
            }
        } catch (IOException e) {
            LOG.debug("Could not look for abandoned PostgreSQL servers in {}", tmp, e);
        }
    }

    /** 24 random characters of the URL-safe Base64 alphabet (144 bits). */
    static String generatePassword() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private static void chownRecursively(Path dir, String owner) throws IOException {
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal principal;
        try {
            principal = lookup.lookupPrincipalByName(owner);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "OS user '"
                            + owner
                            + "' not found, needed to run PostgreSQL as root: "
                            + MISSING,
                    e);
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Files.setOwner(p, principal);
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}", dir, e);
        }
    }

    /**
     * Options for {@link LocalPostgres}. Not thread-safe.
     *
     * <pre>{@code
     * LocalPostgres pg = LocalPostgres.builder().port(55432).ignoreEnvironment().start();
     * }</pre>
     */
    public static final class Builder {
        private int port;
        private Path directory;
        private boolean ignoreEnvironment;
        private Map<String, String> env = System.getenv();

        private Builder() {}

        /** Fixed TCP port on 127.0.0.1; 0 (default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Scratch directory for the server (its data in {@code data/}, its log in {@code
         * postgres.log}); it must be missing or empty, and is kept on close. Default: a new
         * directory under the system temp dir, deleted on close.
         */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** Always start a private server, even when {@value #ENV_URL} is set. */
        public Builder ignoreEnvironment() {
            this.ignoreEnvironment = true;
            return this;
        }

        Builder environment(Map<String, String> env) {
            this.env = env;
            return this;
        }

        /** Starts the server (or connects to the external one) and creates the database. */
        public LocalPostgres start() {
            String externalUrl = env.get(ENV_URL);
            if (!ignoreEnvironment && externalUrl != null && !externalUrl.isBlank()) {
                LOG.info("Using the external PostgreSQL named by {}", ENV_URL);
                String externalPassword = env.getOrDefault(ENV_PASSWORD, "");
                Path externalPasswordFile;
                try {
                    externalPasswordFile =
                            Files.createTempFile(
                                    "notiflow-pg-password-",
                                    "",
                                    PosixFilePermissions.asFileAttribute(
                                            PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(externalPasswordFile, externalPassword);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the password file", e);
                }
                return new LocalPostgres(
                        externalUrl,
                        env.getOrDefault(ENV_USER, "postgres"),
                        externalPassword,
                        externalPasswordFile,
                        -1,
                        null,
                        null,
                        false,
                        false);
            }
            Path binDir = findBinDir(env);
            boolean asPostgresUser = isRoot();
            String password = generatePassword();
            int serverPort = port == 0 ? freePort() : port;
            boolean temporary = directory == null;
            Path root;
            try {
                if (temporary) {
                    reapAbandoned(binDir, asPostgresUser);
                    root = Files.createTempDirectory(TEMP_PREFIX);
                    Files.writeString(
                            root.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
                } else {
                    root = Files.createDirectories(directory).toAbsolutePath();
                    try (Stream<Path> entries = Files.list(root)) {
                        if (entries.findAny().isPresent()) {
                            throw new IllegalStateException(
                                    "PostgreSQL directory is not empty: " + root);
                        }
                    }
                }
                Files.writeString(
                        Files.createFile(
                                root.resolve(PASSWORD_FILE),
                                PosixFilePermissions.asFileAttribute(
                                        PosixFilePermissions.fromString("rw-------"))),
                        password + "\n");
                if (asPostgresUser) {
                    chownRecursively(root, OS_USER);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare a PostgreSQL directory", e);
            }
            LocalPostgres pg =
                    new LocalPostgres(
                            "jdbc:postgresql://127.0.0.1:" + serverPort + "/" + DATABASE,
                            SUPERUSER,
                            password,
                            root.resolve(PASSWORD_FILE),
                            serverPort,
                            binDir,
                            root,
                            temporary,
                            asPostgresUser);
            try {
                pg.initialize();
                synchronized (pg) {
                    pg.startServer();
                }
                pg.createDatabase(DATABASE);
            } catch (RuntimeException e) {
                pg.close();
                if (!temporary) {
                    LOG.warn("PostgreSQL failed to start; its log is in {}", root);
                }
                throw e;
            }
            return pg;
        }
    }

    private void initialize() {
        run(
                List.of(
                        binDir.resolve("initdb").toString(),
                        "-D",
                        dataDir().toString(),
                        "-U",
                        SUPERUSER,
                        "--auth=scram-sha-256",
                        "--pwfile=" + passwordFile,
                        "--encoding=UTF8",
                        "--locale=C",
                        "--no-sync"),
                asPostgresUser);
        String settings =
                String.join(
                        "\n",
                        "",
                        "# notiflow private test server",
                        "listen_addresses = '127.0.0.1'",
                        "port = " + port,
                        "unix_socket_directories = '" + rootDir + "'",
                        "max_connections = 100",
                        "max_prepared_transactions = 10",
                        "shared_buffers = 32MB",
                        "fsync = off",
                        "synchronous_commit = off",
                        "full_page_writes = off",
                        "log_min_messages = warning",
                        "");
        try {
            Files.writeString(
                    dataDir().resolve("postgresql.conf"),
                    settings,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot configure PostgreSQL", e);
        }
        LOG.info("Initialized a private PostgreSQL in {} with {}", rootDir, binDir);
    }
}
