package dev.notiflow.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Engagement;
import dev.notiflow.serde.EngagementParser;

import java.time.Instant;

/**
 * The {@code notification-engagement} record of a report, validated by {@link EngagementParser}.
 */
final class Engagements {

    static final String TOPIC = "notification-engagement";

    /** Who reports, in the record's {@code source}, when the client writes to Kafka itself. */
    static final String SOURCE = "client";

    private Engagements() {}

    static ContractRecord record(
            String notificationId, Engagement.Event event, Instant at, Instant receivedAt) {
        ObjectNode o = JsonBuilder.object();
        JsonBuilder.text(o, "notificationId", notificationId);
        JsonBuilder.text(o, "event", event == null ? null : event.wireName());
        JsonBuilder.instant(o, "at", at);
        o.put("source", SOURCE);
        JsonBuilder.instant(o, "receivedAt", receivedAt);
        return ContractRecord.validated(
                TOPIC, notificationId, JsonBuilder.bytes(o), EngagementParser::parse);
    }
}
