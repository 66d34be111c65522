package dev.notiflow.kafka;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.PojoTestUtils;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.serde.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaIOTest {

    private static final Instant T = Instant.parse("2026-11-21T23:00:00.123456789Z");

    private static Delivery delivery(String notificationId) {
        return new Delivery(
                notificationId,
                "e1",
                "u1",
                "order.shipped",
                "order",
                Channel.PUSH,
                Provider.APNS,
                Platform.IOS,
                "0123456789abcdef",
                DeliveryStatus.SENT,
                null,
                null,
                1,
                Priority.NORMAL,
                "apns-id",
                T,
                T,
                T,
                T,
                "ko-KR");
    }

    @Test
    void shouldEncodeTheKeyAndTheValueAsTheJsonSinkWritesThem() throws Exception {
        MapFunction<Delivery, EncodedRecord> encoder = KafkaIO.encoder(Delivery::notificationId);
        Delivery d = delivery("0123456789abcdef0123456789abcdef");

        EncodedRecord r = encoder.map(d);

        assertThat(new String(r.key(), StandardCharsets.UTF_8))
                .isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(r.value()).isEqualTo(Json.toBytes(d));
        assertThat(Json.fromBytes(r.value(), Delivery.class)).isEqualTo(d);
    }

    @Test
    void shouldEncodeNoKeyAsNull() throws Exception {
        EncodedRecord r = KafkaIO.<Delivery>encoder(x -> null).map(delivery("n1"));

        assertThat(r.key()).isNull();
        assertThat(r.value()).isEqualTo(Json.toBytes(delivery("n1")));
    }

    @Test
    void shouldCrossAShuffleAsAPojoOfTwoByteArrays() throws Exception {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(EncodedRecord.class);
        TypeSerializer<EncodedRecord> serializer =
                TypeInformation.of(EncodedRecord.class)
                        .createSerializer(new SerializerConfigImpl());
        EncodedRecord r = KafkaIO.encoder(Delivery::notificationId).map(delivery("n1"));
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(r, out);
        serializer.serialize(new EncodedRecord(null, r.value()), out);

        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        EncodedRecord back = serializer.deserialize(in);
        EncodedRecord keyless = serializer.deserialize(in);

        assertThat(back.key()).isEqualTo(r.key());
        assertThat(back.value()).isEqualTo(r.value());
        assertThat(keyless.key()).isNull();
        assertThat(keyless.value()).isEqualTo(r.value());
    }
}
