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
 * The agent's JVM options live in deploy/agent-jvm-opts only: the launcher, the systemd unit and the container specs
 * pass that file to java as an @argfile (the image copies it to {@value #IN_IMAGE}). These check that each of them
 * does, and that the JVM takes the file.
 */
class AgentJvmOptionsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String IN_IMAGE = "/opt/conntrail/agent-jvm-opts";
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

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
    void systemdUnitRunsTheProducerWithTheAgentOptionsFile() throws Exception {
        String unit = Files.readString(ROOT.resolve("deploy/conntrail-producer.service"));
        String exec = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        assertThat(between(List.of(exec.substring("ExecStart=".length()).split("\\s+")))).containsExactly("@" + IN_IMAGE);
        assertThat(unit).contains("deploy/agent-jvm-opts to /opt/conntrail/");
    }

    @Test
    void daemonSetAndComposeRunTheProducerWithTheImagesOptionsFile() throws Exception {
        String daemonSet = Files.readString(ROOT.resolve("deploy/conntrail-producer-daemonset.yaml"));
        assertThat(between(quotedAfter(daemonSet, "command:"))).containsExactly("@" + IN_IMAGE);
        String compose = Files.readString(ROOT.resolve("docker-compose.yml"));
        String producer = compose.substring(compose.indexOf("\n  producer:"));
        assertThat(between(quotedAfter(producer, "entrypoint:"))).containsExactly("@" + IN_IMAGE);
        assertThat(Files.readString(ROOT.resolve("Dockerfile"))).contains("COPY deploy/agent-jvm-opts " + IN_IMAGE);
    }

    @Test
    void theLauncherPassesTheFileToTheAgentCommands() throws Exception {
        assertThat(Files.readString(ROOT.resolve("conntrail"))).contains("producer | trace) agent_opts=\"@$root/deploy/agent-jvm-opts\"");
    }

    @Test
    void theJvmTakesTheOptionsFile() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + ROOT.resolve("deploy/agent-jvm-opts"), "-XX:+PrintFlagsFinal", "-version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("bool UseSerialGC\\s+= true").containsPattern("bool AlwaysPreTouch\\s+= true");
    }
}
