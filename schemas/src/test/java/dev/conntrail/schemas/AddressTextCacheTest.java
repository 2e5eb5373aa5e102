package dev.conntrail.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The cache gives exactly what {@link Addresses#format} gives, whatever the slots hold before. */
class AddressTextCacheTest {

    @Property(tries = 300)
    void everyAddressReadsAsTheFormatterWritesIt(@ForAll @Size(min = 1, max = 40) List<@Size(min = 4, max = 4) byte[]> v4,
                                                 @ForAll @Size(min = 1, max = 40) List<@Size(min = 16, max = 16) byte[]> v6) {
        AddressTextCache cache = new AddressTextCache(4); // a few slots: most lookups replace or collide
        for (int round = 0; round < 2; round++) {
            for (byte[] a : v4) {
                assertThat(cache.format(a)).isEqualTo(Addresses.format(a));
            }
            for (byte[] a : v6) {
                assertThat(cache.format(a)).isEqualTo(Addresses.format(a));
            }
        }
    }

    @Test
    void theRawWordsOfADecoderNameTheSameAddresses() {
        AddressTextCache cache = new AddressTextCache(1024);
        assertThat(cache.ipv4(0x0100007f)).isEqualTo("127.0.0.1"); // 7f 00 00 01 read little-endian
        assertThat(cache.ipv6(0L, 0x0100000000000000L)).isEqualTo("::1");
        assertThat(cache.ipv6(0L, 0x0100007fffff0000L)).isEqualTo("::ffff:127.0.0.1");
        assertThat(cache.format(new byte[] {127, 0, 0, 1})).isSameAs(cache.ipv4(0x0100007f)); // cached
    }

    @Test
    void otherLengthsAreRefusedAsTheFormatterRefusesThem() {
        assertThatThrownBy(() -> new AddressTextCache(8).format(new byte[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 or 16 bytes");
    }
}
