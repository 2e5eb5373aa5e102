package dev.conntrail.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Confluent Schema Registry REST API over {@link HttpClient}: works with Confluent Schema Registry,
 * Apicurio's {@code /apis/ccompat/v7}, Karapace and Redpanda. Several URLs fail over in turn; a connection
 * failure or 5xx on all of them is a {@link RegistryUnavailableException}.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryConfig config;
    private final List<String> urls;
    private final String authorization;
    private final HttpClient http;
    private final AtomicInteger current = new AtomicInteger();

    RestSchemaRegistryClient(RegistryConfig config, SSLContext ssl) {
        this.config = config;
        this.urls = config.urls().stream().map(u -> u.replaceFirst("://[^/@]*@", "://")).toList();
        this.authorization = config.userInfo() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(config.userInfo().getBytes(StandardCharsets.UTF_8));
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(config.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1);
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.http = b.build();
    }

    /** A client for one URL with default settings. */
    public static RestSchemaRegistryClient of(String url) {
        return (RestSchemaRegistryClient) RegistryConfig.from(java.util.Map.of(RegistryConfig.URL, url)).newClient();
    }

    @Override
    public int register(String subject, Schema schema) {
        JsonNode r = call("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema), subject);
        return r.path("id").asInt();
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        JsonNode r = call("POST", "/subjects/" + enc(subject), schemaBody(schema), subject);
        return new RegisteredSchema(subject, r.path("id").asInt(), r.path("version").asInt(), schema);
    }

    @Override
    public Schema schemaById(int id) {
        try {
            JsonNode r = call("GET", "/schemas/ids/" + id, null, null);
            return new Schema.Parser().parse(r.path("schema").asText());
        } catch (SubjectNotFoundException e) {
            throw new UnknownSchemaIdException(id, describe());
        } catch (RegistryException e) {
            if (e.status() == 404) {
                throw new UnknownSchemaIdException(id, describe());
            }
            throw e;
        }
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode r = call("GET", "/subjects/" + enc(subject) + "/versions/latest", null, subject);
        return new RegisteredSchema(subject, r.path("id").asInt(), r.path("version").asInt(),
                new Schema.Parser().parse(r.path("schema").asText()));
    }

    @Override
    public List<String> compatibilityProblems(String subject, Schema schema) {
        JsonNode r;
        try {
            r = call("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest?verbose=true",
                    schemaBody(schema), subject);
        } catch (SubjectNotFoundException e) {
            return List.of(); // nothing registered yet: anything is compatible
        }
        if (r.path("is_compatible").asBoolean(false)) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        r.path("messages").forEach(m -> problems.add(m.asText()));
        if (problems.isEmpty()) {
            problems.add("the registry judged the schema incompatible and gave no reason");
        }
        return problems;
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
        call("PUT", "/config/" + enc(subject), body.toString(), subject);
    }

    @Override
    public CompatibilityLevel compatibility(String subject) {
        JsonNode r = call("GET", "/config/" + enc(subject) + "?defaultToGlobal=true", null, subject);
        JsonNode level = r.has("compatibilityLevel") ? r.get("compatibilityLevel") : r.get("compatibility");
        return level == null ? CompatibilityLevel.NONE : CompatibilityLevel.parse(level.asText());
    }

    @Override
    public String describe() {
        return String.join(",", urls);
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One request, failing over across the URLs; throws the {@link RegistryException} the answer calls for. */
    private JsonNode call(String method, String path, String body, String subject) {
        Exception lastFailure = null;
        int lastStatus = 0;
        String lastUrl = urls.get(0);
        int start = current.get();
        for (int i = 0; i < urls.size(); i++) {
            int idx = (start + i) % urls.size();
            String base = urls.get(idx);
            lastUrl = base;
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(config.readTimeout())
                    .header("Accept", CONTENT_TYPE + ", application/json");
            if (authorization != null) {
                rb.header("Authorization", authorization);
            }
            if (body != null) {
                rb.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
            } else {
                rb.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> resp;
            try {
                resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                lastFailure = e;
                LOG.debug("schema registry {} failed: {}", base, e.toString());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while calling the schema registry at " + base,
                        0, e);
            }
            int status = resp.statusCode();
            if (status >= 500) {
                lastStatus = status;
                lastFailure = new IOException("HTTP " + status + ": " + message(resp.body()));
                continue;
            }
            current.set(idx);
            if (status >= 200 && status < 300) {
                try {
                    return resp.body() == null || resp.body().isEmpty() ? JSON.createObjectNode()
                            : JSON.readTree(resp.body());
                } catch (IOException e) {
                    throw new RegistryException("the schema registry at " + base + " answered " + method + " " + path
                            + " with something that is not JSON: " + abbreviate(resp.body())
                            + " — is schema.registry.url the Confluent-compatible API (for Apicurio: .../apis/ccompat/v7)?",
                            status, 0, e);
                }
            }
            throw clientError(status, resp.body(), method, path, base, subject);
        }
        String cause = lastFailure == null ? "no answer" : lastFailure.toString();
        throw new RegistryUnavailableException("schema registry unreachable at " + describe() + " (last tried "
                + lastUrl + ": " + cause + "); check schema.registry.url and that the registry is running",
                lastStatus, lastFailure);
    }

    private RegistryException clientError(int status, String body, String method, String path, String base,
            String subject) {
        int code = errorCode(body);
        String msg = message(body);
        if (status == 401 || status == 403) {
            return new RegistryAuthException("the schema registry at " + base + " refused "
                    + (status == 401 ? "the credentials" : "access") + " (HTTP " + status + ": " + msg
                    + "); check basic.auth.credentials.source and basic.auth.user.info", status, code);
        }
        if (status == 409 || code == 409 || code == 40901) {
            return new IncompatibleSchemaException("the schema registry at " + base + " refused the schema for subject '"
                    + subject + "' as incompatible: " + msg
                    + " — change the schema compatibly (add fields with defaults) or change the subject's compatibility level",
                    status, code);
        }
        if (status == 404 && subject != null) {
            return new SubjectNotFoundException("subject '" + subject + "' or its schema is not registered at " + base
                    + " (" + msg + "); register it, or set auto.register.schemas=true", code);
        }
        if (status == 422) {
            return new RegistryException("the schema registry at " + base + " rejected " + method + " " + path
                    + " as invalid (" + msg + ")", status, code, null);
        }
        return new RegistryException("the schema registry at " + base + " answered " + method + " " + path
                + " with HTTP " + status + ": " + msg, status, code, null);
    }

    private static int errorCode(String body) {
        try {
            return JSON.readTree(body).path("error_code").asInt(0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static String message(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.hasNonNull("message")) {
                return n.get("message").asText();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: show the raw text
        }
        return abbreviate(body);
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
