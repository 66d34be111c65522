package dev.notiflow.job.operators;

import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static dev.notiflow.job.operators.Fixtures.BEGINNING;
import static org.assertj.core.api.Assertions.assertThat;

class RenderContentTest {

    private static final String TYPE = "order.shipped";

    private OneInputStreamOperatorTestHarness<SendRequest, SendRequest> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(new RenderContent()));
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    @Test
    void shouldUseTheGivenTitleBodyAndSubject() throws Exception {
        SendRequest in =
                request(Map.of("title", "Shipped", "body", "On its way", "subject", "Order 123"));

        assertThat(render(in))
                .isEqualTo(
                        in.withContent(
                                new Content(
                                        "Shipped",
                                        "On its way",
                                        "Order 123",
                                        "On its way",
                                        "<p>On its way</p>")));
    }

    @Test
    void shouldDefaultTheTitleToTheEventTypeAndTheSubjectToTheTitle() throws Exception {
        SendRequest in = request(Map.of("body", "On its way"));

        assertThat(render(in).content())
                .isEqualTo(
                        new Content(TYPE, "On its way", TYPE, "On its way", "<p>On its way</p>"));
    }

    @Test
    void shouldDefaultTheSubjectToAGivenTitle() throws Exception {
        SendRequest in = request(Map.of("title", "Shipped", "body", "On its way"));

        assertThat(render(in).content().subject()).isEqualTo("Shipped");
    }

    @Test
    void shouldUseTheTitleAsTextWithoutABody() throws Exception {
        assertThat(render(request(Map.of("title", "Shipped"))).content())
                .isEqualTo(new Content("Shipped", "", "Shipped", "Shipped", "<p>Shipped</p>"));
        assertThat(render(request(Map.of("title", "Shipped", "body", ""))).content())
                .isEqualTo(new Content("Shipped", "", "Shipped", "Shipped", "<p>Shipped</p>"));
    }

    @Test
    void shouldRenderFromTheTypeAloneWithoutData() throws Exception {
        SendRequest in = request(null);

        assertThat(render(in))
                .isEqualTo(
                        in.withContent(new Content(TYPE, "", TYPE, TYPE, "<p>" + TYPE + "</p>")));
    }

    /** The contract keeps a JSON {@code null} in {@code data} as null: it counts as absent. */
    @Test
    void shouldTreatNullDataValuesAsAbsent() throws Exception {
        Map<String, String> data = new HashMap<>();
        data.put("title", null);
        data.put("body", null);
        data.put("subject", null);

        assertThat(render(request(data)).content())
                .isEqualTo(new Content(TYPE, "", TYPE, TYPE, "<p>" + TYPE + "</p>"));
    }

    @Test
    void shouldEscapeTheHtmlPartOnly() throws Exception {
        String body = "<b>Tom & \"Jerry\"</b> isn't <script>";
        SendRequest in = request(Map.of("title", "A <b> title", "body", body));

        assertThat(render(in).content())
                .isEqualTo(
                        new Content(
                                "A <b> title",
                                body,
                                "A <b> title",
                                body,
                                "<p>&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; isn&#39;t"
                                        + " &lt;script&gt;</p>"));
        assertThat(render(request(Map.of("title", "1 < 2 & 3"))).content().html())
                .as("without a body the escaped title")
                .isEqualTo("<p>1 &lt; 2 &amp; 3</p>");
    }

    private SendRequest render(SendRequest in) throws Exception {
        int before = harness.extractOutputValues().size();
        harness.processElement(in, 0);
        var out = harness.extractOutputValues();
        assertThat(out).as("one request out per request in").hasSize(before + 1);
        return out.get(before);
    }

    private static SendRequest request(Map<String, String> data) {
        return SendRequest.builder()
                .notificationId("n-1")
                .eventId("e-1")
                .userId("u-1")
                .type(TYPE)
                .category("order")
                .channel(Channel.EMAIL)
                .provider(Provider.SMTP)
                .address("u1@example.com")
                .locale("en")
                .priority(Priority.NORMAL)
                .templateId(TYPE)
                .data(data)
                .createdAt(BEGINNING)
                .receivedAt(BEGINNING)
                .build();
    }
}
