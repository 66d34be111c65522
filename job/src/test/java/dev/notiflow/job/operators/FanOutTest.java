package dev.notiflow.job.operators;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import dev.notiflow.model.Audience;
import dev.notiflow.model.Channel;
import dev.notiflow.model.NotificationEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static dev.notiflow.job.operators.Fixtures.event;
import static org.assertj.core.api.Assertions.assertThat;

class FanOutTest {

    private OneInputStreamOperatorTestHarness<NotificationEvent, RecipientEvent> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FanOut()));
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    @Test
    void shouldEmitOneRecipientEventForASingleRecipient() throws Exception {
        NotificationEvent e = event("e1", List.of(Channel.EMAIL), "u1");

        harness.processElement(e, 0);

        assertThat(harness.extractOutputValues()).containsExactly(new RecipientEvent("u1", e));
    }

    @Test
    void shouldEmitOneRecipientEventPerRecipientInOrderEachNamingOnlyItsRecipient()
            throws Exception {
        NotificationEvent e = event("e1", null, "u1", "u2", "u3");

        harness.processElement(e, 0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        new RecipientEvent("u1", event("e1", null, "u1")),
                        new RecipientEvent("u2", event("e1", null, "u2")),
                        new RecipientEvent("u3", event("e1", null, "u3")));
    }

    /**
     * What crosses the keyBy for one recipient does not depend on how many recipients the event
     * has: an event to N users moves N records of one size, not N copies of N ids.
     */
    @Test
    void aRecipientRecordShouldSerializeToTheSameSizeWhateverTheNumberOfRecipients()
            throws Exception {
        String[] thousand =
                IntStream.range(0, 1000).mapToObj(i -> "u" + (1000 + i)).toArray(String[]::new);
        harness.processElement(event("e1", null, "u1000"), 0);
        harness.processElement(event("e1", null, thousand), 0);
        List<RecipientEvent> out = harness.extractOutputValues();
        assertThat(out).hasSize(1001);

        int alone = serializedSize(out.get(0));
        int[] sizes =
                out.subList(1, out.size()).stream().mapToInt(FanOutTest::serializedSize).toArray();

        assertThat(sizes).containsOnly(alone);
    }

    @Test
    void shouldSendAnAudienceEventWholeToItsSideOutputAndNoRecipient() throws Exception {
        NotificationEvent base = event("e1", null);
        NotificationEvent audience =
                new NotificationEvent(
                        base.eventId(),
                        base.type(),
                        base.category(),
                        List.of(),
                        base.templateId(),
                        base.data(),
                        base.channels(),
                        base.priority(),
                        base.sendAt(),
                        base.createdAt(),
                        base.receivedAt(),
                        base.sourceRef(),
                        Audience.everyone());

        harness.processElement(audience, 0);

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(FanOut.AUDIENCES))
                .extracting(StreamRecord::getValue)
                .containsExactly(audience);
    }

    @Test
    void shouldEmitNothingForAnEventWithoutRecipients() throws Exception {
        harness.processElement(event("e1", null), 0);

        assertThat(harness.extractOutputValues()).isEmpty();
    }

    private static int serializedSize(RecipientEvent r) {
        TypeSerializer<RecipientEvent> serializer =
                TypeInformation.of(RecipientEvent.class)
                        .createSerializer(new SerializerConfigImpl());
        DataOutputSerializer bytes = new DataOutputSerializer(256);
        try {
            serializer.serialize(r, bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.length();
    }
}
