package dev.conntrail.cli;

/** How a command prints records: a human table, or one plain JSON object per line (docs/design.md, "Commands"). */
public enum OutputFormat {
    table,
    json
}
