package dev.conntrail.schemas.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * A loopback HTTP server in the registry's place, answering each request with what the test scripts (a status and a
 * body, served as the registry's JSON): for the answers the real registry cannot be made to give on demand.
 */
final class ScriptedRegistryServer implements AutoCloseable {
    record Answer(int status, String body) {
    }

    private final HttpServer server;

    ScriptedRegistryServer(Function<HttpExchange, Answer> answers) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            Answer a = answers.apply(ex);
            byte[] b = a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
            ex.sendResponseHeaders(a.status(), b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
