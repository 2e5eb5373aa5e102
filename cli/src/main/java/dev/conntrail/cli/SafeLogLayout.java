package dev.conntrail.cli;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The layout of every log line conntrail writes (app/src/main/resources/logback.xml): a logback
 * {@link PatternLayout} whose output is safe to show and to keep.
 * <ul>
 * <li>Secrets are hidden ({@link Redaction#redact(String)}) in the whole entry: message, arguments, exception
 * messages and stack traces.</li>
 * <li>The message ({@code %m}, {@code %msg}, {@code %message}) is one line: line breaks and every other
 * non-printable code point in it are escaped ({@link TerminalText#line}), so a process name or a record key
 * can neither move the terminal's cursor nor forge a log line.</li>
 * <li>The rest of the entry (a stack trace) keeps its line breaks and tabs; any other non-printable code point is
 * escaped ({@link TerminalText#lines}).</li>
 * </ul>
 * In logback.xml: {@code <encoder class="ch.qos.logback.core.encoder.LayoutWrappingEncoder"><layout
 * class="dev.conntrail.cli.SafeLogLayout"><pattern>…</pattern></layout></encoder>}.
 */
public final class SafeLogLayout extends PatternLayout {
    public SafeLogLayout() {
        for (String word : new String[] {"m", "msg", "message"}) {
            getInstanceConverterMap().put(word, OneLineMessage::new);
        }
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        return TerminalText.lines(Redaction.redact(super.doLayout(event)));
    }

    /** The formatted message as one line, every non-printable code point escaped. */
    public static final class OneLineMessage extends ClassicConverter {
        @Override
        public String convert(ILoggingEvent event) {
            return TerminalText.line(event.getFormattedMessage());
        }
    }
}
