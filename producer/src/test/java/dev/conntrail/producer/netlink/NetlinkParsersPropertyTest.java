package dev.conntrail.producer.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.producer.conntrack.CtNetlinkParser;
import dev.conntrail.producer.snapshot.SockDiagParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The netlink parsers on arbitrary bytes: only {@link NetlinkParseException}, never anything else. */
class NetlinkParsersPropertyTest {
    @Provide
    Arbitrary<byte[]> bytes() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
        // messages that start plausible: a header/attribute with a small length, then noise
        Arbitrary<byte[]> framed = Arbitraries.bytes().array(byte[].class).ofMinSize(4).ofMaxSize(300).map(b -> {
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
            bb.putShort(0, (short) Math.min(b.length, (b[0] & 0x7f) + 4));
            if (b.length >= 8) {
                bb.putShort(4, (short) Math.min(b.length - 4, (b[1] & 0x3f) + 4));
            }
            return b;
        });
        return Arbitraries.oneOf(random, framed);
    }

    @Property(tries = 3000)
    void framingAndAttributesThrowOnlyParseErrors(@ForAll("bytes") byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        try {
            Netlink.forEach(buf, m -> { });
        } catch (NetlinkParseException expected) {
            // documented
        }
        try {
            Attributes a = Attributes.parse(buf);
            for (int t = 0; t < 70; t++) {
                try {
                    a.nested(t);
                } catch (NetlinkParseException expected) {
                    // documented
                }
                try {
                    a.be32(t);
                } catch (NetlinkParseException expected) {
                    // documented
                }
            }
        } catch (NetlinkParseException expected) {
            // documented
        }
    }

    @Property(tries = 3000)
    void sockDiagAndConntrackMessagesThrowOnlyParseErrors(@ForAll("bytes") byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        try {
            SockDiagParser.parse(buf, 1L);
        } catch (NetlinkParseException expected) {
            // documented
        }
        try {
            CtNetlinkParser.parse(buf, 1L);
        } catch (NetlinkParseException expected) {
            // documented
        }
    }

    /** A well-formed ctnetlink message built by hand parses to the tuples put in. */
    @Test
    void parsesAHandBuiltConntrackMessage() throws Exception {
        byte[] msg = ctMessage(new byte[] {10, 0, 0, 1}, 40000, new byte[] {10, 0, 0, 2}, 80,
                new byte[] {10, 0, 0, 3}, 8080, new byte[] {10, 0, 0, 1}, 40000);
        var e = CtNetlinkParser.parse(ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder()), 9L);
        assertThat(e.origSrc()).isEqualTo("10.0.0.1");
        assertThat(e.origDport()).isEqualTo(80);
        assertThat(e.replySrc()).isEqualTo("10.0.0.3");
        assertThat(e.replySport()).isEqualTo(8080);
        assertThat(e.zone()).isEqualTo(5);
        assertThat(e.conntrackId()).isEqualTo(0xdeadbeefL);
        assertThat(e.natTranslated()).isTrue();
        byte[] plain = ctMessage(new byte[] {10, 0, 0, 1}, 40000, new byte[] {10, 0, 0, 2}, 80,
                new byte[] {10, 0, 0, 2}, 80, new byte[] {10, 0, 0, 1}, 40000);
        assertThat(CtNetlinkParser.parse(ByteBuffer.wrap(plain).order(ByteOrder.nativeOrder()), 9L).natTranslated()).isFalse();
    }

    static byte[] ctMessage(byte[] os, int osp, byte[] od, int odp, byte[] rs, int rsp, byte[] rd, int rdp) {
        List<byte[]> top = new ArrayList<>();
        top.add(attr(1 | 0x8000, tuple(os, osp, od, odp)));
        top.add(attr(2 | 0x8000, tuple(rs, rsp, rd, rdp)));
        top.add(attr(12, new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}));
        top.add(attr(18, new byte[] {0, 5}));
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.nativeOrder());
        b.put(new byte[] {2, 0, 0, 0});
        for (byte[] a : top) {
            b.put(a);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static byte[] tuple(byte[] src, int sport, byte[] dst, int dport) {
        byte[] ip = concat(attr(1, src), attr(2, dst));
        byte[] proto = concat(attr(1, new byte[] {6}), attr(2, new byte[] {(byte) (sport >> 8), (byte) sport}),
                attr(3, new byte[] {(byte) (dport >> 8), (byte) dport}));
        return concat(attr(1 | 0x8000, ip), attr(2 | 0x8000, proto));
    }

    static byte[] attr(int type, byte[] payload) {
        int len = 4 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(Netlink.align(len)).order(ByteOrder.nativeOrder());
        b.putShort((short) len).putShort((short) type).put(payload);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
