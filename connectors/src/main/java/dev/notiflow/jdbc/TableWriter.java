package dev.notiflow.jdbc;

import org.apache.flink.connector.jdbc.datasource.connections.JdbcConnectionProvider;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.serde.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Serializable;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Writes rows into one table with a prepared upsert, in batches, and emits a {@link DeadLetter} of
 * kind {@value DeadLetter#TABLE} for every row the database refuses for its content, while the
 * other rows of the batch are written. So one bad row never fails the task, never restarts the job
 * into a loop, and never leaves a silent gap: it is on the DLQ with the SQLState and the database's
 * message.
 *
 * <p>A batch is flushed when it holds {@link JdbcSettings#batchSize()} rows, when its oldest row
 * waited {@link JdbcSettings#batchInterval()}, before every checkpoint barrier, and at the end of
 * the input; a checkpoint therefore completes only after its rows are in the table and its refused
 * rows were emitted (at-least-once, like Flink's JDBC sink; the statements are upserts).
 *
 * <p>A batch the database refuses with SQLState class 22 (data exception, e.g. 22021 invalid byte
 * sequence, 22001 value too long) or 23 (integrity constraint violation, e.g. 23502 not null) is
 * written again row by row: each refused row becomes a dead letter, the others are written. A row
 * that cannot even be bound (a {@link RuntimeException} from {@link Rows#bind}) counts as refused
 * too. Any other failure (connection lost, database down, serialization failure) is retried as
 * Flink's JDBC sink does: up to {@link JdbcSettings#maxRetries()} times, re-establishing the
 * connection first when it is no longer valid (which waits for the database, see {@link
 * JdbcSettings#connectionProvider()}), then the task fails and restarts from its last checkpoint.
 *
 * <pre>{@code
 * DataStream<DeadLetter> refused =
 *         deliveries
 *                 .transform("Deliveries table", TypeInformation.of(DeadLetter.class),
 *                         new TableWriter<>(settings, DeliveryTableSink.rows("notification-deliveries")))
 *                 .uid("deliveries-table-sink");
 * }</pre>
 *
 * <p>Runs in its task's thread only (records, timers and checkpoints all run there); one connection
 * per subtask. Counts refused rows in the metric {@value #ROWS_REFUSED}.
 *
 * @param <T> the row type
 */
public final class TableWriter<T> extends AbstractStreamOperator<DeadLetter>
        implements OneInputStreamOperator<T, DeadLetter> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TableWriter.class);

    /** Metric: rows the database refused, each emitted as a dead letter. */
    public static final String ROWS_REFUSED = "rowsRefused";

    /** The reason of every dead letter this writer emits. */
    public static final String ROW_REFUSED = DeadLetter.ROW_REFUSED;

    private static final int MAX_DETAIL_CHARS = 500;

    /** {@link DeadLetter#refusedRow} with the row written as JSON. */
    public static DeadLetter refusedRow(
            Object row, String detail, String sourceTopic, Delivery delivery, Instant now) {
        return DeadLetter.refusedRow(Json.toBytes(row), detail, sourceTopic, delivery, now);
    }

    /** What the writer needs to know about one table. Implementations must be serializable. */
    public interface Rows<T> extends Serializable {

        /** The table's name, for logs and dead letters. */
        String table();

        /** The upsert statement, with parameters only. */
        String sql();

        /** Binds one row to the parameters of {@link #sql()}. */
        void bind(PreparedStatement statement, T row) throws SQLException;

        /**
         * The dead letter of a refused row: kind {@value DeadLetter#TABLE}, reason {@value
         * TableWriter#ROW_REFUSED} and the given detail, with the row as payload.
         */
        DeadLetter refused(T row, String detail, Instant now);
    }

    private final JdbcSettings settings;
    private final Rows<T> rows;

    private transient JdbcConnectionProvider connections;
    private transient PreparedStatement statement;
    private transient ArrayDeque<T> pending;
    private transient boolean flushScheduled;
    private transient Counter refusedRows;

    public TableWriter(JdbcSettings settings, Rows<T> rows) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.rows = Objects.requireNonNull(rows, "rows");
    }

    @Override
    public void open() throws Exception {
        super.open();
        connections = settings.connectionProvider();
        pending = new ArrayDeque<>();
        refusedRows = getMetricGroup().counter(ROWS_REFUSED);
    }

    @Override
    public void processElement(StreamRecord<T> element) throws Exception {
        pending.add(element.getValue());
        if (pending.size() >= settings.batchSize()) {
            flush();
        } else if (!flushScheduled && !settings.batchInterval().isZero()) {
            flushScheduled = true;
            long due =
                    getProcessingTimeService().getCurrentProcessingTime()
                            + settings.batchInterval().toMillis();
            getProcessingTimeService()
                    .registerTimer(
                            due,
                            time -> {
                                flushScheduled = false;
                                flush();
                            });
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            closeStatement();
            if (connections != null) {
                connections.closeConnection();
            }
        } finally {
            super.close();
        }
    }

    /** Writes every pending row; returns when each is in the table or emitted as refused. */
    private void flush() throws IOException, InterruptedException {
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            try {
                write();
            } catch (SQLException e) {
                if (attempt >= settings.maxRetries()) {
                    throw new IOException(
                            "writing "
                                    + pending.size()
                                    + " rows to "
                                    + rows.table()
                                    + " failed (SQLState "
                                    + e.getSQLState()
                                    + ") after "
                                    + attempt
                                    + " retries",
                            e);
                }
                LOG.warn(
                        "Writing {} rows to {} failed (SQLState {}); retry {} of {}",
                        pending.size(),
                        rows.table(),
                        e.getSQLState(),
                        attempt + 1,
                        settings.maxRetries());
                reconnectIfNeeded();
                Thread.sleep(1000L * attempt);
            }
        }
    }

    /** One batch; when its content is refused, row by row instead. */
    private void write() throws SQLException {
        PreparedStatement ps = statement();
        try {
            for (T row : pending) {
                rows.bind(ps, row);
                ps.addBatch();
            }
            ps.executeBatch();
            pending.clear();
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException && !isRefusal((SQLException) e)) {
                throw (SQLException) e;
            }
            ps.clearBatch();
            writeRowByRow(ps);
        }
    }

    /**
     * Each row on its own (the connection autocommits, so every row that is accepted stays); a row
     * done is removed from {@link #pending}, so a retry after another failure neither writes it
     * twice nor emits its dead letter twice (writing twice would be harmless: upserts).
     */
    private void writeRowByRow(PreparedStatement ps) throws SQLException {
        while (!pending.isEmpty()) {
            T row = pending.peek();
            try {
                ps.clearParameters();
                rows.bind(ps, row);
                ps.executeUpdate();
            } catch (SQLException e) {
                if (!isRefusal(e)) {
                    throw e;
                }
                refuse(row, "SQLState " + e.getSQLState() + ": " + message(e));
            } catch (RuntimeException e) {
                refuse(row, "cannot bind the row: " + e.getClass().getSimpleName());
            }
            pending.poll();
        }
    }

    private void refuse(T row, String why) {
        refusedRows.inc();
        LOG.warn("{} refused a row, sent to the DLQ: {}", rows.table(), why);
        output.collect(new StreamRecord<>(rows.refused(row, rows.table() + ": " + why, now())));
    }

    /** Class 22 (data exception) or 23 (integrity constraint violation), in the chain. */
    static boolean isRefusal(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            String state = x.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                return true;
            }
            if (x.getNextException() == x) {
                break;
            }
        }
        return false;
    }

    private static String message(SQLException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s+", " ").trim();
        return m.length() > MAX_DETAIL_CHARS ? m.substring(0, MAX_DETAIL_CHARS) + "..." : m;
    }

    private Instant now() {
        return Instant.ofEpochMilli(getProcessingTimeService().getCurrentProcessingTime());
    }

    private PreparedStatement statement() throws SQLException {
        if (statement == null) {
            try {
                statement = connections.getOrEstablishConnection().prepareStatement(rows.sql());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("no JDBC driver for " + settings.url(), e);
            }
        }
        return statement;
    }

    private void reconnectIfNeeded() throws IOException {
        closeStatement();
        try {
            if (!connections.isConnectionValid()) {
                connections.reestablishConnection();
            }
        } catch (SQLException | ClassNotFoundException e) {
            throw new IOException("could not reconnect to the database for " + rows.table(), e);
        }
    }

    private void closeStatement() {
        if (statement != null) {
            try {
                statement.close();
            } catch (SQLException e) {
                LOG.debug("Closing the statement failed", e);
            }
            statement = null;
        }
    }
}
