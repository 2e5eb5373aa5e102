package dev.conntrail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HostIdsTest {
    @Test
    void theDefaultIsTheKernelsHostnameAsUnameSaysIt() throws Exception {
        Process uname = new ProcessBuilder("uname", "-n").start();
        String expected = new String(uname.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(uname.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(HostIds.kernelHostname()).isEqualTo(expected);
        assertThat(HostIds.defaultHostId()).isEqualTo(expected);
    }

    @Test
    void theProducerTakesAGivenIdOrAHostnameThatTellsHostsApart() {
        assertThat(HostIds.producerHostId("given", () -> "localhost")).isEqualTo("given");
        assertThat(HostIds.producerHostId(null, () -> "node-17.example")).isEqualTo("node-17.example");
        // the name is taken as it is: it need not resolve
        assertThat(HostIds.producerHostId(null, () -> "no-such-host.invalid")).isEqualTo("no-such-host.invalid");
    }

    @Test
    void aMissingOrSharedHostnameAsksForHostId() {
        for (String shared : new String[] {"localhost", "LOCALHOST", "localhost.localdomain", "(none)", ""}) {
            assertThatThrownBy(() -> HostIds.producerHostId(null, () -> shared)).isInstanceOf(UserFacingException.class)
                    .hasMessageContaining("does not tell hosts apart").hasMessageContaining("--host-id");
        }
        assertThatThrownBy(() -> HostIds.producerHostId(null, () -> null)).isInstanceOf(UserFacingException.class)
                .hasMessageContaining("cannot read this host's name").hasMessageContaining("--host-id");
    }
}
