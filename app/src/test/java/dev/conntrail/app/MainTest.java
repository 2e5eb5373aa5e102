package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Cli.commandLine(new Main());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void helpListsAllSevenCommands() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("local", "trace", "snapshot", "producer", "topology", "table");
        assertThat(out.toString()).containsPattern("\n  doctor +What this host offers the agent");
    }

    @Test
    void doctorWithABadFormatIsBadUsage() {
        assertThat(run("doctor", "--format", "yaml")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("--format").contains("yaml");
    }

    @Test
    void unknownCommandIsBadUsageWithOneLineAndAHint() {
        assertThat(run("bogus")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("Unmatched argument").contains("--help");
    }

    @Test
    void noCommandIsBadUsage() {
        assertThat(run()).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("a command is required");
    }

    @Test
    void badOptionValueIsBadUsage() {
        assertThat(run("table", "--duration", "soon")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("'soon' is not a duration");
    }

    @Test
    void tableJsonLinesCarryTheRowIdAndDeletions() {
        assertThat(TableCommand.deletedJson("h|1|a\"b"))
                .isEqualTo("{\"record\":\"Connection\",\"id\":\"h|1|a\\\"b\",\"deleted\":true}");
    }
}
