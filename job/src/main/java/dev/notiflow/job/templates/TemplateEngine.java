package dev.notiflow.job.templates;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import liqp.Template;
import liqp.TemplateContext;
import liqp.TemplateParser;
import liqp.exceptions.LiquidException;
import liqp.exceptions.VariableNotExistException;
import liqp.filters.Filter;
import liqp.parser.Flavor;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Liquid engine (Liqp) set up for templates written by other teams: strict variables (a
 * variable the data lacks is an error, not an empty string), no {@code include} (a template cannot
 * read files or other templates), and limits on template size, loop iterations, output size (also
 * of the strings and lists the growing filters build) and render time. Liquid itself has no method
 * calls, no class access and no reflection: a template sees only the maps, lists, strings and
 * numbers of the model it is given.
 *
 * <p>One instance per operator instance, created in {@code open()} and closed in {@code close()}:
 * renders run on its own daemon threads so that a render over {@link #MAX_RENDER_MILLIS} is
 * abandoned. The limit is wall-clock time (Liqp's), so a render that hits it is also asked how much
 * CPU time its thread used: under {@link #STARVED_CPU_SHARE} of the limit, the machine was busy
 * elsewhere, not the template ({@link TemplateException#starved()}), and the caller may render it
 * again. Thread-safe.
 */
public final class TemplateEngine implements AutoCloseable {

    /** Longest template text, per part. */
    public static final int MAX_TEMPLATE_BYTES = 64 * 1024;

    /** Most loop iterations ({@code for}, {@code tablerow}) in one render of one part. */
    public static final int MAX_ITERATIONS = 1_000;

    /** Longest rendered part, in characters. */
    public static final int MAX_OUTPUT_CHARS = 256 * 1024;

    /** Longest render of one part. */
    public static final long MAX_RENDER_MILLIS = 200;

    /**
     * A render abandoned at {@link #MAX_RENDER_MILLIS} whose thread had used less than this share
     * of the limit in CPU time was starved (other threads had the CPU), not slow by itself.
     */
    static final double STARVED_CPU_SHARE = 0.5;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Reads the JSON text of nested {@code data} values; decimals stay exact. */
    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    /**
     * The filters that build longer strings or lists than their input: each result is checked
     * against {@link #MAX_OUTPUT_CHARS}, so that a loop that doubles a variable ({@code assign s =
     * s | append: s}) fails at once instead of filling the heap (the output limit only sees what is
     * written out).
     */
    private static final List<String> GROWING_FILTERS =
            List.of("append", "prepend", "replace", "replace_first", "join", "concat", "push");

    private final TemplateParser parser;
    private final ExecutorService renders;

    public TemplateEngine() {
        this(List.of());
    }

    /** An engine with extra filters beside Liquid's own (tests use it to make slow renders). */
    TemplateEngine(List<Filter> extraFilters) {
        TemplateParser.Builder builder = new TemplateParser.Builder();
        extraFilters.forEach(builder::withFilter);
        for (String name : GROWING_FILTERS) {
            Filter original = Flavor.LIQUID.getFilters().get(name);
            if (original != null) {
                builder.withFilter(new SizeCheckedFilter(original));
            }
        }
        this.parser =
                builder.withFlavor(Flavor.LIQUID)
                        .withStrictVariables(true)
                        .withErrorMode(TemplateParser.ErrorMode.STRICT)
                        .withShowExceptionsFromInclude(true)
                        .withNameResolver(
                                name -> {
                                    throw new IOException(
                                            "include is not allowed in notification templates");
                                })
                        .withLocale(Locale.ROOT)
                        .withDefaultTimeZone(ZoneOffset.UTC)
                        .withMaxTemplateSizeBytes(MAX_TEMPLATE_BYTES)
                        .withMaxIterations(MAX_ITERATIONS)
                        .withMaxSizeRenderedString(MAX_OUTPUT_CHARS)
                        .withMaxRenderTimeMillis(MAX_RENDER_MILLIS)
                        .build();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads =
                r -> {
                    Thread t = new Thread(r, "template-render-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                };
        // A cached pool: a render abandoned at the time limit keeps its thread only until its
        // iteration or output limit stops it, and never holds up the next render.
        this.renders = Executors.newCachedThreadPool(threads);
    }

    /** A compiled part, or {@code null} for an absent one. */
    public Template compile(String source) throws TemplateException {
        if (source == null) {
            return null;
        }
        if (source.length() > MAX_TEMPLATE_BYTES) {
            throw new TemplateException("longer than " + MAX_TEMPLATE_BYTES + " characters");
        }
        try {
            return parser.parse(source);
        } catch (RuntimeException e) {
            throw new TemplateException("does not compile: " + message(e));
        }
    }

    /** Renders a compiled part with the model, within the limits. */
    public String render(Template template, Map<String, Object> model) throws TemplateException {
        MeteredRender run = new MeteredRender();
        try {
            return template.render(model, run, false);
        } catch (RuntimeException e) {
            Throwable cause = rootCause(e);
            if (cause instanceof VariableNotExistException v) {
                throw new TemplateException(
                        "variable '" + v.getVariableName() + "' is not in the event's data");
            }
            String m = message(cause);
            // Liqp names its render-time limit "exceeded the max amount of time (N ms.)".
            if (!m.startsWith("exceeded the max amount of time")) {
                throw new TemplateException(m);
            }
            long cpuNanos = run.cpuNanos();
            boolean starved =
                    cpuNanos < STARVED_CPU_SHARE * TimeUnit.MILLISECONDS.toNanos(MAX_RENDER_MILLIS);
            throw new TemplateException(
                    starved
                            ? m
                                    + " while its thread had the CPU for only "
                                    + TimeUnit.NANOSECONDS.toMillis(cpuNanos)
                                    + " ms (the machine was busy)"
                            : m,
                    true,
                    starved);
        }
    }

    /**
     * The executor one render is handed to: runs it on the engine's pool and remembers its thread
     * and that thread's CPU time at the start, so that a render abandoned at the time limit can be
     * told apart from one that was starved of CPU. Liqp only submits to it.
     */
    private final class MeteredRender extends AbstractExecutorService {
        private volatile Thread runner;
        private volatile long startCpuNanos;

        @Override
        public void execute(Runnable task) {
            renders.execute(
                    () -> {
                        startCpuNanos = THREADS.getCurrentThreadCpuTime();
                        runner = Thread.currentThread();
                        task.run();
                    });
        }

        /** CPU time the render's thread used since it started it; 0 if it never started. */
        long cpuNanos() {
            Thread t = runner;
            if (t == null) {
                return 0;
            }
            long now = THREADS.getThreadCpuTime(t.getId());
            // -1: CPU time not measurable here; count the render as not starved.
            return now < 0 ? Long.MAX_VALUE : now - startCpuNanos;
        }

        @Override
        public void shutdown() {
            // one render, nothing to shut down: the engine's pool outlives it
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return false;
        }
    }

    /**
     * The template model of an event's {@code data}: strings as they are; a value that holds the
     * JSON text of an object or an array (how the event parser keeps nested values) as that
     * structure, so a template can loop over {@code order.items}; {@code null} values left out.
     */
    public static Map<String, Object> model(Map<String, String> data) {
        Map<String, Object> model = new LinkedHashMap<>();
        if (data == null) {
            return model;
        }
        for (Map.Entry<String, String> e : data.entrySet()) {
            String v = e.getValue();
            if (v != null) {
                model.put(e.getKey(), structureOrText(v));
            }
        }
        return model;
    }

    private static Object structureOrText(String v) {
        if (v.length() > 1 && (v.charAt(0) == '{' || v.charAt(0) == '[')) {
            try {
                return JSON.readValue(v, Object.class);
            } catch (IOException notJson) {
                return v;
            }
        }
        return v;
    }

    /** The model with every string in it HTML-escaped: the model of an email's HTML part. */
    @SuppressWarnings("unchecked")
    public static Object escaped(Object value) {
        if (value instanceof String s) {
            return escapeHtml(s);
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(String.valueOf(e.getKey()), escaped(e.getValue()));
            }
            return out;
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(escaped(o));
            }
            return out;
        }
        return value;
    }

    /** HTML-escapes the five characters that matter in text and attribute values. */
    public static String escapeHtml(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null
                && c.getCause() != c
                && (c instanceof ExecutionException
                        || c.getClass() == RuntimeException.class
                        || c instanceof LiquidException)) {
            c = c.getCause();
        }
        return c;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    @Override
    public void close() {
        renders.shutdownNow();
    }

    /** A filter whose string or list results may not exceed {@link #MAX_OUTPUT_CHARS}. */
    private static final class SizeCheckedFilter extends Filter {
        private final Filter original;

        SizeCheckedFilter(Filter original) {
            super(original.getName());
            this.original = original;
        }

        @Override
        public Object apply(Object value, TemplateContext context, Object... params) {
            Object result = original.apply(value, context, params);
            long size =
                    result instanceof CharSequence cs
                            ? cs.length()
                            : result instanceof Collection<?> c
                                    ? c.size()
                                    : result instanceof Object[] a ? a.length : 0;
            if (size > MAX_OUTPUT_CHARS) {
                throw new RuntimeException(
                        "filter " + getName() + " made a value over " + MAX_OUTPUT_CHARS);
            }
            return result;
        }
    }

    /** A template that does not compile or render; the message names what went wrong. */
    public static final class TemplateException extends Exception {
        private static final long serialVersionUID = 1L;

        private final boolean timedOut;
        private final boolean starved;

        public TemplateException(String message) {
            this(message, false, false);
        }

        public TemplateException(String message, boolean timedOut, boolean starved) {
            super(message, null, false, false);
            this.timedOut = timedOut;
            this.starved = starved;
        }

        /** The same failure, its message prefixed. */
        public TemplateException prefixed(String prefix) {
            return new TemplateException(prefix + getMessage(), timedOut, starved);
        }

        /**
         * Whether the render was abandoned at the time limit: it may still be running on its
         * thread, so its compiled template (which Liqp renders through a field of its own) must not
         * be rendered again.
         */
        public boolean timedOut() {
            return timedOut;
        }

        /**
         * Whether a render that timed out had its thread on the CPU for less than {@link
         * #STARVED_CPU_SHARE} of the limit: the machine was busy, and rendering it again may pass.
         */
        public boolean starved() {
            return starved;
        }
    }
}
