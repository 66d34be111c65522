package dev.notiflow.testkit.postgres;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Map;

/**
 * JUnit 5 extension that runs one {@link LocalPostgres} per test class (or uses the external server
 * named by {@value LocalPostgres#ENV_URL}).
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresExtension PG = new PostgresExtension();
 *
 * @Test
 * void shouldStoreDeliveries() throws Exception {
 *     try (Connection c = PG.postgres().connect()) { ... }
 *     PG.jdbcOptions().forEach(config::setString);   // a job's jdbc.* keys, password in a file
 * }
 * }</pre>
 *
 * <p>Registered on a static field, the server starts before the first test and stops after the last
 * one; on an instance field it starts and stops around each test. Tables survive between the tests
 * of a class. If a test left the server stopped ({@link LocalPostgres#stop()}), it is started again
 * before the next test.
 */
public final class PostgresExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final LocalPostgres.Builder builder;
    private LocalPostgres postgres;
    private boolean perTest;

    /**
     * A private server on a free port, or the external one if {@value LocalPostgres#ENV_URL} is
     * set.
     */
    public PostgresExtension() {
        this(LocalPostgres.builder());
    }

    /** A server built from the given builder. */
    public PostgresExtension(LocalPostgres.Builder builder) {
        this.builder = builder;
    }

    /** The running server; only valid while tests of the class run. */
    public LocalPostgres postgres() {
        if (postgres == null) {
            throw new IllegalStateException("PostgreSQL is not running outside of tests");
        }
        return postgres;
    }

    /** Shortcut for {@code postgres().jdbcUrl()}. */
    public String jdbcUrl() {
        return postgres().jdbcUrl();
    }

    /**
     * Shortcut for {@code postgres().jdbcOptions()}: the {@code jdbc.url}, {@code jdbc.user} and
     * {@code jdbc.password-file} keys of the server, which checks passwords.
     */
    public Map<String, String> jdbcOptions() {
        return postgres().jdbcOptions();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        postgres = builder.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (postgres == null) {
            perTest = true;
            postgres = builder.start();
        } else if (!postgres.isRunning()) {
            postgres.startAgain();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    private void stop() {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }
}
