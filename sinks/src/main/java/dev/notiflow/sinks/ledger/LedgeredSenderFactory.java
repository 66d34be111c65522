package dev.notiflow.sinks.ledger;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;

import java.time.Duration;
import java.util.Objects;

/**
 * Wraps another {@link SenderFactory} so that each sender it creates checks and writes the send
 * ledger ({@link LedgeredSender}). Holds only the wrapped factory and the {@link JdbcSettings}
 * (which name the password's variable or file, never its value); the password is resolved in the
 * task when the ledger first connects.
 *
 * <pre>{@code
 * if (LedgerOptions.enabled(config)) {
 *     factory = new LedgeredSenderFactory(
 *             factory,
 *             LedgerOptions.jdbcSettings(config),
 *             LedgerOptions.timeout(config),
 *             LedgerOptions.batching(config));
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class LedgeredSenderFactory implements SenderFactory {

    private static final long serialVersionUID = 1L;

    private final SenderFactory inner;
    private final JdbcSettings settings;
    private final Duration timeout;
    private final LedgeredSender.Batching batching;

    public LedgeredSenderFactory(
            SenderFactory inner,
            JdbcSettings settings,
            Duration timeout,
            LedgeredSender.Batching batching) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.batching = Objects.requireNonNull(batching, "batching");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("ledger timeout must be positive: " + timeout);
        }
    }

    /** A factory with the {@link LedgeredSender.Batching#DEFAULT default batching}. */
    public LedgeredSenderFactory(SenderFactory inner, JdbcSettings settings, Duration timeout) {
        this(inner, settings, timeout, LedgeredSender.Batching.DEFAULT);
    }

    /** A factory with the {@link LedgeredSender#DEFAULT_TIMEOUT default timeout}. */
    public LedgeredSenderFactory(SenderFactory inner, JdbcSettings settings) {
        this(inner, settings, LedgeredSender.DEFAULT_TIMEOUT);
    }

    @Override
    public ChannelSender create() {
        return new LedgeredSender(inner.create(), settings, timeout, batching);
    }

    /** The wrapped factory. */
    public SenderFactory inner() {
        return inner;
    }
}
