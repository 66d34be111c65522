package dev.notiflow.testkit.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the mock providers answer, per recipient, in the {@code --provider-script} format:
 *
 * <pre>{@code
 * {"apns":  {"<device token>": {"status": 410, "reason": "Unregistered"}},
 *  "fcm":   {"<device token>": {"status": 404, "errorCode": "UNREGISTERED"}},
 *  "sms":   {"<E.164 number>": {"status": 400, "code": 21610}},
 *  "email": {"<address>": {"smtp": 550}},
 *  "transientFailureRate": 0.0, "latencyMs": 0}
 * }</pre>
 *
 * Anything not named is accepted. Each answer is the raw JSON object, so every mock reads the
 * fields of its own protocol (and optional extras such as {@code "retryAfter"} seconds or {@code
 * "timestamp"} for an APNs 410). Immutable and thread-safe.
 */
public final class ProviderScript {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, Map<String, JsonNode>> answers;
    private final double transientFailureRate;
    private final long latencyMs;

    private ProviderScript(
            Map<String, Map<String, JsonNode>> answers,
            double transientFailureRate,
            long latencyMs) {
        this.answers = answers;
        this.transientFailureRate = transientFailureRate;
        this.latencyMs = latencyMs;
    }

    /** A script that accepts everything at once. */
    public static ProviderScript acceptAll() {
        return new ProviderScript(Collections.emptyMap(), 0.0, 0);
    }

    public static ProviderScript parse(String json) {
        try {
            JsonNode root = MAPPER.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("provider script must be a JSON object");
            }
            Map<String, Map<String, JsonNode>> answers = new LinkedHashMap<>();
            for (String provider : new String[] {"apns", "fcm", "sms", "email"}) {
                JsonNode node = root.get(provider);
                Map<String, JsonNode> byRecipient = new LinkedHashMap<>();
                if (node != null) {
                    if (!node.isObject()) {
                        throw new IllegalArgumentException(
                                "provider script: '" + provider + "' must be an object");
                    }
                    node.fields().forEachRemaining(e -> byRecipient.put(e.getKey(), e.getValue()));
                }
                answers.put(provider, Collections.unmodifiableMap(byRecipient));
            }
            double rate = root.path("transientFailureRate").asDouble(0.0);
            if (rate < 0 || rate > 1) {
                throw new IllegalArgumentException(
                        "provider script: transientFailureRate must be within [0, 1], was " + rate);
            }
            long latency = root.path("latencyMs").asLong(0);
            if (latency < 0) {
                throw new IllegalArgumentException(
                        "provider script: latencyMs must not be negative, was " + latency);
            }
            return new ProviderScript(Collections.unmodifiableMap(answers), rate, latency);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "provider script is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static ProviderScript load(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /**
     * The scripted answer for a recipient, or {@code null} to accept.
     *
     * @param provider one of {@code apns}, {@code fcm}, {@code sms}, {@code email}
     */
    public JsonNode answerFor(String provider, String recipient) {
        Map<String, JsonNode> byRecipient = answers.get(provider);
        return byRecipient == null ? null : byRecipient.get(recipient);
    }

    /** Whether this attempt should fail transiently (5xx or 4xx SMTP), by the scripted rate. */
    public boolean nextIsTransientFailure() {
        return transientFailureRate > 0
                && ThreadLocalRandom.current().nextDouble() < transientFailureRate;
    }

    public double transientFailureRate() {
        return transientFailureRate;
    }

    public long latencyMs() {
        return latencyMs;
    }
}
