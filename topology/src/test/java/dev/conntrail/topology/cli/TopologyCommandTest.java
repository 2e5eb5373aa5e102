package dev.conntrail.topology.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.cli.Cli;
import dev.conntrail.topology.graph.GraphTopics;
import dev.conntrail.topology.run.TopologyApp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TopologyCommandTest {
    final StringWriter err = new StringWriter();
    final StringWriter out = new StringWriter();

    int run(TopologyCommand command, String... args) {
        CommandLine cl = Cli.commandLine(command);
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        return cl.execute(args);
    }

    @Test
    void helpListsTheOptionsOfTheIssue() {
        assertThat(run(new TopologyCommand(), "--help")).isZero();
        assertThat(out.toString()).contains("--window", "--partitions", "--application-id", "--processing-guarantee",
                "--metrics-port", "--state-dir", "--events-topic", "--nat-topic", "--connections-topic", "--dlq-topic",
                "--bootstrap-servers", "--schema-registry-url", "--duration");
    }

    @Test
    void defaultsAreTheContracts() {
        TopologyCommand c = new TopologyCommand();
        new CommandLine(c).parseArgs();
        c.spec = new CommandLine(c).getCommandSpec();
        TopologyApp.Options o = c.options();
        assertThat(o.settings().window()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.processingGuarantee()).isEqualTo("exactly_once_v2");
        assertThat(o.metricsPort()).isEqualTo(9465);
        assertThat(o.settings().topics().events()).isEqualTo("tcp-events");
        assertThat(o.settings().topics().deadLetters()).isEqualTo("connections-dlq");
        assertThat(o.settings().punctuateEvery()).isLessThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theServiceGraphIsOffUnlessAskedForAndItsTopicsAreNamed() {
        TopologyCommand off = new TopologyCommand();
        new CommandLine(off).parseArgs();
        off.spec = new CommandLine(off).getCommandSpec();
        assertThat(off.options().graph()).isNull();
        TopologyCommand on = new TopologyCommand();
        new CommandLine(on).parseArgs("--service-graph", "--edges-topic", "e");
        on.spec = new CommandLine(on).getCommandSpec();
        assertThat(on.options().graph()).isEqualTo(new GraphTopics("connection-ends", "e", "service-graph"));
    }

    @Test
    void aBadGuaranteeIsBadUsage() {
        assertThat(run(new TopologyCommand(), "--processing-guarantee", "exactly_once")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("--processing-guarantee");
    }

    @Test
    void aZeroWindowIsBadUsageInOneLine() {
        assertThat(run(new TopologyCommand(), "--window", "0s")).isEqualTo(Cli.USAGE);
        assertThat(err.toString()).contains("--window").doesNotContain("\tat ");
    }
}
