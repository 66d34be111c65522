package dev.notiflow.job;

/**
 * Operator uids: the names savepoints map state by. Never change one after it has been deployed;
 * names ({@code .name()}) may change freely.
 */
public final class Uids {

    public static final String EVENTS_SOURCE = "events-source";
    public static final String PREFERENCES_SOURCE = "preferences-source";
    public static final String DEVICES_SOURCE = "devices-source";
    public static final String INVALIDATIONS_SOURCE = "invalidations-source";
    public static final String RETRY_SOURCE = "retry-source";
    public static final String TEMPLATES_SOURCE = "templates-source";
    public static final String CANCELLATIONS_SOURCE = "cancellations-source";

    public static final String PARSE_EVENTS = "parse-events";
    public static final String PARSE_PREFERENCES = "parse-preferences";
    public static final String PARSE_DEVICES = "parse-devices";
    public static final String PARSE_INVALIDATIONS = "parse-invalidations";
    public static final String PARSE_RETRIES = "parse-retries";
    public static final String PARSE_TEMPLATES = "parse-templates";
    public static final String PARSE_CANCELLATIONS = "parse-cancellations";
    public static final String SCHEDULE_RETRIES = "schedule-retries";

    public static final String DEDUPE = "dedupe-events";
    public static final String SCHEDULE = "schedule-events";
    public static final String FAN_OUT = "fan-out";
    public static final String SEQUENCE_AUDIENCES = "sequence-audiences";
    public static final String WALK_AUDIENCES = "walk-audiences";
    public static final String RESOLVE = "resolve-recipients";
    public static final String DIGEST = "digest";
    public static final String QUIET_HOURS = "quiet-hours";
    public static final String THROTTLE = "throttle";
    public static final String RENDER = "render-content";
    public static final String ROUTE_PROVIDERS = "route-providers";
    public static final String SEND_PREFIX = "send-";
    public static final String ROUTE_OUTCOMES = "route-outcomes";

    public static final String DELIVERIES_SINK = "deliveries-sink";
    public static final String DLQ_SINK = "dlq-sink";
    public static final String INVALIDATIONS_SINK = "invalidations-sink";
    public static final String RETRY_SINK = "retry-sink";

    public static final String DELIVERY_LOG_SOURCE = "delivery-log-source";
    public static final String READ_DELIVERY_LOG = "read-delivery-log";

    private Uids() {}

    /** The uid of a provider's async send operator, e.g. {@code send-apns}. */
    public static String send(dev.notiflow.model.Provider provider) {
        return SEND_PREFIX + provider.wireName();
    }
}
