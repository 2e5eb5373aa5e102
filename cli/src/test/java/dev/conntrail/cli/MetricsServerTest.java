package dev.conntrail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics server against real sockets on loopback: it listens only where told, and clients that send one byte
 * and stall, or nothing at all, hold neither {@code /healthz} nor {@code /metrics} for longer than the request
 * timeout.
 */
class MetricsServerTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<Health> health = new AtomicReference<>(Health.OK);
    private final List<Socket> clients = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void closeClients() throws IOException {
        for (Socket s : clients) {
            s.close();
        }
    }

    private HttpResponse<String> get(String base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A client that opens a connection and sends {@code bytes} of a request line, then nothing more. */
    private Socket staller(int port, String bytes) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        clients.add(s);
        if (!bytes.isEmpty()) {
            s.getOutputStream().write(bytes.getBytes());
            s.getOutputStream().flush();
        }
        return s;
    }

    @Test
    void listensOnlyOnTheAddressItIsGiven() throws Exception {
        try (MetricsServer server = new MetricsServer("127.0.0.2", 0, registry, health::get)) {
            assertThat(server.endpoint()).isEqualTo("127.0.0.2:" + server.port());
            assertThat(get("http://127.0.0.2:" + server.port(), "/healthz").statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", server.port()), 2000))
                    .isInstanceOf(ConnectException.class);
        }
        try (MetricsServer server = new MetricsServer(MetricsServer.DEFAULT_ADDRESS, 0, registry, health::get)) {
            assertThat(get("http://127.0.0.1:" + server.port(), "/healthz").statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.2", server.port()), 2000))
                    .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void stalledAndSilentClientsDoNotHoldTheEndpoints() throws Exception {
        Counter.builder("conntrail_test_requests").register(registry).increment();
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, registry, health::get)) {
            int port = server.port();
            String base = "http://127.0.0.1:" + port;

            // fewer stalled clients than workers: the others answer at once
            for (int i = 0; i < MetricsServer.WORKERS - 1; i++) {
                staller(port, "G");
            }
            long t0 = System.nanoTime();
            assertThat(get(base, "/healthz").body()).isEqualTo("ok\n");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));

            // more stalled clients than workers, and silent ones: answers within the request timeout and a timer tick
            List<Socket> stalled = new ArrayList<>();
            for (int i = 0; i < 3 * MetricsServer.WORKERS; i++) {
                stalled.add(staller(port, "GET /healthz HT"));
                staller(port, "");
            }
            Thread.sleep(200); // the stallers' bytes are in before the probes
            Duration bound = Duration.ofSeconds(MetricsServer.REQUEST_TIMEOUT_SECONDS + 3);
            t0 = System.nanoTime();
            HttpResponse<String> healthz = get(base, "/healthz");
            assertThat(healthz.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("/healthz answered within %s", bound).isLessThan(bound);
            t0 = System.nanoTime();
            HttpResponse<String> metrics = get(base, "/metrics");
            assertThat(metrics.body()).contains("conntrail_test_requests_total 1.0");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("/metrics answered within %s", bound).isLessThan(bound);

            // the server hung up on every stalled client by itself
            for (Socket s : stalled) {
                s.setSoTimeout((int) bound.toMillis());
                InputStream in = s.getInputStream();
                int got;
                try {
                    got = in.read();
                } catch (IOException reset) {
                    got = -1;
                }
                assertThat(got).as("a stalled client's connection is closed, with no answer").isEqualTo(-1);
            }

            // what /healthz says follows the program's verdict
            health.set(Health.degraded("Kafka sends failing for 12 s"));
            HttpResponse<String> degraded = get(base, "/healthz");
            assertThat(degraded.statusCode()).isEqualTo(200);
            assertThat(degraded.body()).isEqualTo("degraded: Kafka sends failing for 12 s\n");
            health.set(Health.unhealthy("the agent thread stopped"));
            HttpResponse<String> unhealthy = get(base, "/healthz");
            assertThat(unhealthy.statusCode()).isEqualTo(503);
            assertThat(unhealthy.body()).isEqualTo("unhealthy: the agent thread stopped\n");
        }
    }
}
