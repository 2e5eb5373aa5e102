package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's JVM options live in deploy/agent-jvm-opts (the launcher reads it); the systemd unit and the
 * container specs spell them out. These keep every copy in step with the file, and the file valid for the JVM.
 */
class AgentJvmOptionsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

    private static List<String> agentOptions() throws Exception {
        List<String> opts = List.of(Files.readString(ROOT.resolve("deploy/agent-jvm-opts")).trim().split("\\s+"));
        assertThat(opts).isNotEmpty().allMatch(o -> o.startsWith("-X"));
        return opts;
    }

    /** The JVM options of a {@code java ... -jar} command line: what comes between java and -jar. */
    private static List<String> between(List<String> words) {
        int java = words.indexOf("java") >= 0 ? words.indexOf("java") : words.indexOf("/usr/bin/java");
        int jar = words.indexOf("-jar");
        assertThat(java).as("java in %s", words).isNotNegative();
        assertThat(jar).as("-jar in %s", words).isGreaterThan(java);
        return words.subList(java + 1, jar);
    }

    private static List<String> quotedAfter(String text, String key) {
        int at = text.indexOf(key);
        assertThat(at).as(key).isNotNegative();
        String list = text.substring(at, text.indexOf(']', at));
        List<String> out = new ArrayList<>();
        Matcher m = QUOTED.matcher(list);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void systemdUnitRunsTheProducerWithTheAgentOptions() throws Exception {
        String unit = Files.readString(ROOT.resolve("deploy/conntrail-producer.service"));
        String exec = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        assertThat(between(List.of(exec.substring("ExecStart=".length()).split("\\s+")))).isEqualTo(agentOptions());
    }

    @Test
    void daemonSetAndComposeRunTheProducerWithTheAgentOptions() throws Exception {
        String daemonSet = Files.readString(ROOT.resolve("deploy/conntrail-producer-daemonset.yaml"));
        assertThat(between(quotedAfter(daemonSet, "command:"))).isEqualTo(agentOptions());
        String compose = Files.readString(ROOT.resolve("docker-compose.yml"));
        String producer = compose.substring(compose.indexOf("\n  producer:"));
        assertThat(between(quotedAfter(producer, "entrypoint:"))).isEqualTo(agentOptions());
    }

    @Test
    void theJvmAcceptsTheAgentOptions() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(agentOptions());
        cmd.add("-XX:+PrintFlagsFinal");
        cmd.add("-version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("bool UseSerialGC\\s+= true").containsPattern("bool AlwaysPreTouch\\s+= true");
    }
}
