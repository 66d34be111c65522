package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.ProviderGateways;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.twilio.MockTwilioServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Quiet hours on the running job: the whole job on a MiniCluster against a real broker, sending SMS
 * with the real Twilio client to the local Twilio server. A user whose quiet hours in Asia/Tokyo
 * cover the test's time gets a high-priority notification at once, while a normal one is held in
 * the quiet-hours state: it is not sent, it has no record, and the gate counted it deferred.
 */
class QuietHoursITCase {

    static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster(METRICS);

    @RegisterExtension final KafkaExtension kafkaExtension = new KafkaExtension();

    @TempDir Path checkpoints;

    private LocalProviders providers;
    private JobClient job;

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(job);
        if (providers != null) {
            providers.close();
        }
    }

    @Test
    void shouldHoldANormalNotificationInQuietHoursAndSendAHighPriorityOneAtOnce() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        providers = LocalProviders.start(ProviderScript.acceptAll());
        // A window from an hour ago to three hours ahead in Tokyo (it may cross midnight there);
        // in UTC, the default zone, the same clock times would not cover now.
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        LocalTime tokyo = LocalTime.now(ZoneId.of("Asia/Tokyo"));
        kafka.produce(
                "user-preferences",
                "u1",
                "{\"userId\":\"u1\",\"phone\":\"+14155552671\",\"timeZone\":\"Asia/Tokyo\","
                        + "\"quietHours\":{\"start\":\""
                        + tokyo.minusHours(1).format(hhmm)
                        + "\",\"end\":\""
                        + tokyo.plusHours(3).format(hhmm)
                        + "\"}}");
        Configuration config =
                TestJobs.config(kafka.bootstrapServers(), checkpoints, "tx-quiet-hours");
        providers.senderConfig().forEach(config::setString);
        job =
                TestJobs.define(config, ProviderGateways.fromConfig(config), null)
                        .executeAsync("quiet-hours-it");
        KafkaGroups.awaitCaughtUp(
                kafka, TestJobs.GROUP, Duration.ofSeconds(60), "user-preferences");

        kafka.produce("notification-events", "normal-1", event("normal-1", "normal"));
        kafka.produce("notification-events", "high-1", event("high-1", "high"));

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka, "notification-deliveries", 1, Duration.ofSeconds(60)));
        assertThat(deliveries)
                .extracting(d -> text(d, "eventId"), d -> text(d, "status"))
                .containsExactly(tuple("high-1", "SENT"));
        assertThat(providers.sms().receivedMessages())
                .extracting(MockTwilioServer.SmsMessage::body)
                .containsExactly("high-1");
        assertThat(deferred()).isEqualTo(1);
        TestJobs.assertNoRestarts(METRICS, job);
    }

    /** The quiet-hours gate's {@code deferred} count of category {@code news}, over subtasks. */
    private static long deferred() {
        long n = 0;
        for (Map.Entry<MetricGroup, Map<String, Metric>> e :
                METRICS.getMetricsByGroup().entrySet()) {
            Metric m = e.getValue().get("deferred");
            String id = e.getKey().getMetricIdentifier("deferred");
            if (m != null
                    && id.contains("Wait for quiet hours to end")
                    && id.endsWith("category.news.deferred")) {
                n += ((Counter) m).getCount();
            }
        }
        return n;
    }

    private static String event(String id, String priority) {
        return "{\"eventId\":\""
                + id
                + "\",\"type\":\"news.daily\",\"category\":\"news\",\"userIds\":[\"u1\"],"
                + "\"channels\":[\"sms\"],\"priority\":\""
                + priority
                + "\",\"data\":{\"body\":\""
                + id
                + "\"}}";
    }

    private static List<JsonNode> values(List<ConsumerRecord<String, String>> records)
            throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
            out.add(Json.MAPPER.readTree(r.value()));
        }
        return out;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
