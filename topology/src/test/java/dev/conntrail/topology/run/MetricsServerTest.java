package dev.conntrail.topology.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.cli.Health;
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
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, registry,
                () -> running.get() ? Health.OK : Health.unhealthy("Kafka Streams is NOT_RUNNING"))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("conntrail_topology_rows{state=\"open\"} 3.0", "conntrail_topology_rows_expired_total 1.0",
                    "conntrail_topology_dead_lettered_total", "conntrail_topology_nat_matches_total", "conntrail_topology_hosts{state=\"lost\"}",
                    "conntrail_topology_punctuation_lag_seconds");
            HttpResponse<String> down = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).isEqualTo("unhealthy: Kafka Streams is NOT_RUNNING\n");
            running.set(true);
            HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(up.body()).isEqualTo("ok\n");
        }
    }
}
