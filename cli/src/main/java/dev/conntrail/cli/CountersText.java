package dev.conntrail.cli;

import java.util.Locale;

/** Short cells for a connection's counters in the table outputs: byte counts in SI units, round-trip times. */
public final class CountersText {
    private static final String[] UNITS = {"k", "M", "G", "T", "P", "E"};

    private CountersText() {
    }

    /** {@code 999}, {@code 1.0k}, {@code 12k}, {@code 1.0M}, …; "-" when unknown. */
    public static String bytes(Long n) {
        if (n == null) {
            return "-";
        }
        long v = n;
        if (v < 1000) {
            return Long.toString(v);
        }
        double d = v;
        int unit = -1;
        while (d >= 999.95 && unit < UNITS.length - 1) {
            d /= 1000;
            unit++;
        }
        return (d < 9.95 ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%.0f", d)) + UNITS[unit];
    }

    /** A smoothed RTT given in microseconds: {@code 57us}, {@code 1.2ms}, {@code 120ms}, {@code 1.5s}; "-" when unknown. */
    public static String rtt(Long micros) {
        if (micros == null) {
            return "-";
        }
        long us = micros;
        if (us < 1000) {
            return us + "us";
        }
        if (us < 10_000) {
            return String.format(Locale.ROOT, "%.1fms", us / 1000.0);
        }
        if (us < 1_000_000) {
            return us / 1000 + "ms";
        }
        return String.format(Locale.ROOT, "%.1fs", us / 1_000_000.0);
    }
}
