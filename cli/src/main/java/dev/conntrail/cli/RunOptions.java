package dev.conntrail.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every long-running or printing command takes. Mix in with {@code @Mixin}. */
public final class RunOptions {
    @Option(names = "--duration", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Run this long, then exit 0 (e.g. 30s, 5m). Default: until Ctrl-C / SIGTERM.")
    public Duration duration;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "Output: ${COMPLETION-CANDIDATES} (json: one object per line). Default: ${DEFAULT-VALUE}.")
    public OutputFormat format = OutputFormat.table;

    @Option(names = "--verbose", description = "Debug logging, and stack traces with errors.")
    public boolean verbose;
}
