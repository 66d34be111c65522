package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import dev.notiflow.model.Channel;
import dev.notiflow.model.NotificationEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.notiflow.job.operators.Fixtures.event;
import static org.assertj.core.api.Assertions.assertThat;

class FanOutTest {

    private OneInputStreamOperatorTestHarness<NotificationEvent, RecipientEvent> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new FanOut()));
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

    /**
     * Pins what each output holds today: the whole event, with every recipient's id, for each of
     * the N recipients (N copies of the user list once serialized between operators).
     */
    @Test
    void shouldEmitOneRecipientEventPerRecipientInOrderEachWithTheWholeEvent() throws Exception {
        NotificationEvent e = event("e1", null, "u1", "u2", "u3");

        harness.processElement(e, 0);

        assertThat(harness.extractOutputValues())
                .containsExactly(
                        new RecipientEvent("u1", e),
                        new RecipientEvent("u2", e),
                        new RecipientEvent("u3", e));
        assertThat(harness.extractOutputValues())
                .allSatisfy(r -> assertThat(r.event().userIds()).containsExactly("u1", "u2", "u3"));
    }

    @Test
    void shouldEmitNothingForAnEventWithoutRecipients() throws Exception {
        harness.processElement(event("e1", null), 0);

        assertThat(harness.extractOutputValues()).isEmpty();
    }
}
