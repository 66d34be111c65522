package dev.notiflow.job.templates;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.function.SerializableSupplier;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notiflow.job.OutputTags;
import dev.notiflow.job.operators.Records;
import dev.notiflow.job.operators.RenderContent;
import dev.notiflow.job.policy.Digest;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationTemplate;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.TemplateUpdate;
import liqp.Template;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Renders each send request from its template, read from {@code notification-templates} into
 * broadcast state ({@link #TEMPLATES}, key {@code templateId:locale}): a new version applies to the
 * next request, a tombstone deletes the template. Each version is compiled once per operator
 * instance (a transient cache, emptied per key on every update and refilled lazily from the
 * broadcast state after a restore), never per request.
 *
 * <p>The template is looked up for the request's {@code templateId} in the user's locale, then its
 * language ({@code ko-KR} → {@code ko}), then {@code templates.default-locale}. Without one: a
 * request whose {@code templateId} is its {@code type} (the event named none) keeps the content
 * built from its data ({@link RenderContent}); one that named a template ends {@code FAILED}/{@code
 * TEMPLATE_ERROR}. So does a template that does not compile, needs a variable the data lacks, or
 * breaks a limit of the {@link TemplateEngine}; the detail names the template, the locale and the
 * variable, and a {@code SEND} dead letter repeats it.
 *
 * <p>Only the parts of the request's channel are rendered (and, best effort, those of its fallback
 * channel, which reuses this content, and for a push fallback those of the step after push): push
 * title and body; SMS text ({@code sms}, else body, else title); email subject ({@code
 * email.subject}, else title), plain text ({@code email.text}, else body) and HTML ({@code
 * email.html}, else the escaped text in a paragraph). Data values are HTML-escaped in the email
 * HTML part only. Payload limits are checked by the senders before sending.
 *
 * <p>A digest ({@link Digest}) is rendered with its category's digest template, which sees a {@code
 * digest} variable: {@code digest.count} and {@code digest.items} (see {@link #model}). A missing
 * digest template ends the digest {@code FAILED}/{@code TEMPLATE_ERROR} like any other named
 * template that is missing.
 */
public final class RenderTemplates
        extends BroadcastProcessFunction<SendRequest, TemplateUpdate, SendRequest> {

    private static final long serialVersionUID = 1L;

    /** The templates by {@code templateId:locale}. */
    public static final MapStateDescriptor<String, NotificationTemplate> TEMPLATES =
            new MapStateDescriptor<>(
                    "templates", Types.STRING, TypeInformation.of(NotificationTemplate.class));

    public static final String TEMPLATE_ERROR = "TEMPLATE_ERROR";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Renders of one request whose render was starved of CPU ({@link
     * TemplateEngine.TemplateException#starved()}) before it ends {@code TEMPLATE_ERROR}: a busy
     * machine does not fail a good template, and a template that is slow by itself fails at once.
     */
    static final int MAX_RENDER_ATTEMPTS = 3;

    /**
     * Contents rendered lately, kept for reuse: every recipient of one event has the event's data,
     * so the recipients of a batch or audience event would render the same template with the same
     * model a thousand times over. A render is reused for a request of the same compiled template
     * version, locale, channels and data, for at most {@link #REUSE_NANOS} (a template that prints
     * the time stays as fresh as that), and only when it is short ({@link #REUSE_MAX_CHARS}).
     */
    static final int RECENT_RENDERS = 256;

    static final long REUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    static final int REUSE_MAX_CHARS = 8 * 1024;

    private final String defaultLocale;
    private final SerializableSupplier<TemplateEngine> engines;

    private transient TemplateEngine engine;
    private transient Map<String, Compiled> compiled;
    private transient Counter compiles;
    private transient Counter rendered;
    private transient Counter errors;
    private transient Counter starvedRenders;
    private transient Counter reused;
    private transient Map<RenderKey, Rendered> recent;

    public RenderTemplates(String defaultLocale) {
        this(defaultLocale, TemplateEngine::new);
    }

    /** With an engine of the caller's (tests give it filters that make renders slow). */
    RenderTemplates(String defaultLocale, SerializableSupplier<TemplateEngine> engines) {
        this.defaultLocale = defaultLocale;
        this.engines = engines;
    }

    @Override
    public void open(OpenContext openContext) {
        engine = engines.get();
        compiled = new HashMap<>();
        var metrics = getRuntimeContext().getMetricGroup();
        compiles = metrics.counter("templatesCompiled");
        rendered = metrics.counter("templatesRendered");
        errors = metrics.counter("templateErrors");
        starvedRenders = metrics.counter("templateRendersStarved");
        reused = metrics.counter("templateRendersReused");
        recent =
                new LinkedHashMap<>(RECENT_RENDERS * 2, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<RenderKey, Rendered> eldest) {
                        return size() > RECENT_RENDERS;
                    }
                };
    }

    @Override
    public void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    public void processBroadcastElement(
            TemplateUpdate update, Context ctx, Collector<SendRequest> out) throws Exception {
        BroadcastState<String, NotificationTemplate> state = ctx.getBroadcastState(TEMPLATES);
        if (update.isDeletion()) {
            state.remove(update.key());
        } else {
            state.put(update.key(), update.template());
        }
        compiled.remove(update.key());
    }

    @Override
    public void processElement(SendRequest request, ReadOnlyContext ctx, Collector<SendRequest> out)
            throws Exception {
        ReadOnlyBroadcastState<String, NotificationTemplate> state =
                ctx.getBroadcastState(TEMPLATES);
        String templateId = request.templateId() != null ? request.templateId() : request.type();
        String locale = null;
        NotificationTemplate template = null;
        for (String candidate : localeChain(request.locale(), defaultLocale)) {
            template = state.get(NotificationTemplate.key(templateId, candidate));
            if (template != null) {
                locale = candidate;
                break;
            }
        }
        if (template == null) {
            if (templateId.equals(request.type())) {
                out.collect(RenderContent.fromData(request));
            } else {
                fail(
                        request,
                        "template '"
                                + templateId
                                + "' not found for locale "
                                + String.join(" > ", localeChain(request.locale(), defaultLocale)),
                        null,
                        ctx);
            }
            return;
        }
        String where = "template '" + templateId + "' (" + locale + "): ";
        for (int attempt = 1; ; attempt++) {
            try {
                Compiled c = compiled(template);
                RenderKey key =
                        new RenderKey(
                                c,
                                locale,
                                request.channel(),
                                request.fallbackChannel(),
                                request.pushFallback() == null
                                        ? null
                                        : request.pushFallback().thenChannel(),
                                request.data());
                Rendered earlier = recent.get(key);
                long now = System.nanoTime();
                if (earlier != null && now - earlier.atNanos() < REUSE_NANOS) {
                    rendered.inc();
                    reused.inc();
                    out.collect(request.withContent(earlier.content()));
                    return;
                }
                Map<String, Object> model = model(request.data());
                Content content = render(c, request.channel(), model, locale);
                if (request.fallbackChannel() != null
                        && request.fallbackChannel() != request.channel()) {
                    content = withFallbackParts(content, c, request.fallbackChannel(), model);
                }
                Channel then =
                        request.pushFallback() == null
                                ? null
                                : request.pushFallback().thenChannel();
                if (then != null && then != request.channel()) {
                    // live>push>email: each push fallback reuses this content, and so does its
                    // email.
                    content = withFallbackParts(content, c, then, model);
                }
                rendered.inc();
                if (length(content) <= REUSE_MAX_CHARS) {
                    recent.put(key, new Rendered(content, now));
                } else {
                    recent.remove(key);
                }
                out.collect(request.withContent(content));
                return;
            } catch (TemplateEngine.TemplateException e) {
                if (e.timedOut()) {
                    // It may still run on its thread: the next render compiles the template anew.
                    compiled.remove(template.key());
                }
                if (e.starved() && attempt < MAX_RENDER_ATTEMPTS) {
                    // The machine was busy, not the template: render it again.
                    starvedRenders.inc();
                    continue;
                }
                fail(request, where + e.getMessage(), locale, ctx);
                return;
            }
        }
    }

    /**
     * The template model of a request's data: {@link TemplateEngine#model}, and for a digest
     * ({@link Digest}) a {@code digest} variable instead of its {@link Digest#COUNT} and {@link
     * Digest#ITEMS}: {@code count}, a number, and {@code items}, a list of the folded
     * notifications, each its data with {@code eventId}, {@code type} and {@code createdAt}.
     */
    static Map<String, Object> model(Map<String, String> data)
            throws TemplateEngine.TemplateException {
        if (data == null || !data.containsKey(Digest.COUNT) || !data.containsKey(Digest.ITEMS)) {
            return TemplateEngine.model(data);
        }
        Map<String, String> own = new LinkedHashMap<>(data);
        String count = own.remove(Digest.COUNT);
        String items = own.remove(Digest.ITEMS);
        Map<String, Object> model = TemplateEngine.model(own);
        Map<String, Object> digest = new LinkedHashMap<>();
        try {
            digest.put("count", Integer.parseInt(count));
            List<Map<String, Object>> list = new ArrayList<>();
            for (JsonNode node : JSON.readTree(items)) {
                Map<String, String> itemData =
                        JSON.convertValue(node.path("data"), new TypeReference<>() {});
                Map<String, Object> item = TemplateEngine.model(itemData);
                for (String field : List.of("eventId", "type", "createdAt")) {
                    if (node.hasNonNull(field)) {
                        item.put(field, node.get(field).asText());
                    }
                }
                list.add(item);
            }
            digest.put("items", list);
        } catch (IOException | IllegalArgumentException e) {
            throw new TemplateEngine.TemplateException(
                    "the digest's " + Digest.COUNT + " or " + Digest.ITEMS + " is malformed");
        }
        model.put("digest", digest);
        return model;
    }

    /** How many template versions this instance compiled (its {@code templatesCompiled} count). */
    long compiledVersions() {
        return compiles.getCount();
    }

    /** The locales to try, most specific first: {@code ko-KR}, {@code ko}, the default. */
    static java.util.List<String> localeChain(String userLocale, String defaultLocale) {
        java.util.List<String> chain = new java.util.ArrayList<>(3);
        if (userLocale != null && !userLocale.isBlank()) {
            chain.add(userLocale);
            int dash = userLocale.indexOf('-');
            if (dash > 0) {
                chain.add(userLocale.substring(0, dash));
            }
        }
        if (!chain.contains(defaultLocale)) {
            chain.add(defaultLocale);
        }
        return chain;
    }

    private Compiled compiled(NotificationTemplate t) throws TemplateEngine.TemplateException {
        Compiled c = compiled.get(t.key());
        if (c != null) {
            return c;
        }
        c =
                new Compiled(
                        t,
                        part(t.title(), "title"),
                        part(t.body(), "body"),
                        part(t.sms(), "sms"),
                        part(t.emailSubject(), "email.subject"),
                        part(t.emailText(), "email.text"),
                        part(t.emailHtml(), "email.html"));
        compiles.inc();
        compiled.put(t.key(), c);
        return c;
    }

    private Template part(String source, String name) throws TemplateEngine.TemplateException {
        try {
            return engine.compile(source);
        } catch (TemplateEngine.TemplateException e) {
            throw new TemplateEngine.TemplateException(name + " " + e.getMessage());
        }
    }

    private Content render(Compiled c, Channel channel, Map<String, Object> model, String locale)
            throws TemplateEngine.TemplateException {
        switch (channel) {
            case PUSH:
            case LIVE:
                {
                    if (c.title == null && c.body == null) {
                        throw new TemplateEngine.TemplateException("has no title or body for push");
                    }
                    return new Content(
                            render(c.title, "title", model),
                            render(c.body, "body", model),
                            null,
                            null,
                            null,
                            locale);
                }
            case SMS:
                {
                    Template sms = first(c.sms, c.body, c.title);
                    if (sms == null) {
                        throw new TemplateEngine.TemplateException("has no sms, body or title");
                    }
                    return new Content(null, null, null, render(sms, "sms", model), null, locale);
                }
            case EMAIL:
            default:
                {
                    Template subject = first(c.emailSubject, c.title, null);
                    Template text = first(c.emailText, c.body, null);
                    if (subject == null) {
                        throw new TemplateEngine.TemplateException(
                                "has no email.subject or title for email");
                    }
                    if (text == null && c.emailHtml == null) {
                        throw new TemplateEngine.TemplateException(
                                "has no email.html, email.text or body for email");
                    }
                    String renderedText = render(text, "email.text", model);
                    String html =
                            c.emailHtml != null
                                    ? render(
                                            c.emailHtml,
                                            "email.html",
                                            castMap(TemplateEngine.escaped(model)))
                                    : "<p>" + TemplateEngine.escapeHtml(renderedText) + "</p>";
                    return new Content(
                            null,
                            null,
                            render(subject, "email.subject", model),
                            renderedText,
                            html,
                            locale);
                }
        }
    }

    /**
     * The content with the parts of the fallback channel added, so that the fallback (which reuses
     * this content) can be sent; a part that fails to render is left out and the fallback fails
     * then, not this request.
     */
    private Content withFallbackParts(
            Content content, Compiled c, Channel fallback, Map<String, Object> model) {
        try {
            Content extra = render(c, fallback, model, content.locale());
            return new Content(
                    content.title() != null ? content.title() : extra.title(),
                    content.body() != null ? content.body() : extra.body(),
                    content.subject() != null ? content.subject() : extra.subject(),
                    content.text() != null ? content.text() : extra.text(),
                    content.html() != null ? content.html() : extra.html(),
                    content.locale());
        } catch (TemplateEngine.TemplateException e) {
            if (e.timedOut()) {
                compiled.remove(c.source().key());
            }
            return content;
        }
    }

    private String render(Template part, String name, Map<String, Object> model)
            throws TemplateEngine.TemplateException {
        if (part == null) {
            return null;
        }
        try {
            return engine.render(part, model);
        } catch (TemplateEngine.TemplateException e) {
            throw e.prefixed(name + ": ");
        }
    }

    private void fail(SendRequest request, String detail, String locale, ReadOnlyContext ctx) {
        errors.inc();
        Delivery d =
                Records.forRequest(
                        request,
                        DeliveryStatus.FAILED,
                        TEMPLATE_ERROR,
                        detail,
                        0,
                        null,
                        null,
                        Instant.now(),
                        locale);
        ctx.output(OutputTags.DELIVERIES, d);
        ctx.output(OutputTags.DEAD_LETTERS, Records.failedSend(d));
    }

    private static Template first(Template a, Template b, Template c) {
        return a != null ? a : b != null ? b : c;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    private static int length(Content c) {
        return len(c.title()) + len(c.body()) + len(c.subject()) + len(c.text()) + len(c.html());
    }

    private static int len(String s) {
        return s == null ? 0 : s.length();
    }

    /**
     * What a content was rendered from: the compiled version (a new template version is a new
     * {@link Compiled}), the locale chosen, the channel and the fallback channels whose parts it
     * holds, and the request's data (the model's only input).
     */
    private record RenderKey(
            Compiled compiled,
            String locale,
            Channel channel,
            Channel fallback,
            Channel then,
            Map<String, String> data) {}

    private record Rendered(Content content, long atNanos) {}

    /** One compiled template version: its parts, {@code null} where the template has none. */
    private record Compiled(
            NotificationTemplate source,
            Template title,
            Template body,
            Template sms,
            Template emailSubject,
            Template emailText,
            Template emailHtml) {}
}
