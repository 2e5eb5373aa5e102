package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.LibC;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures libbpf's log (libbpf_set_print) so a refused program's verifier log can go into the
 * error the user sees. libbpf's print hook is process-wide, so capture is one at a time:
 * {@link #capture()} holds a lock until the returned handle is closed.
 */
public final class LibbpfLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.conntrail.producer.bpf.libbpf");
    private static final int MAX_CHARS = 64 * 1024;
    private static final Object LOCK = new Object();
    private static StringBuilder current;
    private static boolean installed;
    // Kept in a static field so the callback is never garbage-collected while libbpf holds it.
    private static final Libbpf.PrintFn PRINT = LibbpfLog::print;

    private LibbpfLog() {
    }

    /** An open capture; {@link #text()} is everything libbpf printed since it was opened. */
    public static final class Capture implements AutoCloseable {
        private final StringBuilder text = new StringBuilder();

        public String text() {
            synchronized (LOCK) {
                return text.toString();
            }
        }

        /** The last {@code maxLines} lines, joined by " | ", for a one-line error. */
        public String tail(int maxLines) {
            String[] lines = text().strip().split("\n");
            int from = Math.max(0, lines.length - maxLines);
            return String.join(" | ", java.util.Arrays.copyOfRange(lines, from, lines.length));
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                if (current == text) {
                    current = null;
                }
            }
        }
    }

    /** Starts capturing libbpf's output (also passed on to the SLF4J log at debug/warn). */
    public static Capture capture(Libbpf lib) {
        Capture c = new Capture();
        synchronized (LOCK) {
            if (!installed) {
                lib.libbpf_set_print(PRINT);
                installed = true;
            }
            current = c.text;
        }
        return c;
    }

    private static int print(int level, String format, Pointer vaList) {
        try {
            byte[] buf = new byte[4096];
            int n = LibC.INSTANCE.vsnprintf(buf, buf.length, format, vaList);
            String line = new String(buf, 0, Math.max(0, Math.min(n, buf.length - 1)), StandardCharsets.UTF_8);
            synchronized (LOCK) {
                if (current != null && current.length() < MAX_CHARS) {
                    current.append(line);
                }
            }
            String trimmed = line.stripTrailing();
            if (level == Libbpf.LIBBPF_WARN) {
                LOG.debug("{}", trimmed); // warnings also go into the error the caller raises
            } else if (LOG.isTraceEnabled()) {
                LOG.trace("{}", trimmed);
            }
        } catch (Throwable t) {
            // never let an exception cross into native code
        }
        return 0;
    }
}
