package dev.notiflow.testkit.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalKafkaITCase {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void shouldCreateCompactedTopicWithCleanupPolicyCompact() throws Exception {
        LocalKafka kafka = KAFKA.kafka();

        kafka.createTopic("prefs-compacted", 3, true);
        kafka.createTopic("prefs-compacted", 3, true);
        kafka.createTopic("events-plain", 2, false);

        try (Admin admin = Admin.create(kafka.clientProperties())) {
            ConfigResource compacted =
                    new ConfigResource(ConfigResource.Type.TOPIC, "prefs-compacted");
            ConfigResource plain = new ConfigResource(ConfigResource.Type.TOPIC, "events-plain");
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(List.of(compacted, plain)).all().get();
            assertThat(configs.get(compacted).get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                    .isEqualTo("compact");
            assertThat(configs.get(plain).get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                    .isEqualTo("delete");
            assertThat(
                            admin.describeTopics(List.of("prefs-compacted"))
                                    .allTopicNames()
                                    .get()
                                    .get("prefs-compacted")
                                    .partitions())
                    .hasSize(3);
        }
    }

    @Test
    void shouldReadBackProducedRecordsIncludingTombstones() {
        LocalKafka kafka = KAFKA.kafka();
        kafka.createTopic("round-trip", 2, true);

        kafka.produce("round-trip", "u1", "{\"userId\":\"u1\"}");
        kafka.produce(
                "round-trip",
                "u2",
                "caf\u00e9 \uD83D\uDE00".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        kafka.produce("round-trip", "u1", (String) null);

        List<ConsumerRecord<String, String>> records =
                kafka.readCommitted("round-trip", 3, TIMEOUT);

        assertThat(records).hasSize(3);
        Map<String, List<String>> valuesByKey =
                records.stream()
                        .collect(
                                Collectors.groupingBy(
                                        ConsumerRecord::key,
                                        Collectors.mapping(
                                                r -> String.valueOf(r.value()),
                                                Collectors.toList())));
        assertThat(valuesByKey.get("u1")).containsExactly("{\"userId\":\"u1\"}", "null");
        assertThat(valuesByKey.get("u2")).containsExactly("caf\u00e9 \uD83D\uDE00");
        assertThat(records.stream().filter(r -> r.value() == null)).hasSize(1);
    }

    @Test
    void shouldHideAbortedTransactionsFromReadCommitted() {
        LocalKafka kafka = KAFKA.kafka();
        kafka.createTopic("tx-topic", 1, false);
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "local-kafka-it-tx");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "600000");

        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx-topic", "k", "aborted-1"));
            producer.send(new ProducerRecord<>("tx-topic", "k", "aborted-2"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx-topic", "k", "committed"));
            producer.commitTransaction();
        }
        kafka.produce("tx-topic", "k", "plain");

        List<ConsumerRecord<String, String>> records =
                kafka.readAllCommitted("tx-topic", Duration.ofSeconds(2));

        assertThat(records).extracting(ConsumerRecord::value).containsExactly("committed", "plain");
    }

    @Test
    void shouldAcceptTransactionTimeoutOfOneHour() {
        LocalKafka kafka = KAFKA.kafka();
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "local-kafka-it-long-tx");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "3600000");

        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("long-tx-topic", "k", "v"));
            producer.commitTransaction();
        }

        assertThat(kafka.readCommitted("long-tx-topic", 1, TIMEOUT))
                .extracting(ConsumerRecord::value)
                .containsExactly("v");
    }

    @Test
    void shouldReturnWhatItHasWhenFewerRecordsThanExpectedArrive() {
        LocalKafka kafka = KAFKA.kafka();
        kafka.createTopic("short-topic", 1, false);
        kafka.produce("short-topic", "k", "only");

        long start = System.nanoTime();
        List<ConsumerRecord<String, String>> records =
                kafka.readCommitted("short-topic", 5, Duration.ofSeconds(2));

        assertThat(records).extracting(ConsumerRecord::value).containsExactly("only");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldKeepDataAndAddressAcrossBrokerRestart() {
        LocalKafka kafka = KAFKA.kafka();
        String bootstrap = kafka.bootstrapServers();
        kafka.createTopic("restart-topic", 2, false);
        kafka.produce("restart-topic", "before", "1");

        kafka.restartBroker();
        kafka.produce("restart-topic", "after", "2");

        assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
        assertThat(kafka.readCommitted("restart-topic", 2, TIMEOUT))
                .extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("before", "after");
    }

    @Test
    void shouldRefuseConnectionsWhileBrokerIsStopped() {
        LocalKafka kafka = KAFKA.kafka();
        kafka.createTopic("outage-topic", 1, false);
        kafka.produce("outage-topic", "k", "before");

        kafka.stopBroker();
        try {
            assertThatThrownBy(
                            () -> {
                                try (Socket socket = new Socket()) {
                                    socket.connect(
                                            new InetSocketAddress("localhost", kafka.port()), 2000);
                                }
                            })
                    .isInstanceOf(IOException.class);
        } finally {
            kafka.startBroker();
        }

        kafka.produce("outage-topic", "k", "after");
        assertThat(kafka.readCommitted("outage-topic", 2, TIMEOUT))
                .extracting(ConsumerRecord::value)
                .containsExactly("before", "after");
    }
}
