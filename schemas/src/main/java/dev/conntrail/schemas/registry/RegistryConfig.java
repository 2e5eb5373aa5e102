package dev.conntrail.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The registry-client part of the serde configuration, with Confluent's key names so the same properties
 * configure Confluent's {@code KafkaAvroSerializer}. See docs/serde.md.
 */
public final class RegistryConfig {
    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** Older alias of {@link #BASIC_AUTH_USER_INFO}, still read by Confluent's serde. */
    public static final String REGISTRY_BASIC_AUTH_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String SSL_PREFIX = "schema.registry.ssl.";
    public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
    public static final String MOCK_SCHEME = "mock://";

    private final List<String> urls;
    private final String userInfo;
    private final Map<String, ?> originals;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    private RegistryConfig(Map<String, ?> configs) {
        this.originals = configs;
        this.urls = parseUrls(configs.get(URL));
        this.userInfo = parseUserInfo(configs, urls);
        this.connectTimeout = Duration.ofMillis(longValue(configs, HTTP_CONNECT_TIMEOUT_MS, 10_000));
        this.readTimeout = Duration.ofMillis(longValue(configs, HTTP_READ_TIMEOUT_MS, 30_000));
    }

    public static RegistryConfig from(Map<String, ?> configs) {
        return new RegistryConfig(configs);
    }

    public List<String> urls() {
        return urls;
    }

    public boolean isMock() {
        return urls.get(0).startsWith(MOCK_SCHEME);
    }

    /** The scope of a {@code mock://scope} URL. */
    public String mockScope() {
        return urls.get(0).substring(MOCK_SCHEME.length());
    }

    /** {@code user:password} for basic auth, or null. */
    String userInfo() {
        return userInfo;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration readTimeout() {
        return readTimeout;
    }

    /** The URLs without any user-info part, for messages. */
    public String describe() {
        List<String> out = new ArrayList<>();
        for (String u : urls) {
            out.add(u.replaceFirst("://[^/@]*@", "://"));
        }
        return String.join(",", out);
    }

    /** The client for these settings: a shared in-memory registry for {@code mock://}, else REST. Uncached. */
    public SchemaRegistryClient newClient() {
        if (isMock()) {
            return MockSchemaRegistry.forScope(mockScope());
        }
        return new RestSchemaRegistryClient(this, sslContext());
    }

    private static List<String> parseUrls(Object value) {
        List<String> raw = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object o : list) {
                raw.add(String.valueOf(o));
            }
        } else if (value != null) {
            raw.addAll(Arrays.asList(String.valueOf(value).split(",")));
        }
        List<String> urls = new ArrayList<>();
        for (String s : raw) {
            String u = s.trim();
            if (u.isEmpty()) {
                continue;
            }
            while (u.endsWith("/")) {
                u = u.substring(0, u.length() - 1);
            }
            if (!u.startsWith(MOCK_SCHEME)) {
                try {
                    URI uri = URI.create(u);
                    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                        throw new IllegalArgumentException("scheme must be http, https or mock");
                    }
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(URL, s, "not a registry URL (" + e.getMessage()
                            + "); use e.g. http://localhost:8081 or mock://scope");
                }
            }
            urls.add(u);
        }
        if (urls.isEmpty()) {
            throw new ConfigException("Missing required configuration \"" + URL
                    + "\": set it to the schema registry's URL (e.g. http://localhost:8081, or mock://test in tests)");
        }
        if (urls.size() > 1 && urls.stream().anyMatch(u -> u.startsWith(MOCK_SCHEME))) {
            throw new ConfigException(URL, value, "a mock:// URL must be the only one");
        }
        return List.copyOf(urls);
    }

    private static String parseUserInfo(Map<String, ?> configs, List<String> urls) {
        String source = stringValue(configs, BASIC_AUTH_CREDENTIALS_SOURCE, null);
        String info = stringValue(configs, BASIC_AUTH_USER_INFO, null);
        if (info == null) {
            info = stringValue(configs, REGISTRY_BASIC_AUTH_USER_INFO, null);
        }
        if (source == null) {
            // Confluent's default source is URL; accept user info alone as the common intent.
            source = info != null ? "USER_INFO" : "URL";
        }
        switch (source.toUpperCase(Locale.ROOT)) {
            case "USER_INFO":
                if (info == null || info.isEmpty()) {
                    throw new ConfigException(BASIC_AUTH_USER_INFO, null,
                            "basic.auth.credentials.source=USER_INFO needs basic.auth.user.info=user:password");
                }
                return info;
            case "URL":
                String fromUrl = URI.create(urls.get(0).startsWith(MOCK_SCHEME) ? "http://x" : urls.get(0))
                        .getRawUserInfo();
                return fromUrl == null || fromUrl.isEmpty() ? null
                        : java.net.URLDecoder.decode(fromUrl, java.nio.charset.StandardCharsets.UTF_8);
            default:
                throw new ConfigException(BASIC_AUTH_CREDENTIALS_SOURCE, source,
                        "this serde supports USER_INFO and URL; use Confluent's KafkaAvroSerializer for " + source);
        }
    }

    private SSLContext sslContext() {
        String trustStore = stringValue(originals, SSL_PREFIX + "truststore.location", null);
        String keyStore = stringValue(originals, SSL_PREFIX + "keystore.location", null);
        if (trustStore == null && keyStore == null) {
            return null;
        }
        try {
            TrustManagerFactory tmf = null;
            if (trustStore != null) {
                KeyStore ts = load(trustStore, stringValue(originals, SSL_PREFIX + "truststore.type", "JKS"),
                        stringValue(originals, SSL_PREFIX + "truststore.password", null));
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ts);
            }
            KeyManagerFactory kmf = null;
            if (keyStore != null) {
                String storePassword = stringValue(originals, SSL_PREFIX + "keystore.password", null);
                KeyStore ks = load(keyStore, stringValue(originals, SSL_PREFIX + "keystore.type", "JKS"),
                        storePassword);
                String keyPassword = stringValue(originals, SSL_PREFIX + "key.password", storePassword);
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, keyPassword == null ? null : keyPassword.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance(stringValue(originals, SSL_PREFIX + "protocol", "TLS"));
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException("cannot set up TLS for the schema registry from " + SSL_PREFIX
                    + "* settings: " + e.getMessage() + " — check the store paths, types and passwords");
        }
    }

    private static KeyStore load(String location, String type, String password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            ks.load(in, password == null ? null : password.toCharArray());
        }
        return ks;
    }

    static String stringValue(Map<String, ?> configs, String key, String dflt) {
        Object v = configs.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Password p) {
            return p.value();
        }
        String s = String.valueOf(v).trim();
        return s.isEmpty() ? dflt : s;
    }

    static long longValue(Map<String, ?> configs, String key, long dflt) {
        String s = stringValue(configs, key, null);
        if (s == null) {
            return dflt;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, s, "must be a number");
        }
    }

    /** A boolean setting: true/false (any case), or a Boolean. */
    public static boolean booleanValue(Map<String, ?> configs, String key, boolean dflt) {
        String s = stringValue(configs, key, null);
        if (s == null) {
            return dflt;
        }
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(key, s, "must be true or false");
    }
}
