package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.job.Gateways;
import dev.notiflow.model.Provider;
import dev.notiflow.serde.Json;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job with the send ledger in front of the (recording) providers, against a real KRaft
 * broker and a real PostgreSQL: the job fails three times mid-stream and replays from its last
 * checkpoint each time. Replayed sends whose first attempt was accepted are answered from the
 * ledger, after every crash; only sends in flight at a crash, whose answer (and so its record) had
 * not come back when the crashed job's senders closed, may reach the provider again.
 */
class SendLedgerITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();
    @RegisterExtension final PostgresExtension postgresExtension = new PostgresExtension();

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
        RecordingSenders.reset();
        FailOnceAfter.reset();
    }

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(job);
    }

    @Test
    void shouldNotRepeatAcceptedSendsWhenTheJobFailsThreeTimesMidStream() throws Exception {
        int users = 20;
        for (int u = 0; u < users; u++) {
            kafka.produce(
                    "user-preferences",
                    "u" + u,
                    "{\"userId\":\"u" + u + "\",\"email\":\"u" + u + "@example.com\"}");
        }
        startJob(FailOnceAfter.whileSending(50, 3));
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");
        int expected = users * TestJobs.produceEmailEventsUntilFailed(kafka, users, 10, 3);

        List<JsonNode> deliveries =
                TestJobs.readAll(
                                kafka, "notification-deliveries", expected, Duration.ofSeconds(180))
                        .stream()
                        .map(SendLedgerITCase::json)
                        .toList();

        assertThat(FailOnceAfter.FAILURES).hasValue(3);
        assertThat(TestJobs.numRestarts(METRICS, job)).isEqualTo(3);
        assertThat(deliveries).hasSize(expected);
        assertThat(deliveries).extracting(d -> d.get("status").asText()).containsOnly("SENT");
        List<String> ids = deliveries.stream().map(d -> d.get("notificationId").asText()).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(RecordingSenders.SENDS.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(ledgerRows()).isEqualTo(expected);

        List<SendLog.Crash> crashes = SendLog.crashes();
        crashes.forEach(c -> System.out.println("crash: " + c));
        int inFlight = crashes.stream().mapToInt(SendLog.Crash::unanswered).sum();
        int repeatedSends = SendLog.repeatedProviderSends();
        System.out.printf(
                "send attempts: %d for %d notifications; provider sends: %d (%d repeated; in"
                        + " flight at the crashes: %d); answered from the ledger: %d%n",
                SendLog.attempts(),
                expected,
                SendLog.providerSends(),
                repeatedSends,
                inFlight,
                SendLog.ledgerAnswers());
        assertThat(crashes).hasSize(3);
        assertThat(crashes)
                .as("the ledger answered replayed sends after every crash")
                .allSatisfy(c -> assertThat(c.ledgerAnswersAfter()).isPositive());
        assertThat(repeatedSends)
                .as(
                        "repeated provider sends (ledger failures in closed senders: %d)",
                        SendLog.ledgerFailures())
                .isLessThanOrEqualTo(inFlight);
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
        RecordingSenders.providers()
                .forEach(
                        (provider, recording) ->
                                factories.put(
                                        provider,
                                        SendLog.front(new LedgeredSenderFactory(recording, jdbc))));
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
}
