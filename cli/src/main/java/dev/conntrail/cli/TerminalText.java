package dev.conntrail.cli;

/**
 * Text from the kernel or the network (a process name, a host id, a record's key) made safe for a terminal.
 * A local user can name a process anything ({@code prctl(PR_SET_NAME)}, {@code /proc/self/comm}), escape
 * sequences included; printed raw, that name would write into the operator's terminal. Every code point
 * that is not printable text is shown as a visible escape instead:
 * <ul>
 * <li>C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F) as {@code \xNN};</li>
 * <li>other non-printable code points — format characters such as the bidirectional overrides, line and
 * paragraph separators, unassigned, private-use and lone surrogates — as <code>&#92;uNNNN</code> (or {@code \U00NNNNNN}
 * beyond the BMP).</li>
 * </ul>
 * Everything else, non-ASCII letters included, is kept. Table output also shows a backslash as {@code \\},
 * so that an escape in the output always means the character it names. Used by every human (table) output
 * and by the log layout ({@link SafeLogLayout}).
 */
public final class TerminalText {
    private TerminalText() {
    }

    /** A table cell: every unsafe code point escaped, and {@code \} shown as {@code \\}. Null stays null. */
    public static String cell(String s) {
        return escape(s, true, false);
    }

    /** A table cell of any value: {@code dash} for null, else {@link #cell(String)} of its text. */
    public static String cell(Object o, String dash) {
        return o == null ? dash : cell(o.toString());
    }

    /** One line of a message: every unsafe code point escaped, line breaks included; backslashes kept. */
    public static String line(String s) {
        return escape(s, false, false);
    }

    /** Several lines (a log entry with its stack trace): as {@link #line(String)}, but {@code \n} and tabs are kept. */
    public static String lines(String s) {
        return escape(s, false, true);
    }

    /** True when the code point is shown as an escape. */
    public static boolean unsafe(int cp) {
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            return true;
        }
        if (cp < 0x7f) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }

    private static String escape(String s, boolean backslash, boolean keepNewlines) {
        if (s == null) {
            return null;
        }
        int i = 0;
        int n = s.length();
        while (i < n) { // fast path: most text needs nothing
            int cp = s.codePointAt(i);
            if ((unsafe(cp) && !(keepNewlines && (cp == '\n' || cp == '\t'))) || (backslash && cp == '\\')) {
                break;
            }
            i += Character.charCount(cp);
        }
        if (i == n) {
            return s;
        }
        StringBuilder sb = new StringBuilder(n + 16).append(s, 0, i);
        while (i < n) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (backslash && cp == '\\') {
                sb.append("\\\\");
            } else if (!unsafe(cp) || (keepNewlines && (cp == '\n' || cp == '\t'))) {
                sb.appendCodePoint(cp);
            } else if (cp <= 0xff) {
                sb.append("\\x").append(Character.forDigit(cp >> 4, 16)).append(Character.forDigit(cp & 0xf, 16));
            } else if (cp <= 0xffff) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.append(String.format("\\U%08x", cp));
            }
        }
        return sb.toString();
    }
}
