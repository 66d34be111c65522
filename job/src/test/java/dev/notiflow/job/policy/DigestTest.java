package dev.notiflow.job.policy;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.PojoTestUtils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.job.operators.OperatorMetrics;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DigestTest {

    /** Midnight: {@code at("00:30")} is 30 minutes later. */
    private static final Instant MIDNIGHT = Instant.parse("2026-11-22T00:00:00Z");

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Digest.Settings SOCIAL_AND_COMMENTS =
            new Digest.Settings(
                    Map.of("social", Duration.ofMinutes(30), "comments", Duration.ofMinutes(10)),
                    Map.of("comments", "comments-roundup"),
                    3);

    private final OperatorMetrics metrics = new OperatorMetrics();
    private final List<KeyedOneInputStreamOperatorTestHarness<String, SendRequest, SendRequest>>
            harnesses = new ArrayList<>();

    @TempDir Path rocksDb;

    private KeyedOneInputStreamOperatorTestHarness<String, SendRequest, SendRequest> harness;
    private PolicyHarness<SendRequest> outputs;

    @AfterEach
    void tearDown() throws Exception {
        for (var h : harnesses) {
            h.close();
        }
        metrics.close();
    }

    @Test
    void shouldSendASingleNotificationUnchangedWhenItsWindowCloses() throws Exception {
        open(SOCIAL_AND_COMMENTS, true, null);
        SendRequest phone = push("s1", "social", "u1", "t1");
        SendRequest tablet = push("s1", "social", "u1", "t2");

        at("00:00");
        send(phone, tablet);
        at("00:29:59.999");
        assertThat(passed()).isEmpty();
        at("00:30");

        assertThat(passed()).containsExactly(phone, tablet);
        assertThat(records()).isEmpty();
        // The window is gone: the next one opens a new window of its own.
        at("00:31");
        send(push("s2", "social", "u1", "t1"));
        at("01:00:59.999");
        assertThat(passed()).isEmpty();
        at("01:01");
        assertThat(passed()).extracting(SendRequest::eventId).containsExactly("s2");
    }

    @Test
    void shouldFoldManyIntoOneDigestPerDeviceAndEndEachFoldedOneDigested() throws Exception {
        open(SOCIAL_AND_COMMENTS, true, null);
        at("00:00");
        for (int i = 1; i <= 5; i++) {
            at("00:0" + (i * 2 - 2));
            send(
                    push("s" + i, "social", "u1", "t1", Map.of("actor", "friend " + i)),
                    push("s" + i, "social", "u1", "t2", Map.of("actor", "friend " + i)));
        }
        assertThat(passed()).isEmpty();
        assertThat(records()).isEmpty();

        at("00:30");
        List<SendRequest> digests = passed();
        String phoneId = NotificationIds.of("s1.digest", "u1", Channel.PUSH, "t1");
        String tabletId = NotificationIds.of("s1.digest", "u1", Channel.PUSH, "t2");
        assertThat(digests).extracting(SendRequest::token).containsExactly("t1", "t2");
        assertThat(digests)
                .extracting(SendRequest::notificationId)
                .containsExactly(phoneId, tabletId);
        for (SendRequest d : digests) {
            assertThat(d.eventId()).isEqualTo("s1.digest");
            assertThat(d.templateId()).isEqualTo("digest.social");
            assertThat(d.category()).isEqualTo("social");
            assertThat(d.content()).isNull();
            assertThat(d.data()).containsEntry(Digest.COUNT, "5");
            JsonNode items = JSON.readTree(d.data().get(Digest.ITEMS));
            assertThat(items).hasSize(3);
            assertThat(items.findValuesAsText("eventId")).containsExactly("s1", "s2", "s3");
            assertThat(items.get(1).at("/data/actor").asText()).isEqualTo("friend 2");
            assertThat(items.get(0).path("type").asText()).isEqualTo("social.news");
            assertThat(items.get(0).path("createdAt").asText()).isEqualTo(MIDNIGHT.toString());
        }

        List<Delivery> digested = records();
        assertThat(digested)
                .extracting(Delivery::eventId)
                .containsExactly("s1", "s2", "s3", "s4", "s5");
        assertThat(digested)
                .allSatisfy(
                        r -> {
                            assertThat(r.status()).isEqualTo(DeliveryStatus.SKIPPED);
                            assertThat(r.reason()).isEqualTo(Digest.DIGESTED);
                            assertThat(r.detail())
                                    .isEqualTo("in digest " + phoneId + "," + tabletId);
                            assertThat(r.device()).isNull();
                            assertThat(r.notificationId())
                                    .isEqualTo(
                                            NotificationIds.of(
                                                    r.eventId(), "u1", Channel.PUSH, null));
                        });
        assertThat(digested.get(4).type()).isEqualTo("social.news");
        assertThat(metrics.count("push.social.digested")).isEqualTo(5);
        assertThat(metrics.count("push.social.digests")).isEqualTo(1);
        at("02:00");
        assertThat(passed()).isEmpty();
        assertThat(records()).isEmpty();
    }

    @Test
    void shouldNeverDigestHighPriority() throws Exception {
        open(SOCIAL_AND_COMMENTS, true, null);
        at("00:00");
        send(email("s1", "social", "u1", Priority.NORMAL));
        at("00:01");
        SendRequest urgent = email("s2", "social", "u1", Priority.HIGH);
        send(urgent);
        assertThat(passed()).containsExactly(urgent);

        at("00:30");
        // The window held only s1: it goes out as it was, no digest.
        assertThat(passed()).extracting(SendRequest::eventId).containsExactly("s1");
        assertThat(records()).isEmpty();
    }

    @Test
    void shouldCloseTheWindowsOfTwoCategoriesEachAtItsOwnLength() throws Exception {
        open(SOCIAL_AND_COMMENTS, true, null);
        at("00:00");
        send(email("c1", "comments", "u1", Priority.NORMAL));
        send(email("s1", "social", "u1", Priority.NORMAL));
        at("00:05");
        send(email("c2", "comments", "u1", Priority.NORMAL));
        send(email("s2", "social", "u1", Priority.NORMAL));

        at("00:10");
        List<SendRequest> out = passed();
        assertThat(out).extracting(SendRequest::eventId).containsExactly("c1.digest");
        assertThat(out.get(0).templateId()).isEqualTo("comments-roundup");
        assertThat(out.get(0).data()).containsEntry(Digest.COUNT, "2");
        assertThat(records()).extracting(Delivery::eventId).containsExactly("c1", "c2");

        // A comment after its window closed opens a new one; social is still open.
        at("00:12");
        send(email("c3", "comments", "u1", Priority.NORMAL));
        at("00:22");
        assertThat(passed()).extracting(SendRequest::eventId).containsExactly("c3");
        at("00:30");
        out = passed();
        assertThat(out).extracting(SendRequest::eventId).containsExactly("s1.digest");
        assertThat(out.get(0).templateId()).isEqualTo("digest.social");
        assertThat(out.get(0).address()).isEqualTo("u1@example.com");
        assertThat(records()).extracting(Delivery::eventId).containsExactly("s1", "s2");
        assertThat(metrics.count("email.comments.digests")).isEqualTo(1);
        assertThat(metrics.count("email.social.digests")).isEqualTo(1);
    }

    @Test
    void shouldPassACategoryWithoutAWindowAtOnceWithoutState() throws Exception {
        open(SOCIAL_AND_COMMENTS, false, null);
        at("00:00");
        SendRequest order = push("o1", "order", "u1", "t1");
        SendRequest uncategorized = push("x1", null, "u1", "t1");
        send(order, uncategorized);

        assertThat(passed()).containsExactly(order, uncategorized);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
        send(push("s1", "social", "u1", "t1"));
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
        at("00:30");
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldKeepOpenWindowsAcrossSnapshotAndRestoreOnRocksDb() throws Exception {
        open(SOCIAL_AND_COMMENTS, true, null);
        at("00:00");
        send(push("s1", "social", "u1", "t1"), push("s1", "social", "u1", "t2"));
        at("00:10");
        send(push("s2", "social", "u1", "t1"));
        send(push("s1-other", "social", "u2", "t9"));
        OperatorSubtaskState snapshot = harness.snapshot(1, time());
        harness.close();
        harnesses.clear();

        open(SOCIAL_AND_COMMENTS, true, snapshot);
        at("00:20");
        send(push("s3", "social", "u1", "t1"));
        assertThat(passed()).isEmpty();
        at("00:30");
        List<SendRequest> out = passed();
        assertThat(out)
                .extracting(SendRequest::notificationId)
                .containsExactly(
                        NotificationIds.of("s1.digest", "u1", Channel.PUSH, "t1"),
                        NotificationIds.of("s1.digest", "u1", Channel.PUSH, "t2"));
        assertThat(out).allSatisfy(r -> assertThat(r.data()).containsEntry(Digest.COUNT, "3"));
        assertThat(records()).extracting(Delivery::eventId).containsExactly("s1", "s2", "s3");
        // The other user's window opened at 00:10 and held one notification.
        at("00:40");
        assertThat(passed())
                .extracting(SendRequest::notificationId)
                .containsExactly(NotificationIds.of("s1-other", "u2", Channel.PUSH, "t9"));
    }

    @Test
    void shouldReadAndValidateTheDigestOptionsNamingTheKey() {
        Configuration config = new Configuration();
        config.set(JobOptions.DIGEST_WINDOWS, Map.of("social", "30 min", "comments", "10s"));
        config.set(JobOptions.DIGEST_TEMPLATES, Map.of("social", "social-digest"));
        Digest.Settings settings = PipelineSettings.from(config).digest();
        assertThat(settings.window("social")).isEqualTo(Duration.ofMinutes(30));
        assertThat(settings.window("comments")).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.window("order")).isNull();
        assertThat(settings.templateId("social")).isEqualTo("social-digest");
        assertThat(settings.templateId("comments")).isEqualTo("digest.comments");
        assertThat(settings.maxItems()).isEqualTo(10);
        assertThat(PipelineSettings.from(new Configuration()).digest().windows()).isEmpty();

        Configuration bad = new Configuration();
        bad.set(JobOptions.DIGEST_WINDOWS, Map.of("social", "soon"));
        assertThatThrownBy(() -> PipelineSettings.from(bad))
                .hasMessageContaining("digest.windows")
                .hasMessageContaining("social");
        bad.set(JobOptions.DIGEST_WINDOWS, Map.of("social", "0 s"));
        assertThatThrownBy(() -> PipelineSettings.from(bad)).hasMessageContaining("digest.windows");
        bad.set(JobOptions.DIGEST_WINDOWS, Map.of("social", "1 min"));
        bad.set(JobOptions.DIGEST_TEMPLATES, Map.of("news", "news-digest"));
        assertThatThrownBy(() -> PipelineSettings.from(bad))
                .hasMessageContaining("digest.templates")
                .hasMessageContaining("news");
        bad.set(JobOptions.DIGEST_TEMPLATES, Map.of());
        bad.set(JobOptions.DIGEST_MAX_ITEMS, 0);
        assertThatThrownBy(() -> PipelineSettings.from(bad))
                .hasMessageContaining("digest.max-items");
    }

    @Test
    void shouldKeepItsStateInPojosWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(Digest.Window.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(Digest.Held.class);
    }

    // --- helpers -------------------------------------------------------------------------------

    private void open(Digest.Settings settings, boolean rocks, OperatorSubtaskState restore)
            throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new Digest(settings)),
                        Throttle::key,
                        Types.STRING,
                        metrics.environment());
        outputs = PolicyHarness.open(h, rocks ? rocksDb : null, MIDNIGHT.toEpochMilli(), restore);
        harnesses.add(h);
        harness = h;
    }

    /** Moves both clocks (timers and state TTL) to a time of day, e.g. {@code 00:29:59.999}. */
    private void at(String timeOfDay) throws Exception {
        String t = timeOfDay.length() == 5 ? timeOfDay + ":00" : timeOfDay;
        long millis = MIDNIGHT.toEpochMilli() + LocalTime.parse(t).toNanoOfDay() / 1_000_000;
        harness.setStateTtlProcessingTime(millis);
        harness.setProcessingTime(millis);
    }

    private long time() {
        return harness.getProcessingTime();
    }

    private void send(SendRequest... requests) throws Exception {
        for (SendRequest r : requests) {
            harness.processElement(r, time());
        }
    }

    /** The requests passed on since the last call. */
    private List<SendRequest> passed() {
        return outputs.newOutput();
    }

    /** The delivery records since the last call. */
    private List<Delivery> records() {
        return outputs.newDeliveries();
    }

    private static SendRequest push(String eventId, String category, String userId, String token) {
        return push(eventId, category, userId, token, Map.of("title", "News " + eventId));
    }

    private static SendRequest push(
            String eventId,
            String category,
            String userId,
            String token,
            Map<String, String> data) {
        return request(
                eventId,
                category,
                userId,
                Channel.PUSH,
                Provider.APNS,
                Platform.IOS,
                token,
                null,
                Priority.NORMAL,
                data);
    }

    private static SendRequest email(
            String eventId, String category, String userId, Priority priority) {
        return request(
                eventId,
                category,
                userId,
                Channel.EMAIL,
                Provider.SMTP,
                null,
                null,
                userId + "@example.com",
                priority,
                Map.of("title", "News " + eventId));
    }

    private static SendRequest request(
            String eventId,
            String category,
            String userId,
            Channel channel,
            Provider provider,
            Platform platform,
            String token,
            String address,
            Priority priority,
            Map<String, String> data) {
        return SendRequest.builder()
                .notificationId(NotificationIds.of(eventId, userId, channel, token))
                .eventId(eventId)
                .userId(userId)
                .type(category == null ? "misc" : category + ".news")
                .category(category)
                .channel(channel)
                .provider(provider)
                .platform(platform)
                .token(token)
                .appId(token == null ? null : "com.example.app")
                .address(address)
                .locale("en")
                .priority(priority)
                .data(data)
                .createdAt(MIDNIGHT)
                .receivedAt(MIDNIGHT)
                .build();
    }
}
