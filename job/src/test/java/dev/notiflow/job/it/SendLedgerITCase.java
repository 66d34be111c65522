package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.Gateways;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.serde.Json;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.ledger.LedgeredSenderFactory;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job with the send ledger in front of the (recording) providers, against a real KRaft
 * broker and a real PostgreSQL: the job fails three times mid-stream and replays from its last
 * checkpoint each time. Replayed sends whose first attempt was accepted are answered from the
 * ledger, so the provider sees almost no repeats; only sends in flight at a crash, accepted but not
 * yet recorded, may still repeat.
 */
class SendLedgerITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster();

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

    /** Send attempts the job made (before the ledger), per notification id; static: same JVM. */
    static final Map<String, AtomicInteger> ATTEMPTS = new ConcurrentHashMap<>();

    /** Repeated provider sends allowed for 200 notifications: the sends in flight at 3 crashes. */
    private static final int MAX_REPEATED_SENDS = 10;

    @TempDir Path checkpoints;

    private LocalKafka kafka;
    private LocalPostgres postgres;
    private JobClient job;

    @BeforeEach
    void setUp() {
        kafka = kafkaExtension.kafka();
        postgres = postgresExtension.postgres();
        KafkaGroups.createJobTopics(kafka, 2);
        Migrations.apply(postgres.jdbcUrl(), postgres.user(), postgres.password());
        RecordingSenders.SENDS.clear();
        ATTEMPTS.clear();
        FailOnceAfter.reset();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
    }

    @Test
    void shouldNotRepeatAcceptedSendsWhenTheJobFailsThreeTimesMidStream() throws Exception {
        int users = 20;
        int eventsPerUser = 10;
        int expected = users * eventsPerUser;
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "user-preferences",
                    "u" + u,
                    "{\"userId\":\"u" + u + "\",\"email\":\"u" + u + "@example.com\"}");
        }
        startJob(new FailOnceAfter(expected / 4, 3));
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");
        TestJobs.produceEmailEvents(kafka, users, 0, eventsPerUser);

        kafka.readCommitted("notification-deliveries", expected, Duration.ofSeconds(180));
        // Give a late duplicate the chance to show up before asserting there is none.
        List<JsonNode> deliveries =
                kafka.readAllCommitted("notification-deliveries", Duration.ofSeconds(3)).stream()
                        .map(SendLedgerITCase::json)
                        .collect(Collectors.toList());

        assertThat(FailOnceAfter.FAILURES).hasValue(3);
        assertThat(deliveries).hasSize(expected);
        assertThat(deliveries).extracting(d -> d.get("status").asText()).containsOnly("SENT");
        Map<String, Long> perId =
                deliveries.stream()
                        .collect(
                                Collectors.groupingBy(
                                        d -> d.get("notificationId").asText(),
                                        Collectors.counting()));
        assertThat(perId).hasSize(expected);
        assertThat(perId.values()).containsOnly(1L);
        assertThat(RecordingSenders.SENDS.keySet())
                .containsExactlyInAnyOrderElementsOf(perId.keySet());
        assertThat(ledgerRows()).isEqualTo(expected);

        int attempts = ATTEMPTS.values().stream().mapToInt(AtomicInteger::get).sum();
        int providerSends = RecordingSenders.totalSends();
        int repeatedAttempts = attempts - expected;
        int repeatedSends = providerSends - expected;
        System.out.printf(
                "send attempts: %d for %d notifications (%d replayed after failures); provider sends: %d (%d repeated); answered from the ledger: %d%n",
                attempts,
                expected,
                repeatedAttempts,
                providerSends,
                repeatedSends,
                attempts - providerSends);
        assertThat(repeatedSends).isBetween(0, MAX_REPEATED_SENDS);
        assertThat(providerSends).isLessThanOrEqualTo(attempts);
    }

    private void startJob(FailOnceAfter failure) throws Exception {
        Configuration config =
                TestJobs.config(
                        kafka.bootstrapServers(), checkpoints, "ledger-it-" + System.nanoTime());
        job = TestJobs.define(config, ledgeredGateways(), failure).executeAsync("send-ledger-it");
    }

    /**
     * The recording providers behind the ledger, with the job's attempts counted in front of it.
     */
    private Gateways ledgeredGateways() {
        JdbcSettings jdbc =
                JdbcSettings.of(postgres.jdbcUrl(), postgres.user())
                        .withPasswordFile(postgres.passwordFile().toString());
        Map<Provider, SenderFactory> factories = new EnumMap<>(Provider.class);
        RecordingSenders.all()
                .forEach(
                        (provider, recording) ->
                                factories.put(
                                        provider,
                                        new CountingFactory(
                                                new LedgeredSenderFactory(recording, jdbc))));
        return Gateways.of(factories);
    }

    private int ledgerRows() throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM send_ledger")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static JsonNode json(ConsumerRecord<String, String> r) {
        return Json.fromBytes(r.value().getBytes(StandardCharsets.UTF_8), JsonNode.class);
    }

    /** Counts every send the job asks for in {@link #ATTEMPTS}, then hands it on. */
    private static final class CountingFactory implements SenderFactory {
        private static final long serialVersionUID = 1L;
        private final SenderFactory inner;

        CountingFactory(SenderFactory inner) {
            this.inner = inner;
        }

        @Override
        public ChannelSender create() {
            ChannelSender sender = inner.create();
            return new ChannelSender() {
                @Override
                public CompletableFuture<SendResult> send(SendRequest request) {
                    ATTEMPTS.computeIfAbsent(request.notificationId(), k -> new AtomicInteger())
                            .incrementAndGet();
                    return sender.send(request);
                }

                @Override
                public void close() {
                    sender.close();
                }
            };
        }
    }
}
