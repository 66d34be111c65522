package dev.notiflow.sinks.ledger;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.jdbc.JdbcSettings;

import java.time.Duration;

/**
 * Configuration of the send ledger, keys prefixed {@code ledger.}. When {@link #ENABLED} is true,
 * every provider's sender is wrapped in a {@link LedgeredSender}, which uses the database named by
 * the {@code jdbc.*} options ({@link JdbcOptions}) and the table {@code send_ledger} (migration
 * {@code V3__send_ledger.sql}).
 *
 * <pre>{@code
 * ledger.enabled: true
 * ledger.timeout: 500 ms
 * ledger.batch-size: 500
 * ledger.batch-linger: 2 ms
 * jdbc.url: jdbc:postgresql://postgres:5432/notiflow
 * }</pre>
 *
 * <p>Holds constants only; thread-safe.
 */
public final class LedgerOptions {

    public static final ConfigOption<Boolean> ENABLED =
            ConfigOptions.key("ledger.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Record every accepted send in the send_ledger table of the jdbc.url"
                                    + " database and check it before each send, so a send replayed"
                                    + " after a failure is not repeated when its first attempt was"
                                    + " accepted. Fails open: sends go out when the database is"
                                    + " down or slow; but a database that refuses the password,"
                                    + " user or database name when a sender opens fails the job."
                                    + " Requires jdbc.url.");

    public static final ConfigOption<Duration> TIMEOUT =
            ConfigOptions.key("ledger.timeout")
                    .durationType()
                    .defaultValue(LedgeredSender.DEFAULT_TIMEOUT)
                    .withDescription(
                            "Longest run of a ledger lookup or write, counted from when it"
                                    + " starts (not while it queues behind others); after it the"
                                    + " send goes out (lookup) or its result is passed on (write)"
                                    + " without the ledger, which is then left alone for 5 s.");

    public static final ConfigOption<Integer> BATCH_SIZE =
            ConfigOptions.key("ledger.batch-size")
                    .intType()
                    .defaultValue(LedgeredSender.Batching.DEFAULT.size())
                    .withDescription(
                            "Most ledger lookups (and, separately, writes) of one sender run in one"
                                    + " statement: the sends in flight share a SELECT ... = ANY(?)"
                                    + " and a multi-row INSERT. 1 runs one statement per call."
                                    + " Within 1.."
                                    + LedgeredSender.Batching.MAX_SIZE
                                    + ".");

    public static final ConfigOption<Duration> BATCH_LINGER =
            ConfigOptions.key("ledger.batch-linger")
                    .durationType()
                    .defaultValue(LedgeredSender.Batching.DEFAULT.linger())
                    .withDescription(
                            "How long a ledger worker waits for more calls when fewer than"
                                    + " ledger.batch-size are queued; 0 runs what is queued at"
                                    + " once. Time in the queue, not counted by ledger.timeout;"
                                    + " it delays each send by up to twice this value. Within 0.."
                                    + LedgeredSender.Batching.MAX_LINGER.toMillis()
                                    + " ms.");

    private LedgerOptions() {}

    /**
     * The configured batching of ledger calls.
     *
     * @throws IllegalArgumentException naming the key whose value is out of range
     */
    public static LedgeredSender.Batching batching(ReadableConfig config) {
        int size = config.get(BATCH_SIZE);
        if (size < 1 || size > LedgeredSender.Batching.MAX_SIZE) {
            throw new IllegalArgumentException(
                    BATCH_SIZE.key()
                            + " must be within 1.."
                            + LedgeredSender.Batching.MAX_SIZE
                            + ", was "
                            + size);
        }
        Duration linger = config.get(BATCH_LINGER);
        if (linger.isNegative() || linger.compareTo(LedgeredSender.Batching.MAX_LINGER) > 0) {
            throw new IllegalArgumentException(
                    BATCH_LINGER.key()
                            + " must be within 0.."
                            + LedgeredSender.Batching.MAX_LINGER.toMillis()
                            + " ms, was "
                            + linger);
        }
        return new LedgeredSender.Batching(size, linger);
    }

    /** True when {@link #ENABLED} is set. */
    public static boolean enabled(ReadableConfig config) {
        return config.get(ENABLED);
    }

    /** The configured ledger timeout, checked to be positive. */
    public static Duration timeout(ReadableConfig config) {
        Duration timeout = config.get(TIMEOUT);
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException(TIMEOUT.key() + " must be positive, was " + timeout);
        }
        return timeout;
    }

    /**
     * The database settings of the ledger: the {@code jdbc.*} options.
     *
     * @throws IllegalArgumentException when {@code ledger.enabled} is true but {@code jdbc.url} is
     *     not set
     */
    public static JdbcSettings jdbcSettings(ReadableConfig config) {
        if (!JdbcOptions.enabled(config)) {
            throw new IllegalArgumentException(
                    ENABLED.key()
                            + " is true but "
                            + JdbcOptions.URL.key()
                            + " is not set: the send ledger needs the PostgreSQL database"
                            + " (set "
                            + JdbcOptions.URL.key()
                            + " or set "
                            + ENABLED.key()
                            + ": false)");
        }
        return JdbcOptions.settings(config);
    }
}
