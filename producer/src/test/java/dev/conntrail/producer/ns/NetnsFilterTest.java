package dev.conntrail.producer.ns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetnsFilterTest {
    @Test
    void noNameWatchesEveryNamespaceAndRecordsWithoutOne() {
        NetnsFilter all = NetnsFilter.resolve(List.of());
        assertThat(all.watchesAll()).isTrue();
        assertThat(all.admits(4026531833L)).isTrue();
        assertThat(all.admits(null)).isTrue();
    }

    @Test
    void inodesAndPathsNameNamespaces() throws Exception {
        long own = ((Number) Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino")).longValue();
        NetnsFilter f = NetnsFilter.resolve(List.of("/proc/self/ns/net", "4026532999"));
        assertThat(f.inodes()).containsExactlyInAnyOrder(own, 4026532999L);
        assertThat(f.admits(own)).isTrue();
        assertThat(f.admits(4026532999L)).isTrue();
        assertThat(f.admits(own + 1_000_000)).isFalse();
        assertThat(f.admits(null)).isFalse();
    }

    @Test
    void aNameThatIsNoNamespaceSaysWhatToPass() {
        assertThatThrownBy(() -> NetnsFilter.resolve(List.of("no-such-ns-graph-test")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--netns no-such-ns-graph-test")
                .hasMessageContaining("/run/netns/no-such-ns-graph-test")
                .hasMessageContaining("ip netns");
    }
}
