package dev.conntrail.producer.proc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.producer.snapshot.RawSocket;
import dev.conntrail.schemas.Addresses;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The /proc/net/tcp line parser. The real-socket checks (::1, ::ffff:127.0.0.1, namespace
 * addresses) are in SocketSnapshotterKernelTest, which compares this path with sock_diag and ss.
 */
class ProcNetTcpParserTest {
    @Test
    void readsLittleEndianWordsOfIpv4AndIpv6() throws Exception {
        RawSocket v4 = ProcNetTcpParser.parse(
                "   3: 0100007F:1F90 0200007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 23456 1 0000000000000000 20 4 30 10 -1",
                7L, false);
        assertThat(Addresses.format(v4.laddr())).isEqualTo("127.0.0.1");
        assertThat(v4.lport()).isEqualTo(8080);
        assertThat(Addresses.format(v4.raddr())).isEqualTo("127.0.0.2");
        assertThat(v4.rport()).isEqualTo(0xD431);
        assertThat(v4.state()).isEqualTo(1);
        assertThat(v4.uid()).isEqualTo(1000);
        assertThat(v4.inode()).isEqualTo(23456);
        assertThat(v4.cookie()).isNull();
        RawSocket v6 = ProcNetTcpParser.parse(
                "   0: 00000000000000000000000001000000:0016 0000000000000000FFFF00000100007F:9C40 0A 00000000:00000000 00:00000000 00000000     0        0 99 1",
                7L, true);
        assertThat(Addresses.format(v6.laddr())).isEqualTo("::1");
        assertThat(Addresses.format(v6.raddr())).isEqualTo("::ffff:127.0.0.1");
        // fd00:201:e9::2 as the kernel prints it: each 32-bit word in little-endian order
        RawSocket ns = ProcNetTcpParser.parse(
                "   1: 010200FD0000E9000000000002000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1",
                7L, true);
        assertThat(Addresses.format(ns.laddr())).isEqualTo("fd00:201:e9::2");
        assertThat(Addresses.format(ns.raddr())).isEqualTo("::");
        assertThat(ns.lport()).isEqualTo(80);
    }

    @Test
    void rejectsTimeWaitStyleShortLinesOnlyWhenFieldsAreMissing() throws Exception {
        // TIME_WAIT lines carry fewer trailing fields but still have uid, timeout and inode
        RawSocket tw = ProcNetTcpParser.parse(
                "   9: 0100007F:8AE2 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000", 1L, false);
        assertThat(tw.state()).isEqualTo(6);
        assertThat(tw.inode()).isZero();
    }

    @Property(tries = 300)
    void roundTripsAnyAddressAndPortInTheKernelsEncoding(@ForAll("addr16") byte[] addr, @ForAll @IntRange(max = 65535) int port,
                                                        @ForAll @IntRange(min = 1, max = 12) int state) throws Exception {
        String hex = kernelHex(addr) + ":" + String.format("%04X", port);
        RawSocket s = ProcNetTcpParser.parse("  12: " + hex + " " + hex + " " + String.format("%02X", state)
                + " 00000000:00000000 00:00000000 00000000     0        0 42 1 0", 1L, true);
        assertThat(s.laddr()).isEqualTo(addr);
        assertThat(s.raddr()).isEqualTo(addr);
        assertThat(s.lport()).isEqualTo(port);
        assertThat(s.state()).isEqualTo(state);
    }

    /** How tcp6_seq_show prints an address: four u32 words with %08X, each read in host (little-endian) order. */
    static String kernelHex(byte[] a) {
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < a.length; w += 4) {
            long v = (a[w] & 0xffL) | (a[w + 1] & 0xffL) << 8 | (a[w + 2] & 0xffL) << 16 | (a[w + 3] & 0xffL) << 24;
            sb.append(String.format("%08X", v));
        }
        return sb.toString();
    }

    @Provide
    Arbitrary<byte[]> addr16() {
        return Arbitraries.bytes().array(byte[].class).ofSize(16);
    }

    @Property(tries = 2000)
    void arbitraryTextThrowsOnlyTheParseError(@ForAll("lines") String line, @ForAll boolean v6) {
        try {
            ProcNetTcpParser.parse(line, 1L, v6);
        } catch (ProcParseException expected) {
            // the documented error
        }
    }

    @Provide
    Arbitrary<String> lines() {
        String real = "   0: 0100007F:1F90 0200007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 23456 1 0 20 4 30 10 -1";
        Arbitrary<String> mutated = Arbitraries.integers().between(0, real.length() - 1).list().ofMaxSize(6).map(cuts -> {
            StringBuilder sb = new StringBuilder(real);
            for (int c : cuts) {
                if (c < sb.length()) {
                    sb.setCharAt(c, "Z: 0x-\t".charAt(c % 7));
                }
            }
            return sb.toString();
        });
        Arbitrary<String> truncated = Arbitraries.integers().between(0, real.length()).map(n -> real.substring(0, n));
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(200), mutated, truncated);
    }
}
