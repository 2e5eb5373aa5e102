package dev.conntrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class TerminalTextTest {
    /** Nothing a terminal acts on survives: C0, DEL, C1, format characters, separators, lone surrogates. */
    @Property(tries = 2000)
    void noCodePointACellShowsIsUnsafe(@ForAll @StringLength(max = 40) String any) {
        for (String shown : new String[] {TerminalText.cell(any), TerminalText.line(any)}) {
            shown.codePoints().forEach(cp -> assertThat(TerminalText.unsafe(cp)).as("U+%04X in %s", cp, shown).isFalse());
        }
        TerminalText.lines(any).codePoints().forEach(cp -> assertThat(cp == '\n' || cp == '\t' || !TerminalText.unsafe(cp)).isTrue());
    }

    /** Printable text, non-ASCII letters included, is shown as it is. */
    @Property(tries = 500)
    void printableTextIsKept(@ForAll @CharRange(from = ' ', to = '~') @CharRange(from = '\u00c0', to = '\u024f') String text) {
        assertThat(TerminalText.line(text)).isEqualTo(text);
        assertThat(TerminalText.cell(text)).isEqualTo(text.replace("\\", "\\\\"));
    }

    @Test
    void escapeSequencesAreShownAsVisibleEscapes() {
        String comm = "\u001b[2J\u001b]0;pwn\u0007\u009b\u007f";
        assertThat(TerminalText.cell(comm)).isEqualTo("\\x1b[2J\\x1b]0;pwn\\x07\\x9b\\x7f");
        assertThat(TerminalText.cell("a\\x1b")).as("a literal backslash cannot pass for an escape").isEqualTo("a\\\\x1b");
        assertThat(TerminalText.cell("evil\u202egnp.exe")).isEqualTo("evil\\u202egnp.exe");
        assertThat(TerminalText.cell("a\u2028b\ud800")).isEqualTo("a\\u2028b\\ud800");
        assertThat(TerminalText.cell("café 😀")).isEqualTo("café 😀");
        assertThat(TerminalText.cell(null, "-")).isEqualTo("-");
        assertThat(TerminalText.line("two\nlines\tand a\\path")).isEqualTo("two\\x0alines\\x09and a\\path");
        assertThat(TerminalText.lines("at x\n\tat y\u001b")).isEqualTo("at x\n\tat y\\x1b");
    }
}
