package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobEdge;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quiet-hours gate costs no network shuffle of its own: it is keyed like the throttle, the
 * throttle reads its output on the same partitioning and is chained to it, so the requests cross
 * the network once between the resolver and the throttle, as before the gate.
 */
class QuietHoursTopologyTest {

    @Test
    void shouldChainTheThrottleToTheQuietHoursGateBehindOneKeyedShuffle() {
        Configuration config = new Configuration();
        config.setString("parallelism.default", "2");
        config.set(JobOptions.KAFKA_BOOTSTRAP_SERVERS, "localhost:9");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setMaxParallelism(128);
        Pipeline.defineWorkflow(
                env,
                KafkaWiring.inputs(env, config),
                Gateways.none(),
                KafkaWiring.outputs(config),
                PipelineSettings.from(config));
        JobGraph graph = env.getStreamGraph().getJobGraph();

        List<JobVertex> withThrottle = new ArrayList<>();
        JobVertex gate = null;
        for (JobVertex v : graph.getVertices()) {
            if (v.getName().contains("Throttle per user and channel")) {
                withThrottle.add(v);
            }
            if (v.getName().contains("Wait for quiet hours to end")) {
                gate = v;
            }
        }
        assertThat(gate).isNotNull();
        assertThat(withThrottle).containsExactly(gate);
        assertThat(gate.getInputs())
                .extracting(JobEdge::getShipStrategyName)
                .containsExactlyInAnyOrder("HASH", "BROADCAST");
        JobEdge requests =
                gate.getInputs().stream()
                        .filter(e -> e.getShipStrategyName().equals("HASH"))
                        .findFirst()
                        .orElseThrow();
        assertThat(requests.getSource().getProducer().getName()).contains("Resolve recipients");
    }
}
