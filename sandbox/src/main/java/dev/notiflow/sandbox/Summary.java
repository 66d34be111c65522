package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Counts of a run's outputs by status, channel, provider and reason, as JSON and as a table. */
final class Summary {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Summary() {}

    static ObjectNode of(List<String> deliveries, List<String> dlq, List<String> invalidations) {
        Map<String, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> byChannel = new TreeMap<>();
        Map<String, Integer> byProvider = new TreeMap<>();
        Map<String, Integer> byReason = new TreeMap<>();
        Map<String, Integer> byChannelStatus = new TreeMap<>();
        for (String line : deliveries) {
            JsonNode d = read(line);
            String status = d.path("status").asText();
            String channel = text(d, "channel");
            byStatus.merge(status, 1, Integer::sum);
            byChannel.merge(channel, 1, Integer::sum);
            byProvider.merge(text(d, "provider"), 1, Integer::sum);
            byChannelStatus.merge(channel + "/" + status, 1, Integer::sum);
            if (!d.path("reason").isNull() && d.has("reason")) {
                byReason.merge(d.path("reason").asText(), 1, Integer::sum);
            }
        }
        Map<String, Integer> dlqByReason = new TreeMap<>();
        for (String line : dlq) {
            JsonNode d = read(line);
            dlqByReason.merge(
                    d.path("kind").asText() + "/" + d.path("reason").asText(), 1, Integer::sum);
        }
        ObjectNode summary = JSON.createObjectNode();
        summary.put("deliveries", deliveries.size());
        summary.put("deadLetters", dlq.size());
        summary.put("tokenInvalidations", invalidations.size());
        summary.set("byStatus", JSON.valueToTree(byStatus));
        summary.set("byChannel", JSON.valueToTree(byChannel));
        summary.set("byProvider", JSON.valueToTree(byProvider));
        summary.set("byReason", JSON.valueToTree(byReason));
        summary.set("byChannelAndStatus", JSON.valueToTree(byChannelStatus));
        summary.set("deadLettersByReason", JSON.valueToTree(dlqByReason));
        return summary;
    }

    static String table(ObjectNode summary) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-34s %8s%n", "outcome", "count"));
        b.append("-".repeat(43)).append('\n');
        section(b, "status", summary.get("byStatus"));
        section(b, "channel/status", summary.get("byChannelAndStatus"));
        section(b, "reason", summary.get("byReason"));
        section(b, "dlq", summary.get("deadLettersByReason"));
        b.append(
                String.format(
                        "%-34s %8d%n",
                        "token invalidations", summary.get("tokenInvalidations").asInt()));
        b.append(
                String.format(
                        "%-34s %8d%n", "total deliveries", summary.get("deliveries").asInt()));
        return b.toString();
    }

    private static void section(StringBuilder b, String title, JsonNode counts) {
        counts.fields()
                .forEachRemaining(
                        e ->
                                b.append(
                                        String.format(
                                                "%-34s %8d%n",
                                                title + " " + e.getKey(), e.getValue().asInt())));
    }

    private static String text(JsonNode d, String field) {
        JsonNode v = d.get(field);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    private static JsonNode read(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
