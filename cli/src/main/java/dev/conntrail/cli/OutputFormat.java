package dev.conntrail.cli;

/** How a command prints records: a human table, or one plain JSON object per line (see design.md, "JSON output"). */
public enum OutputFormat {
    table,
    json
}
