package dev.notiflow.job.docs;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.description.Formatter;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.sinks.apns.ApnsOptions;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.live.LiveOptions;
import dev.notiflow.sinks.sms.SmsOptions;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Renders the option tables of {@code docs/configuration.md} from the options classes themselves,
 * so the reference cannot drift from the code.
 *
 * <p>The markdown file is hand-written prose with one generated region per options class, between
 * {@code <!-- BEGIN GENERATED <class> -->} and {@code <!-- END GENERATED <class> -->}. Only those
 * regions are rewritten. Each table lists every {@code public static final ConfigOption} field of
 * its class (for {@link JobOptions}, first {@link JobOptions#all()} in its order, which includes
 * the per-provider options that have no field), with key, type, default and description.
 *
 * <p>Regenerate the file from the repository root with (installing connectors and sinks first, so
 * that the job module sees their current options):
 *
 * <pre>{@code
 * mvn -o -q -B -pl contracts,connectors,sinks install -DskipTests
 * mvn -o -q -B -pl job test -Dtest=ConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dnotiflow.docs.regenerate=true
 * }</pre>
 *
 * <p>Stateless; every method is thread-safe.
 */
public final class ConfigReference {

    /**
     * System property that makes {@code ConfigReferenceTest} rewrite the file instead of failing.
     */
    public static final String REGENERATE_PROPERTY = "notiflow.docs.regenerate";

    /** The file, relative to the repository root. */
    public static final String RELATIVE_PATH = "docs/configuration.md";

    /** How to regenerate, for failure messages. */
    public static final String HOW_TO_REGENERATE =
            "cd <repo root> && mvn -o -q -B -pl contracts,connectors,sinks install -DskipTests"
                    + " && mvn -o -q -B -pl job test -Dtest=ConfigReferenceTest"
                    + " -Dsurefire.failIfNoSpecifiedTests=false -D"
                    + REGENERATE_PROPERTY
                    + "=true";

    /** One options class and the options it documents. */
    public record Section(Class<?> optionsClass, List<ConfigOption<?>> options) {

        public String beginMarker() {
            return "<!-- BEGIN GENERATED " + optionsClass.getName() + " -->";
        }

        public String endMarker() {
            return "<!-- END GENERATED " + optionsClass.getName() + " -->";
        }
    }

    private ConfigReference() {}

    /** Every documented options class, in the order of the file. */
    public static List<Section> sections() {
        List<ConfigOption<?>> job = new ArrayList<>(JobOptions.all());
        Set<String> keys = job.stream().map(ConfigOption::key).collect(Collectors.toSet());
        for (ConfigOption<?> option : fieldOptions(JobOptions.class)) {
            if (!keys.contains(option.key())) {
                job.add(option);
            }
        }
        return List.of(
                new Section(JobOptions.class, job),
                new Section(LaneOptions.class, LaneOptions.all()),
                new Section(ApnsOptions.class, sortedByKey(fieldOptions(ApnsOptions.class))),
                new Section(FcmOptions.class, sortedByKey(fieldOptions(FcmOptions.class))),
                new Section(SmsOptions.class, sortedByKey(fieldOptions(SmsOptions.class))),
                new Section(EmailOptions.class, sortedByKey(fieldOptions(EmailOptions.class))),
                new Section(LiveOptions.class, sortedByKey(fieldOptions(LiveOptions.class))),
                new Section(JdbcOptions.class, sortedByKey(fieldOptions(JdbcOptions.class))),
                new Section(LedgerOptions.class, sortedByKey(fieldOptions(LedgerOptions.class))));
    }

    /** The {@code public static final ConfigOption} fields of a class, in no guaranteed order. */
    public static List<ConfigOption<?>> fieldOptions(Class<?> optionsClass) {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : optionsClass.getFields()) {
            int mods = field.getModifiers();
            if (Modifier.isStatic(mods)
                    && Modifier.isFinal(mods)
                    && ConfigOption.class.isAssignableFrom(field.getType())) {
                try {
                    options.add((ConfigOption<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("cannot read " + field, e);
                }
            }
        }
        return options;
    }

    /** The markdown table of some options, one row per option, ending with a newline. */
    public static String table(List<ConfigOption<?>> options) {
        StringBuilder b = new StringBuilder();
        b.append("| key | type | default | description |\n");
        b.append("|---|---|---|---|\n");
        for (ConfigOption<?> option : options) {
            b.append(row(option)).append('\n');
        }
        return b.toString();
    }

    /** One table row: key, type, default and description. */
    public static String row(ConfigOption<?> option) {
        return "| `"
                + option.key()
                + "` | "
                + typeName(option)
                + " | "
                + defaultText(option)
                + " | "
                + cell(description(option))
                + " |";
    }

    /**
     * The file's text with every generated region replaced by the current tables.
     *
     * @throws IllegalArgumentException when a section's markers are missing or out of order
     */
    public static String apply(String markdown) {
        String text = markdown;
        for (Section section : sections()) {
            int begin = text.indexOf(section.beginMarker());
            int end = text.indexOf(section.endMarker());
            if (begin < 0 || end < 0 || end < begin) {
                throw new IllegalArgumentException(
                        RELATIVE_PATH
                                + " needs the markers "
                                + section.beginMarker()
                                + " and "
                                + section.endMarker()
                                + ", in this order");
            }
            int from = begin + section.beginMarker().length();
            text = text.substring(0, from) + "\n" + table(section.options()) + text.substring(end);
        }
        return text;
    }

    /**
     * The repository root: tests run in the module directory ({@code job/}), so it is {@code ..};
     * from the root itself it is the working directory.
     */
    public static Path repoRoot() {
        Path cwd = Path.of("").toAbsolutePath();
        if (Files.isDirectory(cwd.resolve("job")) && Files.isRegularFile(cwd.resolve("pom.xml"))) {
            return cwd;
        }
        return cwd.resolve("..").normalize();
    }

    public static Path file() {
        return repoRoot().resolve(RELATIVE_PATH);
    }

    /**
     * Rewrites the generated regions of {@code docs/configuration.md}; returns whether it changed.
     */
    public static boolean regenerate(Path file) throws IOException {
        String current = Files.readString(file, StandardCharsets.UTF_8);
        String updated = apply(current);
        if (updated.equals(current)) {
            return false;
        }
        Files.writeString(file, updated, StandardCharsets.UTF_8);
        return true;
    }

    /** Rewrites the file; run from the repository root or from {@code job/}. */
    public static void main(String[] args) throws IOException {
        Path file = args.length > 0 ? Path.of(args[0]) : file();
        System.out.println((regenerate(file) ? "updated " : "unchanged ") + file.toAbsolutePath());
    }

    static String typeName(ConfigOption<?> option) {
        Class<?> type = optionClass(option);
        String name;
        if (type.isEnum()) {
            name =
                    "Enum: "
                            + Arrays.stream(type.getEnumConstants())
                                    .map(c -> "`" + c.toString().toLowerCase(Locale.ROOT) + "`")
                                    .collect(Collectors.joining(", "));
        } else {
            name = type.getSimpleName();
        }
        return isList(option) ? "List<" + name + ">" : name;
    }

    static String defaultText(ConfigOption<?> option) {
        if (!option.hasDefaultValue() || option.defaultValue() == null) {
            return "(none)";
        }
        Object value = option.defaultValue();
        String text;
        if (value instanceof Duration) {
            text = TimeUtils.formatWithHighestUnit((Duration) value);
        } else if (value instanceof Enum) {
            text = value.toString().toLowerCase(Locale.ROOT);
        } else {
            text = String.valueOf(value);
        }
        return "`" + text + "`";
    }

    static String description(ConfigOption<?> option) {
        String text = new MarkdownFormatter().format(option.description()).trim();
        Set<String> deprecated = new LinkedHashSet<>();
        for (FallbackKey key : option.fallbackKeys()) {
            deprecated.add("`" + key.getKey() + "`");
        }
        if (!deprecated.isEmpty()) {
            text +=
                    " Old key"
                            + (deprecated.size() > 1 ? "s" : "")
                            + ", still read: "
                            + String.join(", ", deprecated)
                            + ".";
        }
        return text;
    }

    private static List<ConfigOption<?>> sortedByKey(List<ConfigOption<?>> options) {
        List<ConfigOption<?>> sorted = new ArrayList<>(options);
        sorted.sort(Comparator.comparing(ConfigOption::key));
        return sorted;
    }

    private static String cell(String text) {
        return text.replace("\r", "").replace("\n", " ").replace("|", "\\|");
    }

    // ConfigOption keeps its value class package-private; the docs need it for the type column.
    private static Class<?> optionClass(ConfigOption<?> option) {
        return (Class<?>) invoke(option, "getClazz");
    }

    private static boolean isList(ConfigOption<?> option) {
        return (Boolean) invoke(option, "isList");
    }

    private static Object invoke(ConfigOption<?> option, String method) {
        try {
            Method m = ConfigOption.class.getDeclaredMethod(method);
            m.setAccessible(true);
            return m.invoke(option);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call ConfigOption#" + method, e);
        }
    }

    /** Renders Flink option descriptions as one line of markdown. */
    private static final class MarkdownFormatter extends Formatter {

        @Override
        protected void formatLink(StringBuilder state, String link, String description) {
            state.append('[').append(description).append("](").append(link).append(')');
        }

        @Override
        protected void formatLineBreak(StringBuilder state) {
            state.append("<br>");
        }

        @Override
        protected void formatText(
                StringBuilder state,
                String format,
                String[] elements,
                EnumSet<TextElement.TextStyle> styles) {
            String text = String.format(format, (Object[]) elements);
            state.append(styles.contains(TextElement.TextStyle.CODE) ? "`" + text + "`" : text);
        }

        @Override
        protected void formatList(StringBuilder state, String[] entries) {
            state.append(String.join("; ", entries));
        }

        @Override
        protected Formatter newInstance() {
            return new MarkdownFormatter();
        }
    }
}
