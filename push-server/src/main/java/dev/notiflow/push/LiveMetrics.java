package dev.notiflow.push;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The push server's counters and gauges, written as Prometheus text at {@code GET /metrics}. {@code
 * notiflow_live_open_connections} is the autoscaling metric. Thread-safe (atomics).
 */
final class LiveMetrics {

    final AtomicLong openWs = new AtomicLong();
    final AtomicLong openSse = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong ackTimeouts = new AtomicLong();
    final AtomicLong notConnected = new AtomicLong();
    final AtomicLong replayed = new AtomicLong();
    final AtomicLong goaways = new AtomicLong();
    final AtomicLong forcedCloses = new AtomicLong();
    final AtomicLong internalConnections = new AtomicLong();
    final AtomicLong acksForwarded = new AtomicLong();

    long open() {
        return openWs.get() + openSse.get();
    }

    String prometheus(boolean draining) {
        StringBuilder sb = new StringBuilder(1024);
        sb.append("# HELP notiflow_live_open_connections Open client connections.\n");
        sb.append("# TYPE notiflow_live_open_connections gauge\n");
        sb.append("notiflow_live_open_connections{transport=\"ws\"} ")
                .append(openWs.get())
                .append('\n');
        sb.append("notiflow_live_open_connections{transport=\"sse\"} ")
                .append(openSse.get())
                .append('\n');
        sb.append("# HELP notiflow_live_draining 1 while the server drains for shutdown.\n");
        sb.append("# TYPE notiflow_live_draining gauge\n");
        sb.append("notiflow_live_draining ").append(draining ? 1 : 0).append('\n');
        counter(
                sb,
                "notiflow_live_refused_total",
                "Connections refused for a missing or bad token.",
                refused);
        counter(
                sb,
                "notiflow_live_delivered_total",
                "Messages handed to connected clients.",
                delivered);
        counter(sb, "notiflow_live_acked_total", "Deliveries the client acknowledged.", acked);
        counter(
                sb,
                "notiflow_live_ack_timeouts_total",
                "Deliveries answered 504: no ack in time.",
                ackTimeouts);
        counter(
                sb,
                "notiflow_live_not_connected_total",
                "Deliveries answered 404: user not connected here.",
                notConnected);
        counter(
                sb,
                "notiflow_live_replayed_total",
                "Messages replayed to reconnecting clients.",
                replayed);
        counter(sb, "notiflow_live_goaways_total", "Goaway messages sent.", goaways);
        counter(
                sb,
                "notiflow_live_forced_closes_total",
                "Connections closed by the server after the goaway grace.",
                forcedCloses);
        counter(
                sb,
                "notiflow_live_internal_connections_total",
                "TCP connections accepted on the internal port (HTTP/2 carries many deliveries on"
                        + " one).",
                internalConnections);
        counter(
                sb,
                "notiflow_live_acks_forwarded_total",
                "Client acks handed to the server holding their pending delivery.",
                acksForwarded);
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, AtomicLong value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n");
        sb.append(name).append(' ').append(value.get()).append('\n');
    }
}
