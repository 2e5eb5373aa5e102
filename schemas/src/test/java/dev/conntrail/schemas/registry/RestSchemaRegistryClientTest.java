package dev.conntrail.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.SchemaSerdeException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The REST client's HTTP behaviour: headers, status mapping, failover. A scripted loopback HTTP server stands in
 * for the registry here because the real one (Apicurio, see the testkit's ApicurioSerdeTest) cannot be made to
 * demand basic auth or to fail with a 5xx on demand without an OIDC server. Everything else is tested against
 * the real Apicurio.
 */
class RestSchemaRegistryClientTest {
    private final List<ScriptedRegistryServer> servers = new java.util.ArrayList<>();
    private final List<String> authHeaders = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(ScriptedRegistryServer::close);
    }

    private String serve(int status, String body) throws IOException {
        ScriptedRegistryServer server = new ScriptedRegistryServer(ex -> {
            authHeaders.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            return new ScriptedRegistryServer.Answer(status, body);
        });
        servers.add(server);
        return server.url();
    }

    private static SchemaRegistryClient client(Map<String, Object> config) {
        return RegistryConfig.from(config).newClient();
    }

    @Test
    void sendsBasicAuthFromUserInfoAndMaps401ToAClearAuthError() throws Exception {
        String url = serve(401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
        SchemaRegistryClient c = client(Map.of("schema.registry.url", url,
                "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "alice:s3cret"));
        assertThatThrownBy(() -> c.register("s-value", TcpEvent.getClassSchema()))
                .isInstanceOf(RegistryAuthException.class).hasMessageContaining("HTTP 401")
                .hasMessageContaining("basic.auth.user.info").hasMessageNotContaining("s3cret")
                .satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isFalse());
        assertThat(authHeaders).containsOnly("Basic YWxpY2U6czNjcmV0"); // base64("alice:s3cret")
    }

    @Test
    void takesCredentialsFromTheUrlAndKeepsThemOutOfMessages() throws Exception {
        String url = serve(403, "{\"error_code\":40301,\"message\":\"forbidden\"}");
        String withUser = url.replace("http://", "http://bob:pw@");
        SchemaRegistryClient c = client(Map.of("schema.registry.url", withUser));
        assertThatThrownBy(() -> c.schemaById(1)).isInstanceOf(RegistryAuthException.class)
                .hasMessageNotContaining("bob:pw");
        assertThat(c.describe()).doesNotContain("bob");
        assertThat(authHeaders).containsOnly("Basic Ym9iOnB3");
    }

    @Test
    void failsOverToTheNextUrlOn5xxAndReportsAllDownAsTransient() throws Exception {
        String broken = serve(503, "{\"error_code\":50301,\"message\":\"overloaded\"}");
        String good = serve(200, "{\"id\":42}");
        SchemaRegistryClient c = client(Map.of("schema.registry.url", broken + "," + good));
        assertThat(c.register("s-value", TcpEvent.getClassSchema())).isEqualTo(42);

        SchemaRegistryClient allDown = client(Map.of("schema.registry.url", List.of(broken)));
        assertThatThrownBy(() -> allDown.register("s-value", TcpEvent.getClassSchema()))
                .isInstanceOf(RegistryUnavailableException.class).hasMessageContaining(broken)
                .hasMessageContaining("overloaded")
                .satisfies(e -> assertThat(SchemaSerdeException.isTransient(e)).isTrue());
    }

    @Test
    void maps409ToIncompatibleWithTheRegistrysMessage() throws Exception {
        String url = serve(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an"
                + " earlier schema; READER_FIELD_MISSING_DEFAULT_VALUE mustHave\"}");
        SchemaRegistryClient c = client(Map.of("schema.registry.url", url));
        assertThatThrownBy(() -> c.register("tcp-events-value", TcpEvent.getClassSchema()))
                .isInstanceOf(IncompatibleSchemaException.class).hasMessageContaining("tcp-events-value")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE mustHave");
    }

    @Test
    void notJsonMeansTheUrlIsNotTheCompatibleApi() throws Exception {
        String url = serve(200, "<html>Apicurio UI</html>");
        SchemaRegistryClient c = client(Map.of("schema.registry.url", url));
        assertThatThrownBy(() -> c.schemaById(1)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("ccompat/v7");
    }

    @Test
    void badSettingsAreConfigErrorsThatSayWhatToDo() {
        assertThatThrownBy(() -> RegistryConfig.from(Map.of("schema.registry.url", "ftp://x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mock://");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of("schema.registry.url", "http://x",
                "basic.auth.credentials.source", "USER_INFO")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("basic.auth.user.info");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of("schema.registry.url", "http://x",
                "basic.auth.credentials.source", "SASL_INHERIT")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("USER_INFO");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of("schema.registry.url", "http://x",
                "schema.registry.ssl.truststore.location", "/nonexistent.jks")).newClient())
                .isInstanceOf(ConfigException.class).hasMessageContaining("/nonexistent.jks");
    }
}
