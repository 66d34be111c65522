package dev.notiflow.client;

import java.util.List;

/**
 * The answer to a send of one or more events: one {@link Item} per event, in the order sent. Over
 * Kafka every item is accepted (the events were validated when built, and the batch was committed
 * in one transaction); over HTTP the gateway answers per item.
 *
 * @param items one per event, by index
 */
public record SendResult(List<Item> items) {

    public SendResult {
        items = List.copyOf(items);
    }

    /**
     * @param index the event's position in the request
     * @param eventId the event's id
     * @param accepted whether it was enqueued
     * @param reason the DLQ reason when rejected, else {@code null}
     * @param detail what was wrong when rejected, else {@code null}
     */
    public record Item(int index, String eventId, boolean accepted, String reason, String detail) {}

    /** Whether every event was accepted. */
    public boolean allAccepted() {
        return items.stream().allMatch(Item::accepted);
    }

    public List<Item> rejected() {
        return items.stream().filter(i -> !i.accepted()).toList();
    }
}
