package dev.notiflow.model;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The user's time zone and quiet hours travel with every copy of a request, and a request in state
 * written before they existed still reads.
 */
class SendRequestTest {

    private static final Instant T = Instant.parse("2026-11-22T00:00:00Z");
    private static final QuietHours HOURS = new QuietHours("22:00", "07:00");
    private static final PushFallback PUSH =
            new PushFallback(
                    List.of(
                            new PushDevice("ios-1", Platform.IOS, "com.example"),
                            new PushDevice("fcm:1", Platform.ANDROID, "com.example")),
                    Channel.EMAIL,
                    "u1@example.com");

    private final SendRequest request =
            SendRequest.builder()
                    .notificationId("0123456789abcdef0123456789abcdef")
                    .eventId("e1")
                    .userId("u1")
                    .type("order.shipped")
                    .category("order")
                    .channel(Channel.PUSH)
                    .provider(Provider.APNS)
                    .platform(Platform.IOS)
                    .token("tok")
                    .appId("com.example")
                    .locale("en")
                    .priority(Priority.NORMAL)
                    .templateId("order_shipped")
                    .data(Map.of())
                    .createdAt(T)
                    .receivedAt(T)
                    .build()
                    .withQuietHours("Europe/Berlin", HOURS);

    @Test
    void shouldCopyEveryFieldThroughItsBuilder() {
        SendRequest full =
                request.withContent(new Content("t", "b", null, null, null))
                        .withPushFallback(PUSH)
                        .nextAttempt(T, "TIMEOUT");

        assertThat(full.toBuilder().build()).isEqualTo(full);
        assertThat(full.toBuilder().token("other").build())
                .isEqualTo(
                        SendRequest.builder()
                                .notificationId(full.notificationId())
                                .eventId(full.eventId())
                                .userId(full.userId())
                                .type(full.type())
                                .category(full.category())
                                .channel(full.channel())
                                .provider(full.provider())
                                .platform(full.platform())
                                .token("other")
                                .appId(full.appId())
                                .address(full.address())
                                .locale(full.locale())
                                .priority(full.priority())
                                .templateId(full.templateId())
                                .data(full.data())
                                .content(full.content())
                                .attempt(full.attempt())
                                .createdAt(full.createdAt())
                                .receivedAt(full.receivedAt())
                                .firstAttemptAt(full.firstAttemptAt())
                                .lastReason(full.lastReason())
                                .fallbackChannel(full.fallbackChannel())
                                .fallbackAddress(full.fallbackAddress())
                                .fallbackOf(full.fallbackOf())
                                .timeZone(full.timeZone())
                                .quietHours(full.quietHours())
                                .pushFallback(full.pushFallback())
                                .build());
        assertThat(SendRequest.builder().build().attempt()).isEqualTo(1);
    }

    @Test
    void shouldCarryTheZoneAndQuietHoursThroughEveryCopy() {
        SendRequest withFallback = request.withFallback(Channel.EMAIL, "a@example.com");
        for (SendRequest copy :
                new SendRequest[] {
                    request.withContent(new Content("t", "b", null, null, null)),
                    withFallback,
                    request.nextAttempt(T, "TIMEOUT"),
                    request.nextAttempt(T, "TIMEOUT").sameAttempt(),
                    withFallback.asFallback("FAILED")
                }) {
            assertThat(copy.timeZone()).isEqualTo("Europe/Berlin");
            assertThat(copy.quietHours()).isEqualTo(HOURS);
        }
    }

    /**
     * {@code serializers/send-request-v0.3.bin} holds the POJO serializer snapshot and one
     * serialized request of release 0.3's {@code SendRequest} (24 components, before the time zone
     * and quiet hours), written with that class and {@code
     * TypeSerializerSnapshot.writeVersionedSnapshot} followed by {@code serialize}. It is what the
     * retry scheduler, the throttle's deferred list and the async operators' in-flight queues hold
     * in a savepoint of that release.
     */
    @Test
    void shouldReadARequestWrittenBeforeTheZoneAndQuietHoursExisted() throws Exception {
        byte[] bytes;
        try (var in = getClass().getResourceAsStream("/serializers/send-request-v0.3.bin")) {
            bytes = in.readAllBytes();
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        TypeSerializerSnapshot<SendRequest> old =
                TypeSerializerSnapshot.readVersionedSnapshot(in, getClass().getClassLoader());
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<SendRequest> current =
                TypeInformation.of(SendRequest.class).createSerializer(config);

        TypeSerializerSchemaCompatibility<SendRequest> compatibility =
                current.snapshotConfiguration().resolveSchemaCompatibility(old);
        assertThat(compatibility.isCompatibleAfterMigration()).isTrue();
        SendRequest restored = old.restoreSerializer().deserialize(in);

        Instant t = Instant.parse("2026-11-21T23:00:00Z");
        assertThat(restored)
                .isEqualTo(
                        SendRequest.builder()
                                .notificationId("0123456789abcdef0123456789abcdef")
                                .eventId("e1")
                                .userId("u1")
                                .type("order.shipped")
                                .category("order")
                                .channel(Channel.SMS)
                                .provider(Provider.TWILIO)
                                .address("+14155552671")
                                .locale("en")
                                .priority(Priority.NORMAL)
                                .templateId("order_shipped")
                                .data(Map.of("orderId", "123"))
                                .content(new Content("t", "b", null, null, null))
                                .attempt(2)
                                .createdAt(t)
                                .receivedAt(t)
                                .firstAttemptAt(t)
                                .lastReason("TIMEOUT")
                                .fallbackChannel(Channel.EMAIL)
                                .fallbackAddress("a@example.com")
                                .build());
        assertThat(restored.timeZone()).isNull();
        assertThat(restored.quietHours()).isNull();
        // Written again with the current serializer, as the state backend migrates it.
        DataOutputSerializer out = new DataOutputSerializer(256);
        current.serialize(restored, out);
        assertThat(current.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())))
                .isEqualTo(restored);
    }

    @Test
    void shouldFallBackToPushAsTheRequestAPushNamedByTheEventWouldBe() {
        SendRequest live =
                request.toBuilder()
                        .channel(Channel.LIVE)
                        .provider(Provider.LIVE)
                        .platform(null)
                        .token(null)
                        .appId(null)
                        .build()
                        .withPushFallback(PUSH);

        SendRequest push = live.asPushFallback(PUSH.devices().get(1), "FALLBACK after live X");

        assertThat(push)
                .isEqualTo(
                        request.toBuilder()
                                .notificationId(
                                        NotificationIds.of("e1", "u1", Channel.PUSH, "fcm:1"))
                                .provider(Provider.FCM)
                                .platform(Platform.ANDROID)
                                .token("fcm:1")
                                .lastReason("FALLBACK after live X")
                                .fallbackChannel(Channel.EMAIL)
                                .fallbackAddress("u1@example.com")
                                .fallbackOf(live.notificationId())
                                .build());
        assertThatThrownBy(() -> live.asFallback("FALLBACK after live X"))
                .isInstanceOf(IllegalStateException.class);
        assertThat(live.withFallback(Channel.SMS, "+14155552671").pushFallback())
                .as("a fallback to another channel carries no devices")
                .isNull();
    }

    /**
     * {@code serializers/send-request-v0.4.bin}: the same as {@code send-request-v0.3.bin}, written
     * by the {@code SendRequest} of 26 components (with the time zone and quiet hours, before the
     * push fallback): a live request in state written before a live request could carry devices.
     */
    @Test
    void shouldReadARequestWrittenBeforeThePushFallbackExisted() throws Exception {
        byte[] bytes;
        try (var in = getClass().getResourceAsStream("/serializers/send-request-v0.4.bin")) {
            bytes = in.readAllBytes();
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        TypeSerializerSnapshot<SendRequest> old =
                TypeSerializerSnapshot.readVersionedSnapshot(in, getClass().getClassLoader());
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<SendRequest> current =
                TypeInformation.of(SendRequest.class).createSerializer(config);

        assertThat(
                        current.snapshotConfiguration()
                                .resolveSchemaCompatibility(old)
                                .isCompatibleAfterMigration())
                .isTrue();
        SendRequest restored = old.restoreSerializer().deserialize(in);

        Instant t = Instant.parse("2026-12-02T05:00:00Z");
        assertThat(restored)
                .isEqualTo(
                        SendRequest.builder()
                                .notificationId("0123456789abcdef0123456789abcdef")
                                .eventId("e1")
                                .userId("u1")
                                .type("chat.message")
                                .category("chat")
                                .channel(Channel.LIVE)
                                .provider(Provider.LIVE)
                                .locale("en")
                                .priority(Priority.NORMAL)
                                .templateId("chat.message")
                                .data(Map.of("title", "Hi"))
                                .content(new Content("Hi", "there", null, null, null, "en"))
                                .attempt(2)
                                .createdAt(t)
                                .receivedAt(t)
                                .firstAttemptAt(t)
                                .lastReason("ACK_TIMEOUT")
                                .fallbackChannel(Channel.EMAIL)
                                .fallbackAddress("u1@example.com")
                                .timeZone("Europe/Berlin")
                                .quietHours(HOURS)
                                .build());
        assertThat(restored.pushFallback()).isNull();
        DataOutputSerializer out = new DataOutputSerializer(256);
        SendRequest withDevices = restored.withPushFallback(PUSH);
        current.serialize(withDevices, out);
        assertThat(current.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())))
                .isEqualTo(withDevices);
    }
}
