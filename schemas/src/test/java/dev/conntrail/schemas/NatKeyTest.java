package dev.conntrail.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** A NAT key is built in one place and read back in one place: what {@link Keys#natKey} writes, {@link Keys#parseNatKey} reads. */
class NatKeyTest {

    @Property(tries = 300)
    void everyKeyReadsBackAsItWasBuilt(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String host,
                                       @ForAll @IntRange(min = 0, max = 65535) int zone,
                                       @ForAll @IntRange(min = 0, max = 65535) int sport,
                                       @ForAll @IntRange(min = 0, max = 65535) int dport,
                                       @ForAll boolean v6, @ForAll boolean noNetns) {
        Long netns = noNetns ? null : 4026531833L;
        String src = v6 ? "fd00::1" : "10.0.0.1";
        String dst = v6 ? "2001:db8::2" : "192.0.2.7";
        String key = Keys.natKey(host, netns, zone, v6 ? "IPV6" : "IPV4", src, sport, dst, dport);

        Keys.NatKeyParts parts = Keys.parseNatKey(key);

        assertThat(parts).isEqualTo(new Keys.NatKeyParts(host, noNetns ? "" : "4026531833", String.valueOf(zone), v6 ? "IPV6" : "IPV4",
                src, sport, dst, dport));
        assertThat(Keys.hostOf(key)).isEqualTo(parts.host());
    }

    @Test
    void whatIsNoNatKeyIsRefusedWithTheReason() {
        assertThatThrownBy(() -> Keys.parseNatKey("host-a|1|0|IPV4|10.0.0.1|80|10.0.0.2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("7 parts");
        assertThatThrownBy(() -> Keys.parseNatKey("host-a|1|0|IPV4|10.0.0.1|http|10.0.0.2|80"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port is no number");
    }
}
