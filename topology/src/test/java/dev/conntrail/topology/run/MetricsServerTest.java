package dev.conntrail.topology.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.cli.MetricsServer;
import dev.conntrail.topology.metrics.TopologyMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    @Test
    void servesPrometheusMetricsAndHealthOnLoopback() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TopologyMetrics metrics = new TopologyMetrics(registry);
        metrics.openRows.set(3);
        metrics.expired(12);
        AtomicBoolean running = new AtomicBoolean(false);
        try (MetricsServer server = new MetricsServer(0, registry, running::get)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("conntrail_topology_rows{state=\"open\"} 3.0", "conntrail_topology_rows_expired_total 1.0",
                    "conntrail_topology_dead_lettered_total", "conntrail_topology_nat_matches_total", "conntrail_topology_hosts{state=\"lost\"}",
                    "conntrail_topology_punctuation_lag_seconds");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(503);
            running.set(true);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);
        }
    }
}
