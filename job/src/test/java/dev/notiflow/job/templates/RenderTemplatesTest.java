package dev.notiflow.job.templates;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import dev.notiflow.job.OutputTags;
import dev.notiflow.job.policy.Digest;
import dev.notiflow.job.policy.Throttle;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.NotificationTemplate;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.PushDevice;
import dev.notiflow.model.PushFallback;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.TemplateUpdate;
import liqp.TemplateContext;
import liqp.filters.Filter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class RenderTemplatesTest {

    private static final Instant BEGINNING = Instant.parse("2026-11-21T22:00:00Z");

    private RenderTemplates function;
    private BroadcastOperatorTestHarness<SendRequest, TemplateUpdate, SendRequest> harness;

    private BroadcastOperatorTestHarness<SendRequest, TemplateUpdate, SendRequest> open()
            throws Exception {
        function = new RenderTemplates("en");
        harness =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                        function, RenderTemplates.TEMPLATES);
        return harness;
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private static NotificationTemplate push(String id, String locale, String title, String body) {
        return new NotificationTemplate(id, locale, title, body, null, null, null, null, null);
    }

    private static TemplateUpdate put(NotificationTemplate t) {
        return new TemplateUpdate(t.key(), t);
    }

    private static SendRequest request(
            Channel channel, String templateId, String locale, Map<String, String> data) {
        return SendRequest.builder()
                .notificationId("n-1")
                .eventId("e-1")
                .userId("u1")
                .type("order.shipped")
                .category("order")
                .channel(channel)
                .provider(channel == Channel.PUSH ? Provider.APNS : Provider.forChannel(channel))
                .platform(channel == Channel.PUSH ? Platform.IOS : null)
                .token(channel == Channel.PUSH ? "tok" : null)
                .address(channel == Channel.PUSH ? null : "u1@example.com")
                .locale(locale)
                .priority(Priority.NORMAL)
                .templateId(templateId)
                .data(data)
                .createdAt(BEGINNING)
                .receivedAt(BEGINNING)
                .build();
    }

    private void broadcast(TemplateUpdate u) throws Exception {
        harness.processBroadcastElement(new StreamRecord<>(u));
    }

    private Content render(SendRequest r) throws Exception {
        int before = harness.extractOutputValues().size();
        harness.processElement(new StreamRecord<>(r));
        List<SendRequest> out = harness.extractOutputValues();
        assertThat(out).as("rendered requests").hasSize(before + 1);
        return out.get(out.size() - 1).content();
    }

    private List<Delivery> failures() {
        return harness.getSideOutput(OutputTags.DELIVERIES) == null
                ? List.of()
                : harness.getSideOutput(OutputTags.DELIVERIES).stream()
                        .map(StreamRecord::getValue)
                        .collect(Collectors.toList());
    }

    @Test
    void shouldFallBackFromTheUsersLocaleToItsLanguageThenToTheDefault() throws Exception {
        open();
        broadcast(put(push("order_shipped", "ko-KR", "주문 {{orderId}} (ko-KR)", null)));
        broadcast(put(push("order_shipped", "ko", "주문 {{orderId}} (ko)", null)));
        broadcast(put(push("order_shipped", "fr", "Commande {{orderId}}", null)));
        broadcast(put(push("order_shipped", "en", "Order {{orderId}}", null)));
        Map<String, String> data = Map.of("orderId", "42");

        Content exact = render(request(Channel.PUSH, "order_shipped", "ko-KR", data));
        Content language = render(request(Channel.PUSH, "order_shipped", "ko-KP", data));
        Content fallback = render(request(Channel.PUSH, "order_shipped", "de-DE", data));
        Content noLocale = render(request(Channel.PUSH, "order_shipped", null, data));

        assertThat(exact.title()).isEqualTo("주문 42 (ko-KR)");
        assertThat(exact.locale()).isEqualTo("ko-KR");
        assertThat(language.title()).isEqualTo("주문 42 (ko)");
        assertThat(language.locale()).isEqualTo("ko");
        assertThat(fallback.title()).isEqualTo("Order 42");
        assertThat(fallback.locale()).isEqualTo("en");
        assertThat(noLocale.locale()).isEqualTo("en");
    }

    @Test
    void shouldEscapeDataInTheEmailHtmlPartOnly() throws Exception {
        open();
        broadcast(
                put(
                        new NotificationTemplate(
                                "promo",
                                "en",
                                "Hi {{name}}",
                                "Deal for {{name}}",
                                "Deal: {{name}}",
                                "<p>Hello <b>{{name}}</b></p>",
                                "Hello {{name}}",
                                "SMS {{name}}",
                                null)));
        Map<String, String> data = Map.of("name", "<Tom & \"Jerry\">");

        Content email = render(request(Channel.EMAIL, "promo", "en", data));
        Content push = render(request(Channel.PUSH, "promo", "en", data));
        Content sms = render(request(Channel.SMS, "promo", "en", data));

        assertThat(email.html())
                .isEqualTo("<p>Hello <b>&lt;Tom &amp; &quot;Jerry&quot;&gt;</b></p>");
        assertThat(email.subject()).isEqualTo("Deal: <Tom & \"Jerry\">");
        assertThat(email.text()).isEqualTo("Hello <Tom & \"Jerry\">");
        assertThat(push.title()).isEqualTo("Hi <Tom & \"Jerry\">");
        assertThat(push.body()).isEqualTo("Deal for <Tom & \"Jerry\">");
        assertThat(sms.text()).isEqualTo("SMS <Tom & \"Jerry\">");
    }

    @Test
    void shouldLoopOverListsAndReadNestedObjectsAndNumbersInData() throws Exception {
        open();
        broadcast(
                put(
                        push(
                                "receipt",
                                "en",
                                "{{ order.items | size }} items",
                                "{% for item in order.items %}{{ item.qty }}x {{ item.name }}"
                                        + " ({{ item.price }}){% unless forloop.last %}, {% endunless %}"
                                        + "{% endfor %}; total {{ order.total }}")));
        // How the event parser keeps nested data: compact JSON text.
        Map<String, String> data =
                Map.of(
                        "order",
                        "{\"items\":[{\"name\":\"Tea\",\"qty\":2,\"price\":1.10},"
                                + "{\"name\":\"Cake\",\"qty\":1,\"price\":3.5}],\"total\":5.70}");

        Content c = render(request(Channel.PUSH, "receipt", "en", data));

        assertThat(c.title()).isEqualTo("2 items");
        assertThat(c.body()).isEqualTo("2x Tea (1.10), 1x Cake (3.5); total 5.70");
    }

    @Test
    void shouldFailAVariableTheDataLacksAsATemplateErrorNamingTemplateLocaleAndVariable()
            throws Exception {
        open();
        broadcast(put(push("order_shipped", "ko", "주문 {{orderId}}", "{{ carrier.name }}")));

        harness.processElement(
                new StreamRecord<>(
                        request(Channel.PUSH, "order_shipped", "ko-KR", Map.of("orderId", "1"))));

        assertThat(harness.extractOutputValues()).isEmpty();
        List<Delivery> failed = failures();
        assertThat(failed).hasSize(1);
        Delivery d = failed.get(0);
        assertThat(d.status()).isEqualTo(DeliveryStatus.FAILED);
        assertThat(d.reason()).isEqualTo("TEMPLATE_ERROR");
        assertThat(d.detail())
                .isEqualTo(
                        "template 'order_shipped' (ko): body: variable 'carrier.name' is not in"
                                + " the event's data");
        assertThat(d.locale()).isEqualTo("ko");
        List<DeadLetter> dlq =
                harness.getSideOutput(OutputTags.DEAD_LETTERS).stream()
                        .map(StreamRecord::getValue)
                        .collect(Collectors.toList());
        assertThat(dlq).hasSize(1);
        assertThat(dlq.get(0).kind()).isEqualTo(DeadLetter.SEND);
        assertThat(dlq.get(0).reason()).isEqualTo("TEMPLATE_ERROR");
        assertThat(dlq.get(0).detail()).isEqualTo(d.detail());
    }

    @Test
    void shouldFailAMissingTemplateTheEventNamedButBuildContentFromDataForItsType()
            throws Exception {
        open();
        Map<String, String> data = new LinkedHashMap<>();
        data.put("title", "Shipped");
        data.put("body", "On its way");

        harness.processElement(
                new StreamRecord<>(request(Channel.PUSH, "order_shipped", "ko-KR", data)));
        Content fromData = render(request(Channel.PUSH, "order.shipped", "ko-KR", data));

        assertThat(fromData.title()).isEqualTo("Shipped");
        assertThat(fromData.body()).isEqualTo("On its way");
        assertThat(fromData.locale()).isNull();
        List<Delivery> failed = failures();
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).reason()).isEqualTo("TEMPLATE_ERROR");
        assertThat(failed.get(0).detail())
                .isEqualTo("template 'order_shipped' not found for locale ko-KR > ko > en");
    }

    @Test
    void shouldRenderADigestTemplateWithTheCountAndTheFoldedItems() throws Exception {
        open();
        broadcast(
                put(
                        new NotificationTemplate(
                                "digest.social",
                                "en",
                                "{{ digest.count }} new",
                                "{{ digest.count }} new: {% for i in digest.items %}{{ i.actor }}"
                                        + " on {{ i.post.title }} ({{ i.eventId }}, {{ i.type }},"
                                        + " {{ i.createdAt }}){% unless forloop.last %}; {% endunless"
                                        + " %}{% endfor %}",
                                null,
                                "<p>{% for i in digest.items %}<b>{{ i.actor }}</b>{% endfor %}</p>",
                                null,
                                null,
                                null)));
        List<SendRequest> folded = new ArrayList<>();
        String[] actors = {"Ann", "<Bo>", "Cy", "Di"};
        for (int i = 0; i < actors.length; i++) {
            Map<String, String> data = new LinkedHashMap<>();
            data.put("actor", actors[i]);
            data.put("post", "{\"title\":\"Post " + (i + 1) + "\"}");
            folded.add(social("s" + (i + 1), Channel.PUSH, data));
            folded.add(social("s" + (i + 1), Channel.EMAIL, data));
        }
        List<SendRequest> digests = digestsOf(folded, 3);
        assertThat(digests).hasSize(2);

        Content push = render(only(digests, Channel.PUSH));
        Content email = render(only(digests, Channel.EMAIL));

        assertThat(push.title()).isEqualTo("4 new");
        assertThat(push.body())
                .isEqualTo(
                        "4 new: Ann on Post 1 (s1, social.like, 2026-11-21T22:00:00Z); <Bo> on"
                                + " Post 2 (s2, social.like, 2026-11-21T22:00:00Z); Cy on Post 3"
                                + " (s3, social.like, 2026-11-21T22:00:00Z)");
        assertThat(email.subject()).isEqualTo("4 new");
        assertThat(email.html()).isEqualTo("<p><b>Ann</b><b>&lt;Bo&gt;</b><b>Cy</b></p>");
        assertThat(failures()).isEmpty();
    }

    @Test
    void shouldFailADigestWhoseDigestTemplateIsMissingAsATemplateError() throws Exception {
        open();
        // The category's own template exists; the digest template does not.
        broadcast(put(push("social.like", "en", "{{ actor }} liked it", "")));
        List<SendRequest> digests =
                digestsOf(
                        List.of(
                                social("s1", Channel.PUSH, Map.of("actor", "Ann")),
                                social("s2", Channel.PUSH, Map.of("actor", "Bo"))),
                        10);

        harness.processElement(new StreamRecord<>(digests.get(0)));

        assertThat(harness.extractOutputValues()).isEmpty();
        List<Delivery> failed = failures();
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).status()).isEqualTo(DeliveryStatus.FAILED);
        assertThat(failed.get(0).reason()).isEqualTo("TEMPLATE_ERROR");
        assertThat(failed.get(0).notificationId()).isEqualTo(digests.get(0).notificationId());
        assertThat(failed.get(0).detail())
                .isEqualTo("template 'digest.social' not found for locale en");
        assertThat(harness.getSideOutput(OutputTags.DEAD_LETTERS))
                .extracting(r -> r.getValue().notificationId())
                .containsExactly(digests.get(0).notificationId());
    }

    private static SendRequest social(String eventId, Channel channel, Map<String, String> data) {
        String token = channel == Channel.PUSH ? "tok" : null;
        return SendRequest.builder()
                .notificationId(NotificationIds.of(eventId, "u1", channel, token))
                .eventId(eventId)
                .userId("u1")
                .type("social.like")
                .category("social")
                .channel(channel)
                .provider(channel == Channel.PUSH ? Provider.APNS : Provider.forChannel(channel))
                .platform(channel == Channel.PUSH ? Platform.IOS : null)
                .token(token)
                .address(channel == Channel.PUSH ? null : "u1@example.com")
                .locale("en")
                .priority(Priority.NORMAL)
                .data(data)
                .createdAt(BEGINNING)
                .receivedAt(BEGINNING)
                .build();
    }

    private static SendRequest only(List<SendRequest> requests, Channel channel) {
        List<SendRequest> on = requests.stream().filter(r -> r.channel() == channel).toList();
        assertThat(on).hasSize(1);
        return on.get(0);
    }

    /** The digests the real {@link Digest} operator makes of these requests. */
    private static List<SendRequest> digestsOf(List<SendRequest> folded, int maxItems)
            throws Exception {
        Digest.Settings settings =
                new Digest.Settings(Map.of("social", Duration.ofMinutes(1)), Map.of(), maxItems);
        try (var digest =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new Digest(settings)),
                        Throttle::key,
                        Types.STRING)) {
            digest.open();
            digest.setProcessingTime(0);
            for (SendRequest r : folded) {
                digest.processElement(r, 0);
            }
            digest.setProcessingTime(Duration.ofMinutes(1).toMillis());
            return new ArrayList<>(digest.extractOutputValues());
        }
    }

    @Test
    void shouldForgetATemplateOnATombstone() throws Exception {
        open();
        broadcast(put(push("otp", "en", "Code {{code}}", null)));
        assertThat(render(request(Channel.PUSH, "otp", "en", Map.of("code", "1"))).title())
                .isEqualTo("Code 1");

        broadcast(new TemplateUpdate("otp:en", null));
        harness.processElement(
                new StreamRecord<>(request(Channel.PUSH, "otp", "en", Map.of("code", "2"))));

        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(failures()).extracting(Delivery::reason).containsExactly("TEMPLATE_ERROR");
        assertThat(harness.getBroadcastState(RenderTemplates.TEMPLATES).contains("otp:en"))
                .isFalse();
    }

    @Test
    void shouldCompileEachVersionOnceAndUseANewVersionForTheNextRequest() throws Exception {
        open();
        broadcast(put(push("otp", "en", "Code {{code}}", null)));
        for (int i = 0; i < 5; i++) {
            render(request(Channel.PUSH, "otp", "en", Map.of("code", "" + i)));
        }
        assertThat(function.compiledVersions()).isEqualTo(1);

        broadcast(put(push("otp", "en", "Your code is {{code}}", null)));
        Content c = render(request(Channel.PUSH, "otp", "en", Map.of("code", "7")));
        render(request(Channel.PUSH, "otp", "en", Map.of("code", "8")));

        assertThat(c.title()).isEqualTo("Your code is 7");
        assertThat(function.compiledVersions()).isEqualTo(2);
    }

    @Test
    void shouldKeepTemplatesAcrossASnapshotAndCompileThemAgainAfterRestore() throws Exception {
        open();
        broadcast(put(push("otp", "en", "Code {{code}}", null)));
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();

        function = new RenderTemplates("en");
        harness =
                new BroadcastOperatorTestHarness<>(
                        new CoBroadcastWithNonKeyedOperator<>(
                                function, List.of(RenderTemplates.TEMPLATES)),
                        1,
                        1,
                        0);
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();
        Content c = render(request(Channel.PUSH, "otp", "en", Map.of("code", "9")));

        assertThat(c.title()).isEqualTo("Code 9");
        assertThat(function.compiledVersions()).isEqualTo(1);
    }

    private SendRequest recipient(String userId, Channel channel, Map<String, String> data) {
        SendRequest r = request(channel, "code", "en", data);
        return r.toBuilder()
                .userId(userId)
                .notificationId(NotificationIds.of("e-1", userId, channel, r.token()))
                .build();
    }

    @Test
    void shouldRenderOnceForTheRecipientsOfOneEventAndAgainForOtherDataOrVersions()
            throws Exception {
        openSlow();
        PAUSES_LEFT.set(0);
        broadcast(put(push("code", "en", "Code {{ code | pause }}", "for {{ code }}")));
        Map<String, String> data = Map.of("code", "123456");

        Content first = render(recipient("u1", Channel.PUSH, data));
        Content second = render(recipient("u2", Channel.PUSH, new LinkedHashMap<>(data)));
        Content third = render(recipient("u3", Channel.PUSH, data));

        assertThat(List.of(first, second, third))
                .extracting(Content::title)
                .containsOnly("Code 123456");
        assertThat(FILTER_CALLS.get()).as("renders for one event's data").isEqualTo(1);
        assertThat(harness.extractOutputValues())
                .extracting(SendRequest::userId)
                .containsExactly("u1", "u2", "u3");

        Content other = render(recipient("u4", Channel.PUSH, Map.of("code", "654321")));
        assertThat(other.title()).isEqualTo("Code 654321");
        assertThat(FILTER_CALLS.get()).as("other data").isEqualTo(2);

        Content sms = render(recipient("u1", Channel.SMS, data));
        assertThat(sms.text()).isEqualTo("for 123456");

        broadcast(put(push("code", "en", "New {{ code | pause }}", "for {{ code }}")));
        Content updated = render(recipient("u5", Channel.PUSH, data));
        assertThat(updated.title()).isEqualTo("New 123456");
        assertThat(FILTER_CALLS.get()).as("a new template version").isEqualTo(3);
    }

    @Test
    void shouldRenderAgainOnceAnEarlierRenderIsOlderThanItsReuseTime() throws Exception {
        openSlow();
        PAUSES_LEFT.set(0);
        broadcast(put(push("code", "en", "At {{ code | pause }}", null)));
        Map<String, String> data = Map.of("code", "1");

        Content first = render(recipient("u1", Channel.PUSH, data));
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(RenderTemplates.REUSE_NANOS) + 100);
        Content later = render(recipient("u2", Channel.PUSH, data));

        assertThat(FILTER_CALLS.get()).as("rendered again").isEqualTo(2);
        assertThat(later).isEqualTo(first);
    }

    /** Calls of the test filters below, and how many of the {@code pause} ones still sleep. */
    private static final AtomicInteger PAUSES_LEFT = new AtomicInteger();

    private static final AtomicInteger FILTER_CALLS = new AtomicInteger();

    /**
     * {@code pause} sleeps past the render limit while {@link #PAUSES_LEFT} is positive (the thread
     * off the CPU, as on a machine busy elsewhere); {@code spin} keeps the CPU busy past it (a
     * template slow by itself).
     */
    private static TemplateEngine slowEngine() {
        Filter pause =
                new Filter("pause") {
                    @Override
                    public Object apply(Object value, TemplateContext context, Object... params) {
                        FILTER_CALLS.incrementAndGet();
                        if (PAUSES_LEFT.getAndDecrement() > 0) {
                            try {
                                Thread.sleep(TemplateEngine.MAX_RENDER_MILLIS + 200);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        return value;
                    }
                };
        Filter spin =
                new Filter("spin") {
                    @Override
                    public Object apply(Object value, TemplateContext context, Object... params) {
                        FILTER_CALLS.incrementAndGet();
                        long until =
                                System.nanoTime()
                                        + TimeUnit.MILLISECONDS.toNanos(
                                                TemplateEngine.MAX_RENDER_MILLIS + 200);
                        long x = 0;
                        while (System.nanoTime() < until) {
                            x += System.nanoTime() % 7;
                        }
                        return x >= 0 ? value : null;
                    }
                };
        return new TemplateEngine(List.of(pause, spin));
    }

    private BroadcastOperatorTestHarness<SendRequest, TemplateUpdate, SendRequest> openSlow()
            throws Exception {
        FILTER_CALLS.set(0);
        function = new RenderTemplates("en", RenderTemplatesTest::slowEngine);
        harness =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                        function, RenderTemplates.TEMPLATES);
        return harness;
    }

    @Test
    void shouldRenderAgainARenderStarvedOfCpuInsteadOfFailingAGoodTemplate() throws Exception {
        openSlow();
        PAUSES_LEFT.set(1);
        broadcast(put(push("code", "en", "Code {{ code | pause }}", "{{ code }}")));

        Content content = render(request(Channel.PUSH, "code", "en", Map.of("code", "123456")));

        assertThat(content.title()).isEqualTo("Code 123456");
        assertThat(failures()).isEmpty();
        assertThat(FILTER_CALLS.get()).as("rendered twice").isEqualTo(2);
    }

    @Test
    void shouldFailARenderStarvedEveryTimeAfterItsLastAttemptSayingTheMachineWasBusy()
            throws Exception {
        openSlow();
        PAUSES_LEFT.set(Integer.MAX_VALUE);
        broadcast(put(push("code", "en", "Code {{ code | pause }}", "{{ code }}")));

        harness.processElement(
                new StreamRecord<>(request(Channel.PUSH, "code", "en", Map.of("code", "123456"))));

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(failures())
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.reason()).isEqualTo("TEMPLATE_ERROR");
                            assertThat(d.detail())
                                    .startsWith("template 'code' (en): title: exceeded the max")
                                    .endsWith("(the machine was busy)");
                        });
        assertThat(FILTER_CALLS.get()).isEqualTo(RenderTemplates.MAX_RENDER_ATTEMPTS);
    }

    @Test
    void shouldFailATemplateSlowByItselfAtItsFirstRender() throws Exception {
        openSlow();
        broadcast(put(push("slow", "en", "{{ code | spin }}", "{{ code }}")));

        harness.processElement(
                new StreamRecord<>(request(Channel.PUSH, "slow", "en", Map.of("code", "123456"))));

        assertThat(harness.extractOutputValues()).isEmpty();
        Delivery d = failures().get(0);
        assertThat(failures()).hasSize(1);
        assertThat(d.reason()).isEqualTo("TEMPLATE_ERROR");
        String limit =
                "template 'slow' (en): title: exceeded the max amount of time ("
                        + TemplateEngine.MAX_RENDER_MILLIS
                        + " ms.)";
        if (d.detail().endsWith("(the machine was busy)")) {
            // A machine this busy starves even a spinning thread in 200 ms of wall time: then
            // every attempt was starved, and the render was tried the whole number of times.
            assertThat(FILTER_CALLS.get()).isEqualTo(RenderTemplates.MAX_RENDER_ATTEMPTS);
        } else {
            // The thread had the CPU and used it: slow by itself, failed at its first render.
            assertThat(d.detail()).isEqualTo(limit);
            assertThat(FILTER_CALLS.get()).as("rendered once").isEqualTo(1);
        }
    }

    @Test
    void shouldEnforceTheLoopLimitAndRefuseIncludes() throws Exception {
        open();
        broadcast(put(push("loop", "en", "{% for i in (1..5000) %}x{% endfor %}", null)));
        broadcast(put(push("inc", "en", "{% include 'secret' %}", null)));

        harness.processElement(new StreamRecord<>(request(Channel.PUSH, "loop", "en", Map.of())));
        harness.processElement(new StreamRecord<>(request(Channel.PUSH, "inc", "en", Map.of())));

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(failures())
                .extracting(Delivery::detail)
                .satisfiesExactly(
                        d ->
                                assertThat(d)
                                        .startsWith("template 'loop' (en): title: ")
                                        .contains("maxIterations"),
                        d -> assertThat(d).startsWith("template 'inc' (en): title: "));
    }

    @Test
    void shouldStopAVariableThatGrowsPastTheOutputLimitWithoutWritingItOut() throws Exception {
        open();
        // 10 characters doubled 20 times: 10 Mi characters, never written out
        broadcast(
                put(
                        push(
                                "grow",
                                "en",
                                "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..20) %}"
                                        + "{% assign s = s | append: s %}{% endfor %}"
                                        + "{{ s | size }}",
                                null)));

        harness.processElement(new StreamRecord<>(request(Channel.PUSH, "grow", "en", Map.of())));

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(failures())
                .extracting(Delivery::detail)
                .containsExactly(
                        "template 'grow' (en): title: filter append made a value over "
                                + TemplateEngine.MAX_OUTPUT_CHARS);
    }

    @Test
    void shouldRenderTheFallbackChannelsPartsToo() throws Exception {
        open();
        broadcast(
                put(
                        new NotificationTemplate(
                                "otp",
                                "en",
                                "Code",
                                "Your code {{code}}",
                                null,
                                null,
                                null,
                                "SMS code {{code}}",
                                null)));

        Content c =
                render(
                        request(Channel.PUSH, "otp", "en", Map.of("code", "5"))
                                .withFallback(Channel.SMS, "+14155552671"));

        assertThat(c.title()).isEqualTo("Code");
        assertThat(c.text()).isEqualTo("SMS code 5");
    }

    @Test
    void shouldRenderTheStepAfterAPushFallbackToo() throws Exception {
        open();
        broadcast(
                put(
                        new NotificationTemplate(
                                "otp",
                                "en",
                                "Code",
                                "Your code {{code}}",
                                "Your sign-in code",
                                null,
                                null,
                                null,
                                null)));

        Content c =
                render(
                        request(Channel.LIVE, "otp", "en", Map.of("code", "5"))
                                .withPushFallback(
                                        new PushFallback(
                                                List.of(new PushDevice("tok", Platform.IOS, "app")),
                                                Channel.EMAIL,
                                                "u1@example.com")));

        assertThat(c.title()).isEqualTo("Code");
        assertThat(c.body()).isEqualTo("Your code 5");
        assertThat(c.subject())
                .as("each push's email fallback reuses it")
                .isEqualTo("Your sign-in code");
        assertThat(c.text()).isEqualTo("Your code 5");
    }
}
