package dev.conntrail.producer.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.producer.ns.NetNamespace;
import dev.conntrail.producer.ns.NetnsEnterer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** net/sockstat{,6} as the kernel writes them (a copy of this host's files, numbers changed). */
class SockstatReaderTest {
    @TempDir
    Path proc;

    private SockstatReader.Counts read(String sockstat, String sockstat6) throws Exception {
        Path net = Files.createDirectories(proc.resolve("42/net"));
        Files.writeString(net.resolve("sockstat"), sockstat);
        if (sockstat6 != null) {
            Files.writeString(net.resolve("sockstat6"), sockstat6);
        }
        try (NetnsEnterer en = new NetnsEnterer()) {
            return new SockstatReader(en, proc).counts(new NetNamespace(1, List.of(), List.of(42), null));
        }
    }

    @Test
    void addsIpv4AndIpv6InuseAndReadsTimeWait() throws Exception {
        SockstatReader.Counts c = read("sockets: used 14\nTCP: inuse 17 orphan 2 tw 5 alloc 20 mem 3\nUDP: inuse 0 mem 0\n",
                "TCP6: inuse 4\nUDP6: inuse 1\n");
        assertThat(c).isEqualTo(new SockstatReader.Counts(17, 4, 5));
        assertThat(c.inuse()).isEqualTo(21);
        assertThat(c.mayHave(true)).isTrue();
        assertThat(new SockstatReader.Counts(3, 0, 0).mayHave(true)).isFalse();
        assertThat(new SockstatReader.Counts(3, 0, 1).mayHave(true)).isTrue(); // a time-wait socket may be IPv6
    }

    @Test
    void noIpv6FileMeansNoIpv6Sockets() throws Exception {
        assertThat(read("sockets: used 1\nTCP: inuse 3 orphan 0 tw 0 alloc 3 mem 0\n", null))
                .isEqualTo(new SockstatReader.Counts(3, 0, 0));
    }

    @Test
    void anUnreadableCountNeverProvesTheNamespaceComplete() throws Exception {
        SockstatReader.Counts c = read("sockets: used 1\nTCP: inuse x orphan 0 tw 0\n", "TCP6: inuse 0\n");
        assertThat(c.inuse()).isNegative(); // forces the sock_diag path
        assertThat(c.mayHave(false)).isTrue(); // and the /proc path reads net/tcp
    }
}
