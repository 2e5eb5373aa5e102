package dev.conntrail.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text) and {@code /healthz} ({@link Health}: 200 ok or degraded, 503 unhealthy)
 * on the JDK's own HTTP server: two fixed endpoints need no web framework. It is built so that a slow or
 * silent client cannot take it down:
 * <ul>
 * <li>it listens on one address ({@code --metrics-address}, {@value #DEFAULT_ADDRESS} unless told otherwise);</li>
 * <li>{@value #WORKERS} worker threads answer requests, with at most {@value #QUEUED} more waiting; beyond that a
 * connection is closed at once;</li>
 * <li>a client has {@value #REQUEST_TIMEOUT_SECONDS} s to send its request and {@value #RESPONSE_TIMEOUT_SECONDS} s
 * to take the answer, else its connection is closed (and the worker it held is free again); a connection that
 * sends nothing is closed after {@value #REQUEST_TIMEOUT_SECONDS} s, one idle after a request after
 * {@value #IDLE_SECONDS} s; at most {@value #MAX_CONNECTIONS} are open at once.</li>
 * </ul>
 * The timeouts and the connection limit are the JDK server's system properties
 * ({@code sun.net.httpserver.maxReqTime}, {@code maxRspTime}, {@code idleInterval}, {@code clockTick},
 * {@code jdk.httpserver.maxConnections}); the JDK reads them once per JVM, when its first server starts, and
 * this class sets each one the JVM was not started with before that.
 */
public final class MetricsServer implements AutoCloseable {
    /** Where the endpoints listen unless told otherwise: loopback, reachable from this host only. */
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    static final int WORKERS = 4;
    static final int QUEUED = 16;
    static final int REQUEST_TIMEOUT_SECONDS = 3;
    static final int RESPONSE_TIMEOUT_SECONDS = 10;
    static final int IDLE_SECONDS = 10;
    static final int MAX_CONNECTIONS = 128;

    static {
        setIfAbsent("sun.net.httpserver.maxReqTime", REQUEST_TIMEOUT_SECONDS);
        setIfAbsent("sun.net.httpserver.maxRspTime", RESPONSE_TIMEOUT_SECONDS);
        setIfAbsent("sun.net.httpserver.idleInterval", IDLE_SECONDS);
        setIfAbsent("sun.net.httpserver.clockTick", 1000); // look for idle connections every second, not every 10 s
        setIfAbsent("jdk.httpserver.maxConnections", MAX_CONNECTIONS);
    }

    private final HttpServer server;
    private final ThreadPoolExecutor workers;

    /**
     * Serves on {@code address} (an IP address or host name) and {@code port} (0: any free port).
     *
     * @throws IOException the address cannot be resolved or bound
     */
    public MetricsServer(String address, int port, PrometheusMeterRegistry registry, Supplier<Health> health) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 0);
        server.createContext("/metrics", exchange -> respond(exchange, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
        server.createContext("/healthz", exchange -> {
            Health h = health.get();
            respond(exchange, h.httpStatus(), h.body(), "text/plain; charset=utf-8");
        });
        AtomicInteger n = new AtomicInteger();
        workers = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUED), r -> {
            Thread t = new Thread(r, "conntrail-metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }); // a full queue rejects the exchange: the JDK server closes that connection
        workers.allowCoreThreadTimeOut(true);
        server.setExecutor(workers);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code address:port} as bound, for the start-up line. */
    public String endpoint() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static void respond(HttpExchange exchange, int status, String body, String type) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            if ("HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static void setIfAbsent(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
