package dev.notiflow.job.it;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Templates on the running job: the whole job on a MiniCluster against a real broker, sending SMS
 * with the real Twilio client to the local Twilio server, while {@code notification-templates}
 * changes under it. A new version applies to the next notification, a tombstone deletes the
 * template, and no restart is needed or happens.
 */
class TemplatesITCase {

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
    void shouldRenderTheNextNotificationWithATemplateUpdatedWhileTheJobRuns() throws Exception {
        LocalKafka kafka = kafkaExtension.kafka();
        KafkaGroups.createJobTopics(kafka, 2);
        providers = LocalProviders.start(ProviderScript.acceptAll());
        kafka.produce(
                "user-preferences",
                "u1",
                "{\"userId\":\"u1\",\"phone\":\"+14155552671\",\"locale\":\"ko-KR\","
                        + "\"channels\":{\"sms\":true}}");
        kafka.produce("notification-templates", "otp:ko", template("v1 코드 {{ code }}"));
        Configuration config =
                TestJobs.config(kafka.bootstrapServers(), checkpoints, "tx-templates");
        providers.senderConfig().forEach(config::setString);
        job =
                TestJobs.define(config, ProviderGateways.fromConfig(config), null)
                        .executeAsync("templates-it");
        awaitRead(kafka, "user-preferences", "notification-templates");

        kafka.produce("notification-events", "e1", event("e1", "111"));
        awaitSms(1);
        kafka.produce("notification-templates", "otp:ko", template("v2 인증 코드는 {{ code }}"));
        awaitRead(kafka, "notification-templates");
        kafka.produce("notification-events", "e2", event("e2", "222"));
        awaitSms(2);
        kafka.produce("notification-templates", "otp:ko", (String) null);
        awaitRead(kafka, "notification-templates");
        kafka.produce("notification-events", "e3", event("e3", "333"));

        List<JsonNode> deliveries =
                values(
                        TestJobs.readAll(
                                kafka, "notification-deliveries", 3, Duration.ofSeconds(60)));
        assertThat(deliveries)
                .extracting(
                        d -> text(d, "eventId"),
                        d -> text(d, "status"),
                        d -> text(d, "reason"),
                        d -> text(d, "locale"))
                .containsExactlyInAnyOrder(
                        tuple("e1", "SENT", null, "ko"),
                        tuple("e2", "SENT", null, "ko"),
                        tuple("e3", "FAILED", "TEMPLATE_ERROR", null));
        assertThat(providers.sms().receivedMessages())
                .extracting(MockTwilioServer.SmsMessage::to, MockTwilioServer.SmsMessage::body)
                .containsExactly(
                        tuple("+14155552671", "v1 코드 111"), tuple("+14155552671", "v2 인증 코드는 222"));
        TestJobs.assertNoRestarts(METRICS, job);
    }

    private static String template(String sms) {
        return "{\"templateId\":\"otp\",\"locale\":\"ko\",\"sms\":\"" + sms + "\"}";
    }

    private static String event(String id, String code) {
        return "{\"eventId\":\""
                + id
                + "\",\"type\":\"account.otp\",\"templateId\":\"otp\",\"userIds\":[\"u1\"],"
                + "\"channels\":[\"sms\"],\"priority\":\"high\",\"data\":{\"code\":\""
                + code
                + "\"}}";
    }

    /** Waits until the job has committed the offsets of every record of the topics so far. */
    private static void awaitRead(LocalKafka kafka, String... topics) {
        KafkaGroups.awaitCaughtUp(kafka, TestJobs.GROUP, Duration.ofSeconds(60), topics);
    }

    private void awaitSms(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (providers.sms().receivedMessages().size() < count) {
            assertThat(System.nanoTime()).as("SMS number %d sent", count).isLessThan(deadline);
            Thread.sleep(20);
        }
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
