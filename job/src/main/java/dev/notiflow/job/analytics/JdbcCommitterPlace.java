package dev.notiflow.job.analytics;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

import dev.notiflow.model.DeadLetter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * Holds the place, in the topology, of the committer of Flink's JDBC sink, which release 0.1 wrote
 * the tables with: an operator under the committer's uid ({@code "Sink Committer: " + <sink uid>},
 * as Flink derives it), so a savepoint of that release restores without unclaimed state. It passes
 * every record through unchanged (it sits on a table writer's refused rows) and reads no state.
 *
 * <p>The state it claims is the committer's list of pending commits, which the at-least-once JDBC
 * sink never fills (only its XA mode commits anything): nothing is lost by not reading it. Flink
 * keeps restored operator state in the next checkpoints as it was, so that state stays with this
 * operator; it is a few bytes, and release 0.1's committer restores it again on a rollback. Keep
 * this operator and its uid.
 */
public final class JdbcCommitterPlace
        implements MapFunction<DeadLetter, DeadLetter>, CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(JdbcCommitterPlace.class);

    /** Flink's uid of the committer of a JDBC sink with uid {@code sinkUid}. */
    public static String uidOf(String sinkUid) {
        return "Sink Committer: " + sinkUid;
    }

    @Override
    public DeadLetter map(DeadLetter value) {
        return value;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        Set<String> restored = context.getOperatorStateStore().getRegisteredStateNames();
        if (context.isRestored() && !restored.isEmpty()) {
            LOG.info("Keeping the JDBC sink committer's state {} unread", restored);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {}
}
