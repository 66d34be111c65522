package dev.notiflow.testkit.redis;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that runs one {@link LocalRedis} per test class (on a static field) or per test
 * (on an instance field).
 *
 * <pre>{@code
 * @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
 *
 * @Test
 * void shouldRegister() {
 *     RedisClient client = RedisClient.create(REDIS.uri());
 * }
 * }</pre>
 */
public final class RedisExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private LocalRedis redis;
    private boolean perTest;

    /** The running server; only valid while tests run. */
    public LocalRedis redis() {
        if (redis == null) {
            throw new IllegalStateException("Redis is not running outside of tests");
        }
        return redis;
    }

    /** Shortcut for {@code redis().uri()}: the URI with the password. */
    public String uri() {
        return redis().uri();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        redis = LocalRedis.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (redis == null) {
            perTest = true;
            redis = LocalRedis.start();
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
        if (redis != null) {
            redis.close();
            redis = null;
        }
    }
}
