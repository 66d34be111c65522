package dev.notiflow.testkit.kafka;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that runs one {@link LocalKafka} broker per test class.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
 *
 * @Test
 * void shouldReadWhatWasProduced() {
 *     KAFKA.kafka().produce("t", "k", "v");
 * }
 * }</pre>
 *
 * <p>Registered on a static field, the broker starts before the first test and stops after the last
 * one; on an instance field it starts and stops around each test. Topics therefore survive between
 * the tests of a class: use distinct topic names per test. Not meant to be shared between test
 * classes running in parallel.
 */
public final class KafkaExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final LocalKafka.Builder builder;
    private LocalKafka kafka;
    private boolean perTest;

    /** A broker with default settings on a free port. */
    public KafkaExtension() {
        this(LocalKafka.builder());
    }

    /** A broker built from the given builder (e.g. with extra broker settings). */
    public KafkaExtension(LocalKafka.Builder builder) {
        this.builder = builder;
    }

    /** The running broker; only valid while tests of the class run. */
    public LocalKafka kafka() {
        if (kafka == null) {
            throw new IllegalStateException("the Kafka broker is not running outside of tests");
        }
        return kafka;
    }

    /** Shortcut for {@code kafka().bootstrapServers()}. */
    public String bootstrapServers() {
        return kafka().bootstrapServers();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        kafka = builder.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (kafka == null) {
            perTest = true;
            kafka = builder.start();
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
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
