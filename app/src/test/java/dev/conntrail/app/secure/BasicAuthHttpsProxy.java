package dev.conntrail.app.secure;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * HTTPS with basic auth in front of the real (plain HTTP) registry: what a registry behind TLS and credentials
 * looks like to our client. Apicurio's own TLS and auth need an identity server; this proxy is the part that
 * cannot run here, and only it is stand-in — every request it lets through is answered by the real registry.
 */
final class BasicAuthHttpsProxy implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "host", "transfer-encoding",
            "keep-alive", "upgrade", "authorization", "expect");
    private final HttpsServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String expected;
    private final String upstream;
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger forwarded = new AtomicInteger();

    BasicAuthHttpsProxy(SSLContext tls, String user, String password, String upstream) throws IOException {
        this.expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.upstream = upstream.replaceAll("/+$", "");
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                refused.incrementAndGet();
                byte[] body = "{\"error_code\":401,\"message\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"registry\"");
                ex.sendResponseHeaders(401, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            byte[] requestBody = ex.getRequestBody().readAllBytes();
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()))
                    .timeout(Duration.ofSeconds(30))
                    .method(ex.getRequestMethod(), requestBody.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(requestBody));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase())) {
                    vs.forEach(v -> rb.header(k, v));
                }
            });
            HttpResponse<byte[]> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            forwarded.incrementAndGet();
            r.headers().map().forEach((k, vs) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase()) && !k.startsWith(":")) {
                    vs.forEach(v -> ex.getResponseHeaders().add(k, v));
                }
            });
            byte[] body = r.body();
            ex.sendResponseHeaders(r.statusCode(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
