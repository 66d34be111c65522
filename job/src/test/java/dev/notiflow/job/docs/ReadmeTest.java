package dev.notiflow.job.docs;

import org.apache.flink.configuration.ConfigOption;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.job.OutputTags;
import dev.notiflow.job.Uids;
import dev.notiflow.job.analytics.DeliveryAnalytics;
import dev.notiflow.job.operators.DedupeEvents;
import dev.notiflow.job.operators.RecipientResolver;
import dev.notiflow.job.operators.RetryScheduler;
import dev.notiflow.job.operators.RouteToProviders;
import dev.notiflow.job.policy.Digest;
import dev.notiflow.job.policy.QuietHoursGate;
import dev.notiflow.job.policy.ScheduleEvents;
import dev.notiflow.job.policy.Throttle;
import dev.notiflow.job.templates.RenderTemplates;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Provider;
import dev.notiflow.model.TokenInvalidation;
import dev.notiflow.serde.Json;
import dev.notiflow.sinks.SendFunction;
import dev.notiflow.sinks.live.LiveSender;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps README.md and docs/operations.md true to the code: every uid, state name, side output,
 * outcome reason and metric the code defines is documented, nothing documented is missing from the
 * code, the sample records have exactly the fields the job writes, and relative links resolve.
 */
class ReadmeTest {

    private static final Path ROOT = ConfigReference.repoRoot();
    private static final String README = read("README.md");
    private static final String OPERATIONS = read("docs/operations.md");

    private static final Pattern BACKTICKED = Pattern.compile("`([^`\\n]+)`");
    private static final Pattern UPPER_SNAKE = Pattern.compile("`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`");
    private static final Pattern SENDER_REASON =
            Pattern.compile(
                    "(?:rejected|retryable|tokenDead|new Rejection)\\(\\s*\"([A-Z][A-Z0-9_]+)\"");
    private static final Pattern METRIC =
            Pattern.compile("\\.(?:counter|gauge|histogram|meter)\\(\\s*\"([A-Za-z]+)\"");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final List<String> OPTION_PREFIXES =
            List.of(
                    "kafka",
                    "topics",
                    "input",
                    "dedupe",
                    "profile",
                    "devices",
                    "send",
                    "retry",
                    "job",
                    "apns",
                    "fcm",
                    "sms",
                    "email",
                    "jdbc",
                    "throttle",
                    "templates");

    @Test
    void shouldNameEveryOperatorUid() throws IllegalAccessException {
        List<String> uids = new ArrayList<>();
        for (Field f : Uids.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && f.getType() == String.class
                    && !f.getName().equals("SEND_PREFIX")) {
                uids.add((String) f.get(null));
            }
        }
        for (Provider p : Provider.values()) {
            uids.add(Uids.send(p));
        }
        Collections.addAll(
                uids,
                DeliveryAnalytics.TABLE_SINK_UID,
                DeliveryAnalytics.WATERMARKS_UID,
                DeliveryAnalytics.WINDOW_UID,
                DeliveryAnalytics.LATE_UID,
                DeliveryAnalytics.METRICS_SINK_UID,
                DeliveryAnalytics.TABLE_SINK_COMMITTER_UID,
                DeliveryAnalytics.METRICS_SINK_COMMITTER_UID);

        assertThat(backticked(section(README, "## Topology"))).containsAll(uids);
    }

    @Test
    void shouldNameEveryKeyedStateAndSideOutput() {
        Set<String> topology = backticked(section(README, "## Topology"));

        assertThat(topology)
                .contains(
                        DedupeEvents.SEEN_STATE,
                        RecipientResolver.PREFERENCES_STATE,
                        RecipientResolver.DEVICES_STATE,
                        RecipientResolver.PENDING_STATE,
                        RetryScheduler.WAITING_STATE,
                        Throttle.COUNTS_STATE,
                        Throttle.LAST_STATE,
                        Throttle.DEFERRED_STATE,
                        ScheduleEvents.HELD_STATE,
                        ScheduleEvents.DUE_STATE,
                        ScheduleEvents.DONE_STATE,
                        ScheduleEvents.CANCELS_STATE,
                        OutputTags.DEAD_LETTERS.getId(),
                        OutputTags.DELIVERIES.getId(),
                        OutputTags.TOKEN_INVALIDATIONS.getId(),
                        OutputTags.RETRIES.getId());
        for (Provider p : Provider.values()) {
            assertThat(topology).contains(OutputTags.toProvider(p).getId());
        }
    }

    @Test
    void shouldListEveryReasonTheCodeProduces() {
        Set<String> produced = producedReasons();
        Set<String> documented = outcomeTableReasons();

        assertThat(produced).as("reasons found in the code").hasSizeGreaterThan(20);
        assertThat(documented).containsAll(produced);
    }

    @Test
    void shouldListOnlyReasonsTheCodeProduces() {
        assertThat(producedReasons()).containsAll(outcomeTableReasons());
    }

    @Test
    void shouldExplainEveryReasonInTheRunbook() {
        assertThat(UPPER_SNAKE.matcher(OPERATIONS).results().map(m -> m.group(1)).toList())
                .contains(
                        SendFunction.CREDENTIALS_REJECTED,
                        SendFunction.CHANNEL_PAUSED,
                        "TOKEN_UNREGISTERED",
                        "BAD_DEVICE_TOKEN");
    }

    @Test
    void shouldShowDeliveryAndDeadLetterSamplesWithTheSerializedFields() {
        Set<String> delivery = fieldsWritten(emptyDelivery());
        Set<String> deadLetter =
                fieldsWritten(
                        new DeadLetter(
                                null, null, null, null, null, null, null, null, null, null, null,
                                null, null));
        Set<String> invalidation =
                fieldsWritten(new TokenInvalidation(null, null, null, null, null, null));

        List<JsonNode> samples = jsonSamples(README);
        assertThat(samples.stream().filter(n -> n.has("finalAt")).map(ReadmeTest::fields))
                .isNotEmpty()
                .allSatisfy(f -> assertThat(f).isEqualTo(delivery));
        assertThat(samples.stream().filter(n -> n.has("kind")).map(ReadmeTest::fields))
                .isNotEmpty()
                .allSatisfy(f -> assertThat(f).isEqualTo(deadLetter));
        assertThat(samples.stream().filter(n -> n.has("invalidatedAt")).map(ReadmeTest::fields))
                .isNotEmpty()
                .allSatisfy(f -> assertThat(f).isEqualTo(invalidation));
    }

    @Test
    void shouldDocumentEveryMetricTheCodeRegisters() {
        Set<String> registered = new TreeSet<>();
        for (String source : mainSources()) {
            METRIC.matcher(source).results().forEach(m -> registered.add(m.group(1)));
        }
        Set<String> documented = new TreeSet<>();
        for (String name : backticked(section(README, "## Logging and metrics"))) {
            documented.add(name.substring(name.lastIndexOf('.') + 1).replaceAll(" .*", ""));
        }

        assertThat(registered).hasSizeGreaterThan(10);
        assertThat(documented).containsAll(registered);
    }

    @Test
    void shouldMentionOnlyOptionKeysThatExist() {
        Set<String> known = new TreeSet<>();
        for (ConfigReference.Section s : ConfigReference.sections()) {
            for (ConfigOption<?> o : s.options()) {
                known.add(o.key());
                o.fallbackKeys().forEach(k -> known.add(k.getKey()));
            }
        }
        Set<String> mentioned = new TreeSet<>();
        for (String text : List.of(README, OPERATIONS)) {
            for (String token : backticked(text)) {
                String key = token.replaceFirst("^--", "").replaceAll("[ =:].*", "");
                if (key.matches("[a-z]+(\\.[a-z0-9-]+)+")
                        && OPTION_PREFIXES.contains(key.substring(0, key.indexOf('.')))
                        && !key.matches(".*\\.(yaml|md|sql|json|jsonl|sh|java|properties)")) {
                    mentioned.add(key);
                }
            }
        }

        assertThat(mentioned).isNotEmpty();
        assertThat(known).containsAll(mentioned);
    }

    @Test
    void shouldLinkOnlyToFilesThatExist() {
        for (String doc : List.of("README.md", "docs/operations.md", "docs/configuration.md")) {
            Path dir = ROOT.resolve(doc).getParent();
            for (String target : links(read(doc))) {
                String path = target.replaceAll("#.*", "");
                if (path.isEmpty() || path.matches("[a-z]+:.*")) {
                    continue;
                }
                assertThat(dir.resolve(path).normalize()).as("link %s in %s", target, doc).exists();
            }
        }
    }

    @Test
    void shouldNameTheCommandsThatExist() {
        for (String script :
                List.of(
                        "test.sh",
                        "run-local.sh",
                        "kafka.sh",
                        "postgres.sh",
                        "cluster.sh",
                        "submit.sh")) {
            assertThat(README).contains("scripts/" + script);
            assertThat(ROOT.resolve("scripts").resolve(script)).isRegularFile();
        }
        assertThat(read(".ci/run")).contains("scripts/test.sh");
    }

    /** Every UPPER_SNAKE reason a status can carry, read from the code that produces them. */
    private static Set<String> producedReasons() {
        Set<String> reasons = new TreeSet<>();
        for (String source : senderSources()) {
            SENDER_REASON.matcher(source).results().forEach(m -> reasons.add(m.group(1)));
        }
        reasons.addAll(stringConstants(RecipientResolver.class));
        reasons.addAll(stringConstants(Throttle.class));
        reasons.addAll(stringConstants(QuietHoursGate.class));
        reasons.addAll(stringConstants(Digest.class));
        reasons.addAll(stringConstants(ScheduleEvents.class));
        reasons.add(RouteToProviders.CHANNEL_DISABLED);
        reasons.add(RenderTemplates.TEMPLATE_ERROR);
        reasons.addAll(stringConstants(SendFunction.class));
        reasons.addAll(stringConstants(LiveSender.class));
        Matcher duplicate =
                Pattern.compile("\"([A-Z]+_EVENT)\"")
                        .matcher(read("job/src/main/java/dev/notiflow/job/operators/Records.java"));
        while (duplicate.find()) {
            reasons.add(duplicate.group(1));
        }
        return reasons;
    }

    /**
     * Reasons in the rows of the README's outcome table (statuses and dead-letter kinds left out).
     */
    private static Set<String> outcomeTableReasons() {
        Set<String> notReasons =
                Stream.of(DeliveryStatus.values()).map(Enum::name).collect(Collectors.toSet());
        notReasons.add(DeadLetter.SEND);
        notReasons.add(DeadLetter.INPUT);
        Set<String> reasons = new TreeSet<>();
        for (String line : section(README, "## Outcomes").split("\n")) {
            if (line.startsWith("| `")) {
                for (String token : backticked(line)) {
                    if (token.matches("[A-Z][A-Z0-9_]+") && !notReasons.contains(token)) {
                        reasons.add(token);
                    }
                }
            }
        }
        // Retried without using up an attempt, so never a final reason; explained below the table.
        reasons.add(SendFunction.CHANNEL_PAUSED);
        return reasons;
    }

    private static Set<String> stringConstants(Class<?> type) {
        Set<String> values = new TreeSet<>();
        for (Field f : type.getFields()) {
            int mods = f.getModifiers();
            if (Modifier.isStatic(mods) && Modifier.isFinal(mods) && f.getType() == String.class) {
                try {
                    String v = (String) f.get(null);
                    if (v.matches("[A-Z][A-Z0-9_]+")) {
                        values.add(v);
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return values;
    }

    private static Delivery emptyDelivery() {
        return new Delivery(
                null, null, null, null, null, null, null, null, null, null, null, null, 0, null,
                null, null, null, null, null);
    }

    private static Set<String> fieldsWritten(Object record) {
        try {
            return fields(Json.MAPPER.readTree(Json.toText(record)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new TreeSet<>();
        Iterator<String> it = node.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }

    /** The JSON objects in the document's ```json blocks that parse as one object each. */
    private static List<JsonNode> jsonSamples(String markdown) {
        List<JsonNode> samples = new ArrayList<>();
        Matcher m = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            try {
                JsonNode node = Json.MAPPER.readTree(m.group(1));
                if (node != null && node.isObject()) {
                    samples.add(node);
                }
            } catch (IOException notOneObject) {
                // e.g. a format sketch with placeholders
            }
        }
        return samples;
    }

    private static Set<String> backticked(String text) {
        Set<String> tokens = new LinkedHashSet<>();
        BACKTICKED.matcher(text).results().forEach(r -> tokens.add(r.group(1)));
        return tokens;
    }

    private static List<String> links(String markdown) {
        return LINK.matcher(markdown).results().map(r -> r.group(1)).toList();
    }

    /** The text from a heading to the next heading of the same level. */
    private static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        assertThat(start).as("heading %s", heading).isNotNegative();
        int end = markdown.indexOf("\n## ", start + heading.length() + 2);
        return end < 0 ? markdown.substring(start) : markdown.substring(start, end);
    }

    private static List<String> senderSources() {
        return sources("sinks/src/main/java");
    }

    private static List<String> mainSources() {
        List<String> all = new ArrayList<>(sources("job/src/main/java"));
        all.addAll(sources("sinks/src/main/java"));
        return all;
    }

    private static List<String> sources(String dir) {
        try (Stream<Path> files = Files.walk(ROOT.resolve(dir))) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .sorted()
                    .map(f -> read(ROOT.relativize(f).toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(String relative) {
        try {
            return Files.readString(ROOT.resolve(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + relative, e);
        }
    }
}
