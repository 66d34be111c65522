package dev.notiflow.job.policy;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

import dev.notiflow.job.OutputTags;
import dev.notiflow.model.Delivery;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * What the policy operators' harness tests share: opening a harness on RocksDB (or the heap) with
 * both clocks at a start time, optionally from a snapshot, and reading its outputs in turns.
 *
 * @param <T> the operator's output
 */
final class PolicyHarness<T> {

    private final AbstractStreamOperatorTestHarness<T> harness;
    private int seen;
    private int seenDeliveries;

    private PolicyHarness(AbstractStreamOperatorTestHarness<T> harness) {
        this.harness = harness;
    }

    /**
     * Opens {@code harness} with its processing time and state-TTL clock at {@code startMillis}, on
     * RocksDB in {@code rocksDb} (the heap when null), restored from {@code restore} when given.
     */
    static <T> PolicyHarness<T> open(
            AbstractStreamOperatorTestHarness<T> harness,
            Path rocksDb,
            long startMillis,
            OperatorSubtaskState restore)
            throws Exception {
        if (rocksDb != null) {
            EmbeddedRocksDBStateBackend backend = new EmbeddedRocksDBStateBackend();
            backend.setDbStoragePath(rocksDb.toString());
            harness.setStateBackend(backend);
        }
        harness.setProcessingTime(startMillis);
        harness.setStateTtlProcessingTime(startMillis);
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.open();
        return new PolicyHarness<>(harness);
    }

    /** What the operator emitted since the previous call. */
    List<T> newOutput() {
        List<T> all = harness.extractOutputValues();
        List<T> recent = new ArrayList<>(all.subList(seen, all.size()));
        seen = all.size();
        return recent;
    }

    /** The records on the deliveries side output since the previous call. */
    List<Delivery> newDeliveries() {
        List<Delivery> all = new ArrayList<>();
        Queue<org.apache.flink.streaming.runtime.streamrecord.StreamRecord<Delivery>> side =
                harness.getSideOutput(OutputTags.DELIVERIES);
        if (side != null) {
            side.forEach(r -> all.add(r.getValue()));
        }
        List<Delivery> recent = new ArrayList<>(all.subList(seenDeliveries, all.size()));
        seenDeliveries = all.size();
        return recent;
    }
}
