package dev.notiflow.job.it;

import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.Gateways;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.Uids;
import dev.notiflow.job.operators.DedupeEvents;
import dev.notiflow.job.operators.RecipientResolver;
import dev.notiflow.model.DeviceToken;
import dev.notiflow.model.Provider;
import dev.notiflow.model.UserPreferences;
import dev.notiflow.serde.Json;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the topology, stops it with a savepoint, and reads the keyed state back by uid with the
 * State Processor API: what an upgrade restores.
 */
class SavepointRoundTripITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;
    @TempDir Path savepoints;

    @Test
    void shouldKeepDedupeProfilesAndDevicesInTheSavepoint() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        kafka.produce(
                "user-preferences",
                "u1",
                "{\"userId\":\"u1\",\"email\":\"u1@example.com\",\"locale\":\"ko-KR\"}");
        kafka.produce(
                "device-tokens",
                "u1:tok-1",
                "{\"userId\":\"u1\",\"token\":\"tok-1\",\"platform\":\"android\"}");
        kafka.produce(
                "notification-events",
                "e1",
                "{\"eventId\":\"e1\",\"type\":\"order.shipped\",\"userIds\":[\"u1\"],\"channels\":[\"email\"]}");

        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "sp-it-" + System.nanoTime());
        StreamExecutionEnvironment env =
                TestJobs.define(config, Gateways.of(RecordingSenders.all()), null);
        JobClient job = env.executeAsync("savepoint-it");
        kafka.readCommitted("notification-deliveries", 1, Duration.ofSeconds(90));
        TestJobs.assertNoRestarts(METRICS, job);

        String savepoint =
                job.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get();

        StreamExecutionEnvironment readEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        SavepointReader reader =
                SavepointReader.read(readEnv, savepoint, new EmbeddedRocksDBStateBackend());
        List<String> seen =
                collect(
                        reader.readKeyedState(
                                OperatorIdentifier.forUid(Uids.DEDUPE),
                                new SeenReader(config.get(JobOptions.DEDUPE_TTL))));
        List<String> users =
                collect(
                        reader.readKeyedState(
                                OperatorIdentifier.forUid(Uids.RESOLVE),
                                new UserReader(config.get(JobOptions.DEVICE_TTL))));

        assertThat(seen).containsExactly("e1");
        assertThat(users).containsExactly("u1 ko-KR [tok-1]");
        // The job is stopped: the topic holds all it will ever hold.
        assertThat(kafka.readAllCommitted("notification-deliveries", TestJobs.QUIET))
                .extracting(ConsumerRecord::value)
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("\"eventId\":\"e1\"", "\"channel\":\"email\"", "\"status\":\"SENT\"");
        assertThat(SendLog.providerSends()).isEqualTo(1);
    }

    /**
     * Which providers are configured may change between a savepoint and the upgrade that restores
     * it: every provider keeps its send operator, so the savepoint maps onto the new job without
     * dropping state ({@code ignore-unclaimed-state: false}), in both directions.
     */
    @Test
    void shouldRestoreAfterAProviderIsDisabledAndEnabledAgain() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        RecordingSenders.reset();
        kafka.produce("user-preferences", "u1", "{\"userId\":\"u1\",\"email\":\"u1@example.com\"}");
        kafka.produce(
                "device-tokens",
                "u1:tok-1",
                "{\"userId\":\"u1\",\"token\":\"tok-1\",\"platform\":\"android\"}");
        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "toggle-it-" + System.nanoTime());
        config.setString("execution.state-recovery.ignore-unclaimed-state", "false");

        String allEnabled = runUntil(kafka, config, RecordingSenders.all(), "e1", 2, null);
        Map<Provider, SenderFactory> emailOnly =
                Map.of(Provider.SMTP, RecordingSenders.all().get(Provider.SMTP));
        String smtpOnly = runUntil(kafka, config, emailOnly, "e2", 4, allEnabled);
        runUntil(kafka, config, RecordingSenders.all(), "e3", 6, smtpOnly);

        // Every job is stopped: the topic holds all it will ever hold, each record once.
        List<String> outcomes = new ArrayList<>();
        for (ConsumerRecord<String, String> r :
                kafka.readAllCommitted("notification-deliveries", TestJobs.QUIET)) {
            JsonNode d = Json.fromBytes(r.value().getBytes(StandardCharsets.UTF_8), JsonNode.class);
            outcomes.add(
                    d.get("eventId").asText()
                            + " "
                            + d.get("channel").asText()
                            + " "
                            + d.get("status").asText()
                            + " "
                            + d.get("reason").asText(""));
        }
        assertThat(outcomes)
                .containsExactlyInAnyOrder(
                        "e1 email SENT ",
                        "e1 push SENT ",
                        "e2 email SENT ",
                        "e2 push SKIPPED CHANNEL_DISABLED",
                        "e3 email SENT ",
                        "e3 push SENT ");
        assertThat(SendLog.providerSends()).as("one provider send per SENT record").isEqualTo(5);
        assertThat(SendLog.repeatedProviderSends()).isZero();
    }

    /**
     * Starts the job (from {@code savepoint} when given) with these providers, sends event {@code
     * eventId} for u1 on email and push, waits until the deliveries topic holds {@code total}
     * records, and stops with a savepoint.
     */
    private String runUntil(
            LocalKafka kafka,
            Configuration base,
            Map<Provider, SenderFactory> providers,
            String eventId,
            int total,
            String savepoint)
            throws Exception {
        Configuration config = new Configuration(base);
        if (savepoint != null) {
            config.setString("execution.state-recovery.path", savepoint);
        }
        JobClient job =
                TestJobs.define(config, Gateways.of(providers), null).executeAsync("toggle-it");
        // The profile and the device are in the resolver's state before the event arrives
        // (offsets are committed with the checkpoint that holds them), so push never races them.
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences", "device-tokens");
        kafka.produce(
                "notification-events",
                eventId,
                "{\"eventId\":\""
                        + eventId
                        + "\",\"type\":\"order.shipped\",\"userIds\":[\"u1\"],"
                        + "\"channels\":[\"email\",\"push\"]}");
        kafka.readCommitted("notification-deliveries", total, Duration.ofSeconds(90));
        TestJobs.assertNoRestarts(METRICS, job);
        return job.stopWithSavepoint(
                        false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
    }

    private static List<String> collect(
            org.apache.flink.streaming.api.datastream.DataStream<String> stream) throws Exception {
        List<String> out = new ArrayList<>();
        try (CloseableIterator<String> it = stream.executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** Lists the event ids the dedupe operator remembers. */
    static final class SeenReader extends KeyedStateReaderFunction<String, String> {
        private final Duration ttl;
        private transient ValueState<Boolean> seen;

        SeenReader(Duration ttl) {
            this.ttl = ttl;
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext context) {
            seen = getRuntimeContext().getState(DedupeEvents.seenDescriptor(ttl));
        }

        @Override
        public void readKey(String key, Context ctx, Collector<String> out) throws Exception {
            if (Boolean.TRUE.equals(seen.value())) {
                out.collect(key);
            }
        }
    }

    /** Describes each user's profile and devices as the resolver holds them. */
    static final class UserReader extends KeyedStateReaderFunction<String, String> {
        private final Duration deviceTtl;
        private transient ValueState<UserPreferences> preferences;
        private transient MapState<String, DeviceToken> devices;

        UserReader(Duration deviceTtl) {
            this.deviceTtl = deviceTtl;
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext context) {
            preferences = getRuntimeContext().getState(RecipientResolver.preferencesDescriptor());
            devices =
                    getRuntimeContext().getMapState(RecipientResolver.devicesDescriptor(deviceTtl));
        }

        @Override
        public void readKey(String key, Context ctx, Collector<String> out) throws Exception {
            UserPreferences p = preferences.value();
            List<String> tokens = new ArrayList<>();
            devices.keys().forEach(tokens::add);
            out.collect(key + " " + (p == null ? "-" : p.locale()) + " " + tokens);
        }
    }
}
