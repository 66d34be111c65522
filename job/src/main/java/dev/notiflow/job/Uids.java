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

    /** A lane job's source of {@code notification-events.<lane>}. */
    public static final String LANE_EVENTS_SOURCE = "lane-events-source";

    /** A high or low lane job's source of its own retry topic. */
    public static final String LANE_RETRY_SOURCE = "lane-retry-source";

    /**
     * The lane router's: it reads {@code notification-events} under {@link #EVENTS_SOURCE} and
     * dedupes under {@link #DEDUPE}, so it carries on from the single job's savepoint.
     */
    public static final String ROUTER_PARSE_EVENTS = "router-parse-events";

    public static final String ROUTER_PRIORITY_EVENTS_SOURCE = "router-priority-events-source";
    public static final String ROUTER_PARSE_PRIORITY_EVENTS = "router-parse-priority-events";

    public static final String ROUTER_LANES_SINK = "router-lanes-sink";
    public static final String ROUTER_DELIVERIES_SINK = "router-deliveries-sink";
    public static final String ROUTER_DLQ_SINK = "router-dlq-sink";

    public static final String DELIVERY_LOG_SOURCE = "delivery-log-source";
    public static final String READ_DELIVERY_LOG = "read-delivery-log";
    public static final String ENGAGEMENT_SOURCE = "engagement-source";
    public static final String PARSE_ENGAGEMENT = "parse-engagement";
    public static final String ENGAGEMENT_TABLE_SINK = "engagement-table-sink";

    private Uids() {}

    /**
     * The uid of the encoder of the {@code i}-th stream of deliveries before the deliveries sink.
     * Stateless, so a savepoint holds nothing for it: the numbering may change between versions.
     */
    public static String encodeDeliveries(int i) {
        return "encode-deliveries-" + i;
    }

    /** The uid of a provider's async send operator, e.g. {@code send-apns}. */
    public static String send(dev.notiflow.model.Provider provider) {
        return SEND_PREFIX + provider.wireName();
    }
}
