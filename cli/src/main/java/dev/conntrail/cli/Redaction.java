package dev.conntrail.cli;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that keeps secrets out of what conntrail prints: every log line ({@link SafeLogLayout}),
 * every error message of the command line ({@link Cli}), every dump of client settings. It hides, as
 * {@value #HIDDEN}:
 * <ul>
 * <li>the user-info of every URL, in every entry of a comma-separated list ({@code http://u:p@a,http://u:p@b});</li>
 * <li>the value of every setting whose name says it is secret ({@link #isSecretKey}): {@code basic.auth.user.info},
 * {@code sasl.jaas.config}, {@code ssl.*.password}, {@code *.password}, {@code *secret*}, {@code *token*},
 * {@code *credential*}, {@code *.key}, written {@code key=value}, {@code key: value} or {@code "key":"value"};</li>
 * <li>quoted values inside a JAAS configuration ({@code password="…"}, {@code clientSecret="…"});</li>
 * <li>bearer tokens ({@code Bearer …}) and {@code Authorization} header values;</li>
 * <li>PEM private keys.</li>
 * </ul>
 * Text is redacted as it is, without parsing: a URL whose path holds an {@code @} loses what comes before it,
 * which errs on the side of hiding.
 */
public final class Redaction {
    public static final String HIDDEN = "[hidden]";

    private static final String SECRET_WORDS = "password|passwd|passphrase|secret|token|credential|user\\.?info|jaas|api[._-]?key"
            + "|private[._-]?key|authorization";
    private static final Pattern SECRET_KEY = Pattern.compile(SECRET_WORDS);
    /** A scheme and its {@code ://}; it starts where a run of scheme characters starts (linear on long words). */
    private static final Pattern SCHEME = Pattern.compile("(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://");
    /** {@code key=value}, {@code key: value}, {@code "key": "value"} where the key names a secret. */
    private static final Pattern KEY_VALUE = Pattern.compile(
            "(?i)((?<![\\w.\\-])[\\w.\\-]*(?:" + SECRET_WORDS + ")[\\w.\\-]*(?<!exception)(?<!error)\"?\\s*[=:]\\s*)(?!\\[hidden])"
                    + "(\"(?:[^\"\\\\]|\\\\.)*\"?|'[^']*'?|(?:(?:basic|bearer|digest|negotiate)\\s+)?[^\\s,;&}\\]\"']+)");
    private static final Pattern BEARER = Pattern.compile("(?i)\\b(bearer\\s+)[A-Za-z0-9\\-._~+/]+=*");
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(?:-----END \\1PRIVATE KEY-----|$)", Pattern.DOTALL);

    private Redaction() {
    }

    /** True for the names of settings whose values are secret (their values are never shown). */
    public static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return SECRET_KEY.matcher(k).find() || k.endsWith(".key");
    }

    /** {@code text} with every secret it holds replaced by {@value #HIDDEN}. Null stays null. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String s = text;
        if (s.contains("PRIVATE KEY-----")) {
            s = PEM.matcher(s).replaceAll("-----BEGIN $1PRIVATE KEY-----" + HIDDEN);
        }
        s = urlUserInfo(s);
        s = replace(KEY_VALUE, s);
        s = replace(BEARER, s);
        return s;
    }

    /** Settings as text safe to log: the value of every secret key hidden, every other value redacted. */
    public static String redact(Map<String, ?> settings) {
        StringBuilder sb = new StringBuilder("{");
        settings.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(k).append('=').append(isSecretKey(k) ? HIDDEN : redact(String.valueOf(v)));
        });
        return sb.append('}').toString();
    }

    private static String replace(Pattern p, String s) {
        Matcher m = p.matcher(s);
        if (!m.find()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        do {
            m.appendReplacement(sb, "");
            sb.append(m.group(1)).append(HIDDEN);
        } while (m.find());
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * Every {@code scheme://userinfo@host}: the authority runs to the next whitespace, quote or angle bracket, or to
     * the next {@code scheme://} (the next URL of a comma-separated list); everything before its last {@code @} is
     * user-info.
     */
    private static String urlUserInfo(String s) {
        if (s.indexOf("://") < 0 || s.indexOf('@') < 0) {
            return s;
        }
        Matcher m = SCHEME.matcher(s);
        StringBuilder sb = null;
        int copied = 0;
        int searchFrom = 0;
        while (searchFrom < s.length() && m.find(searchFrom)) {
            int start = m.end();
            int end = start;
            while (end < s.length() && !Character.isWhitespace(s.charAt(end)) && "\"<>".indexOf(s.charAt(end)) < 0) {
                end++;
            }
            Matcher next = SCHEME.matcher(s).region(start, end);
            if (next.find()) {
                end = next.start();
            }
            int at = s.lastIndexOf('@', end - 1);
            if (at >= start) {
                if (sb == null) {
                    sb = new StringBuilder(s.length());
                }
                sb.append(s, copied, start).append(HIDDEN);
                copied = at;
            }
            searchFrom = Math.max(end, start);
        }
        if (sb == null) {
            return s;
        }
        return sb.append(s, copied, s.length()).toString();
    }
}
