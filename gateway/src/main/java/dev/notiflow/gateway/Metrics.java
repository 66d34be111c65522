package dev.notiflow.gateway;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** The gateway's Prometheus metrics, in its own registry, written in the text format. */
public final class Metrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();

    final Counter requests =
            Counter.builder()
                    .name("notiflow_gateway_requests_total")
                    .help("HTTP requests by route and status")
                    .labelNames("method", "route", "status")
                    .register(registry);
    final Histogram latency =
            Histogram.builder()
                    .name("notiflow_gateway_request_duration_seconds")
                    .help("HTTP request latency by route")
                    .labelNames("method", "route")
                    .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                    .register(registry);
    final Counter produced =
            Counter.builder()
                    .name("notiflow_gateway_records_produced_total")
                    .help("Records committed to Kafka by topic")
                    .labelNames("topic")
                    .register(registry);
    final Counter rejections =
            Counter.builder()
                    .name("notiflow_gateway_rejections_total")
                    .help("Events rejected by validation, by reason (the DLQ's reasons)")
                    .labelNames("reason")
                    .register(registry);
    final Counter unavailable =
            Counter.builder()
                    .name("notiflow_gateway_kafka_unavailable_total")
                    .help("Requests answered 503 because Kafka did not commit in time")
                    .register(registry);

    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
