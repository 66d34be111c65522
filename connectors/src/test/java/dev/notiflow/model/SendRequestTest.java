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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The user's time zone and quiet hours travel with every copy of a request, and a request in state
 * written before they existed still reads.
 */
class SendRequestTest {

    private static final Instant T = Instant.parse("2026-11-22T00:00:00Z");
    private static final QuietHours HOURS = new QuietHours("22:00", "07:00");

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
                        .withFallback(Channel.EMAIL, "u1@example.com")
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
}
