package dev.conntrail.topology.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP proxy in front of the real registry that fails as told for a while, then forwards
 * again: {@code 503}, {@code 429} or {@code 401} for every request, or {@code 404} ("schema not
 * found", Confluent's error 40403) for {@code GET /schemas/ids/N} only, as a registry replica that
 * has not seen a new id yet answers.
 */
final class FaultyRegistry implements AutoCloseable {
    private final HttpServer server;
    private final HttpClient upstream = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final URI target;
    private volatile int failWith;
    private volatile long failUntilNanos;
    final AtomicInteger failed = new AtomicInteger();
    final AtomicInteger forwarded = new AtomicInteger();

    /** @param registryUrl the real registry, e.g. {@code http://127.0.0.1:PORT/apis/ccompat/v7} */
    FaultyRegistry(String registryUrl) throws IOException {
        this.target = URI.create(registryUrl);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    /** The proxy's URL, with the real registry's path. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + target.getPath();
    }

    /** From now on, for {@code d}: answer {@code status} (404: only schema-id lookups). */
    void fail(int status, Duration d) {
        failWith = status;
        failUntilNanos = System.nanoTime() + d.toNanos();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = ex.getRequestURI().getRawPath();
            boolean idLookup = ex.getRequestMethod().equals("GET") && path.contains("/schemas/ids/");
            int status = failWith;
            if (System.nanoTime() < failUntilNanos && (status != 404 || idLookup)) {
                failed.incrementAndGet();
                String json = status == 404 ? "{\"error_code\":40403,\"message\":\"Schema not found\"}"
                        : "{\"error_code\":" + status + ",\"message\":\"injected " + status + "\"}";
                reply(ex, status, json.getBytes(StandardCharsets.UTF_8), "application/vnd.schemaregistry.v1+json");
                return;
            }
            String query = ex.getRequestURI().getRawQuery();
            URI to = URI.create(target.getScheme() + "://" + target.getRawAuthority() + path + (query == null ? "" : "?" + query));
            HttpRequest.Builder b = HttpRequest.newBuilder(to).timeout(Duration.ofSeconds(30))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            String ct = ex.getRequestHeaders().getFirst("Content-Type");
            if (ct != null) b.header("Content-Type", ct);
            String accept = ex.getRequestHeaders().getFirst("Accept");
            if (accept != null) b.header("Accept", accept);
            HttpResponse<byte[]> r = upstream.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            forwarded.incrementAndGet();
            reply(ex, r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse("application/json"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange ex, int status, byte[] body, String contentType) throws IOException {
        ex.getResponseHeaders().add("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
