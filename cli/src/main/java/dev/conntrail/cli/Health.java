package dev.conntrail.cli;

/**
 * What {@code /healthz} reports ({@link MetricsServer}): {@code ok} and {@code degraded} answer 200,
 * {@code unhealthy} answers 503; the body is one line, the status word and, unless ok, why.
 *
 * @param status the verdict
 * @param detail why (null for ok)
 */
public record Health(Status status, String detail) {
    /** The three verdicts. */
    public enum Status { OK, DEGRADED, UNHEALTHY }

    public static final Health OK = new Health(Status.OK, null);

    public static Health degraded(String why) {
        return new Health(Status.DEGRADED, why);
    }

    public static Health unhealthy(String why) {
        return new Health(Status.UNHEALTHY, why);
    }

    /** 200 unless unhealthy. */
    public int httpStatus() {
        return status == Status.UNHEALTHY ? 503 : 200;
    }

    /** The body: {@code ok}, {@code degraded: WHY} or {@code unhealthy: WHY}, one line, secrets hidden. */
    public String body() {
        String word = status.name().toLowerCase(java.util.Locale.ROOT);
        return (detail == null ? word : word + ": " + TerminalText.line(Redaction.redact(detail))) + "\n";
    }
}
