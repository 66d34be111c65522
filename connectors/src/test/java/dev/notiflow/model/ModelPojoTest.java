package dev.notiflow.model;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.PojoTestUtils;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every record that travels between operators or sits in state is serialized by Flink's POJO
 * serializer, never by Kryo (the job runs with {@code pipeline.generic-types: false}), and survives
 * a serializer round trip unchanged.
 */
class ModelPojoTest {

    private static final Instant T = Instant.parse("2026-11-21T23:00:00.123456789Z");

    static Stream<Class<?>> modelTypes() {
        return Stream.of(
                NotificationEvent.class,
                UserPreferences.class,
                DeviceToken.class,
                TokenInvalidation.class,
                NotificationTemplate.class,
                TemplateUpdate.class,
                RawRecord.class,
                UserUpdate.class,
                SendRequest.class,
                SendResult.class,
                SendOutcome.class,
                Content.class,
                Delivery.class,
                DeadLetter.class,
                QuietHours.class,
                PushFallback.class,
                PushDevice.class,
                Audience.class);
    }

    @ParameterizedTest
    @MethodSource("modelTypes")
    void shouldBeSerializedAsPojo(Class<?> type) {
        PojoTestUtils.assertSerializedAsPojo(type);
    }

    @ParameterizedTest
    @MethodSource("modelTypes")
    void shouldBeSerializedWithoutKryo(Class<?> type) {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(type);
    }

    static Stream<Object> samples() {
        UserPreferences prefs =
                new UserPreferences(
                        "u1",
                        "a@example.com",
                        "+821012345678",
                        "ko-KR",
                        "Asia/Seoul",
                        Map.of("sms", false),
                        Map.of("marketing", false),
                        new QuietHours("22:00", "08:00"),
                        T);
        DeviceToken device = new DeviceToken("u1", "tok", Platform.IOS, "com.example", true, T);
        TokenInvalidation inv =
                new TokenInvalidation(
                        "u1", "tok", Platform.IOS, Provider.APNS, "TOKEN_UNREGISTERED", T);
        Content content = new Content("title", "body", "subject", "text", "<p>html</p>");
        SendRequest request =
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
                        .priority(Priority.HIGH)
                        .templateId("order_shipped")
                        .data(Map.of("orderId", "123"))
                        .content(content)
                        .attempt(2)
                        .createdAt(T)
                        .receivedAt(T)
                        .firstAttemptAt(T)
                        .lastReason("TIMEOUT")
                        .build();
        SendResult result = SendResult.tokenDead("TOKEN_UNREGISTERED", "410 Unregistered", T);
        return Stream.of(
                new NotificationEvent(
                        "e1",
                        "order.shipped",
                        "order",
                        List.of("u1", "u2"),
                        "order_shipped",
                        Map.of("orderId", "123"),
                        List.of(Channel.PUSH, Channel.EMAIL),
                        Priority.HIGH,
                        T,
                        null,
                        T,
                        "notification-events-0@1",
                        null),
                new NotificationEvent(
                        "e2",
                        "marketing.sale",
                        "marketing",
                        List.of(),
                        "marketing.sale",
                        null,
                        null,
                        Priority.NORMAL,
                        null,
                        null,
                        T,
                        "notification-events-0@2",
                        new Audience(false, List.of(Platform.IOS), List.of("app"), List.of("en"))),
                prefs,
                device,
                inv,
                new NotificationTemplate(
                        "t", "en", "title", "body", "subj", "<p/>", "text", "sms", T),
                new TemplateUpdate(
                        "t:en",
                        new NotificationTemplate(
                                "t", "en", null, "b", null, null, null, null, null)),
                new TemplateUpdate("t:ko", null),
                new Content("t", "b", "s", "x", "<p>x</p>", "ko"),
                new RawRecord("notification-events", 1, 2L, 3L, new byte[] {1, 2}, null),
                UserUpdate.preferences(prefs),
                UserUpdate.device(device),
                UserUpdate.deviceDeleted("u1", "tok"),
                UserUpdate.tokenInvalidated(inv),
                request,
                request.withQuietHours("Asia/Seoul", new QuietHours("22:00", "08:00"))
                        .withFallback(Channel.EMAIL, "a@example.com")
                        .nextAttempt(T, "TIMEOUT"),
                request.toBuilder()
                        .channel(Channel.LIVE)
                        .provider(Provider.LIVE)
                        .platform(null)
                        .token(null)
                        .build()
                        .withPushFallback(
                                new PushFallback(
                                        List.of(
                                                new PushDevice("tok", Platform.IOS, "com.example"),
                                                new PushDevice("fcm:1", Platform.ANDROID, null)),
                                        Channel.EMAIL,
                                        "a@example.com")),
                result,
                SendResult.retryable("RATE_LIMITED", "429", 1500L),
                new SendOutcome(request, result, T, 42L),
                content,
                new Delivery(
                        "0123456789abcdef0123456789abcdef",
                        "e1",
                        "u1",
                        "order.shipped",
                        "order",
                        Channel.PUSH,
                        Provider.APNS,
                        Platform.IOS,
                        "0123456789abcdef",
                        DeliveryStatus.FAILED,
                        "TOKEN_UNREGISTERED",
                        "410",
                        1,
                        Priority.HIGH,
                        null,
                        null,
                        T,
                        T,
                        T),
                new DeadLetter(
                        DeadLetter.INPUT,
                        "MALFORMED_JSON",
                        "x",
                        "notification-events",
                        "notification-events-0@1",
                        null,
                        "{",
                        "ew==",
                        null,
                        null,
                        null,
                        null,
                        T),
                new QuietHours("22:00", "08:00"));
    }

    @ParameterizedTest
    @MethodSource("samples")
    @SuppressWarnings("unchecked")
    void shouldRoundTripThroughItsFlinkSerializer(Object sample) throws Exception {
        TypeInformation<Object> info =
                (TypeInformation<Object>) TypeInformation.of(sample.getClass());
        assertThat(info).isInstanceOf(PojoTypeInfo.class);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<Object> serializer = info.createSerializer(config);

        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(sample, out);
        Object copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        assertThat(copy).isEqualTo(sample);
        assertThat(serializer.copy(sample)).isEqualTo(sample);
    }
}
