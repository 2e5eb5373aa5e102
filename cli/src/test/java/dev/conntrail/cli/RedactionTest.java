package dev.conntrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * No secret survives {@link Redaction}: properties over generated secrets in every form the programs print them
 * (URL lists, settings maps, {@code key=value} text, JAAS, bearer tokens), and the log layout end to end.
 * <p>Generated secrets alternate a character of {@code [A-Z0-9]} with one of the form's own alphabet, and the text
 * around them has neither uppercase letters nor digits: so "the secret survives" is checked as "no 4 characters of
 * it in a row appear in the output", which also catches a secret half hidden.
 */
class RedactionTest {
    private static final String STRICT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    /** RFC 3986 user-info characters (unreserved, sub-delims, ':', '%'), and the '@' and '/' users forget to encode. */
    private static final String USERINFO = STRICT + "abcdefghijklmnopqrstuvwxyz-._~!$&'()*+,;=:%@/";
    /** A value written bare after {@code key=}: anything but whitespace and the separators {@code , ; & } ] " '}. */
    private static final String BARE = STRICT + "abcdefghijklmnopqrstuvwxyz-._~!$()*+=:@/%[{#?^|<>";
    /** Inside a JAAS quoted string: anything but the quote and the backslash, spaces and separators included. */
    private static final String QUOTED = BARE + " ,;&}]'";
    private static final String TOKEN = STRICT + "abcdefghijklmnopqrstuvwxyz-._~+/";

    static Arbitrary<String> secret(String alphabet) {
        Arbitrary<Character> strict = Arbitraries.of(STRICT.chars().mapToObj(c -> (char) c).toList());
        Arbitrary<Character> free = Arbitraries.of(alphabet.chars().mapToObj(c -> (char) c).toList());
        return Combinators.combine(strict.list().ofMinSize(4).ofMaxSize(12), free.list().ofMinSize(4).ofMaxSize(12)).as((a, b) -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                sb.append(a.get(i)).append(b.get(i));
            }
            return sb.toString();
        }).filter(s -> !s.contains("://"));
    }

    @Provide
    Arbitrary<String> userinfoSecret() {
        return secret(USERINFO);
    }

    @Provide
    Arbitrary<String> bareSecret() {
        return secret(BARE);
    }

    @Provide
    Arbitrary<String> quotedSecret() {
        return secret(QUOTED);
    }

    @Provide
    Arbitrary<String> tokenSecret() {
        return secret(TOKEN);
    }

    static void assertHidden(String out, String secret) {
        for (int i = 0; i + 4 <= secret.length(); i++) {
            assertThat(out).as("%s leaks part of %s", out, secret).doesNotContain(secret.substring(i, i + 4));
        }
    }

    /** Every URL of a comma-separated registry list, in the contexts the programs print one. */
    @Property(tries = 1000)
    void noUserInfoSurvivesInAnyUrlOfAList(@ForAll("userinfoSecret") String a, @ForAll("userinfoSecret") String b,
            @ForAll @IntRange(min = 1, max = 3) int copies, @ForAll boolean https) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            urls.add((https ? "https" : "http") + "://user:" + (i % 2 == 0 ? a : b) + "@reg-" + (char) ('a' + i) + "/ccompat");
        }
        urls.add("http://reg-plain");
        String list = String.join(",", urls);
        for (String text : List.of("registry " + list + "; window s", "{schema.registry.url=" + list + ", bootstrap.servers=kafka-one}",
                "'" + list + "'", "(" + list + ")", "\"" + list + "\"", list)) {
            String out = Redaction.redact(text);
            assertHidden(out, a);
            assertHidden(out, b);
            assertThat(out).contains("@reg-a/ccompat", "http://reg-plain");
        }
    }

    /** Settings written as text: {@code key=value}, {@code key: value}, JSON, a map's toString. */
    @Property(tries = 1000)
    void noSecretSettingSurvivesAsText(@ForAll("bareSecret") String secret, @ForAll("quotedSecret") String quoted) {
        for (String key : List.of("basic.auth.user.info", "schema.registry.basic.auth.user.info", "ssl.truststore.password",
                "ssl.keystore.password", "ssl.key.password", "schema.registry.ssl.truststore.password", "my.client.secret",
                "sasl.oauthbearer.token", "password", "api.key", "access_token")) {
            for (String text : List.of(key + "=" + secret, key + ": " + secret, "{" + key + "=" + secret + ", other=value}",
                    "setting " + key + " = " + secret + "; next")) {
                assertHidden(Redaction.redact(text), secret);
            }
            for (String text : List.of("\"" + key + "\":\"" + quoted + "\"", "\"" + key + "\": \"" + quoted + "\", \"next\": 1")) {
                assertHidden(Redaction.redact(text), quoted);
            }
        }
    }

    /** A JAAS configuration, as a setting or alone: every quoted credential in it. */
    @Property(tries = 1000)
    void noJaasCredentialSurvives(@ForAll("quotedSecret") String password, @ForAll("quotedSecret") String clientSecret) {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"" + password
                + "\" clientSecret=\"" + clientSecret + "\";";
        for (String text : List.of("sasl.jaas.config=" + jaas, "{sasl.jaas.config=" + jaas + ", security.protocol=sasl_ssl}", jaas)) {
            String out = Redaction.redact(text);
            assertHidden(out, password);
            assertHidden(out, clientSecret);
        }
    }

    @Property(tries = 500)
    void noBearerTokenSurvives(@ForAll("tokenSecret") String token) {
        for (String text : List.of("authorization: bearer " + token, "Authorization: Bearer " + token + "==", "header bearer " + token + " sent",
                "\"authorization\":\"bearer " + token + "\"")) {
            assertHidden(Redaction.redact(text), token);
        }
    }

    /** A settings map: the value of every secret key is hidden whatever it holds; URLs in the others lose their user-info. */
    @Property(tries = 500)
    void settingsMapsHideEverySecretValue(@ForAll String anything, @ForAll("userinfoSecret") String password) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("bootstrap.servers", "kafka-one");
        settings.put("schema.registry.url", "http://user:" + password + "@reg-a,http://user:" + password + "@reg-b");
        for (String key : List.of("sasl.jaas.config", "basic.auth.user.info", "ssl.keystore.password", "ssl.keystore.key",
                "sasl.oauthbearer.client.credentials.client.secret", "some.token")) {
            settings.put(key, anything);
        }
        String out = Redaction.redact(settings);
        assertThat(out).isEqualTo("{bootstrap.servers=kafka-one, schema.registry.url=http://[hidden]@reg-a,http://[hidden]@reg-b, "
                + "sasl.jaas.config=[hidden], basic.auth.user.info=[hidden], ssl.keystore.password=[hidden], ssl.keystore.key=[hidden], "
                + "sasl.oauthbearer.client.credentials.client.secret=[hidden], some.token=[hidden]}");
    }

    @Test
    void whatIsNotSecretStays() {
        String line = "conntrail topology app: tcp-events + conntrack-nat -> connections, 6 partitions; registry http://reg:8081; "
                + "window PT10S; exactly_once_v2; metrics 127.0.0.1:9465/metrics";
        assertThat(Redaction.redact(line)).isEqualTo(line);
        String once = Redaction.redact(Map.of("ssl.key.password", "x", "schema.registry.url", "http://u:p@a"));
        assertThat(Redaction.redact(once)).as("redacting twice changes nothing").isEqualTo(once);
        assertThat(Redaction.redact("org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [x]"))
                .as("an exception's name is no key").isEqualTo("org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [x]");
        assertThat(Redaction.redact("-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----"))
                .isEqualTo("-----BEGIN PRIVATE KEY-----[hidden]");
    }

    /** The layout end to end: message, arguments, an exception's message and its causes. */
    @Test
    void theLogLayoutHidesSecretsAndEscapesControlCharacters() {
        LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        SafeLogLayout layout = new SafeLogLayout();
        layout.setContext(context);
        layout.setPattern("%-5level %logger - %msg%n");
        layout.start();
        LayoutWrappingEncoder<ch.qos.logback.classic.spi.ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(bytes);
        appender.start();
        Logger log = context.getLogger("redaction-test");
        log.setAdditive(false);
        log.setLevel(ch.qos.logback.classic.Level.INFO);
        log.addAppender(appender);
        log.warn("registry {} comm {}", "http://u:S3CR3TPW@a,http://u:S3CR3TPW@b", "\u001b]0;x\u0007");
        log.error("failed", new IllegalStateException("schema.registry.url=http://u:S3CR3TPW@a",
                new RuntimeException("sasl.jaas.config=x required password=\"S3CR3TPW\";")));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).doesNotContain("S3CR3TPW").contains("http://[hidden]@a,http://[hidden]@b", "comm \\x1b]0;x\\x07")
                .contains("\tat ").doesNotContain("\u001b").doesNotContain("\u0007");
    }
}
