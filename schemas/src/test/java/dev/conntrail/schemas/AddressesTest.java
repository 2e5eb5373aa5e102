package dev.conntrail.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressesTest {
    @ParameterizedTest
    @CsvSource({
        "127.0.0.1, 127.0.0.1",
        "::1, ::1",
        "::, ::",
        "::ffff:127.0.0.1, ::ffff:127.0.0.1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "fe80:0:0:0:0:0:0:abcd, fe80::abcd",
        "1:0:0:0:0:0:0:0, 1::",
    })
    void formatsAsRfc5952(String in, String expected) throws Exception {
        byte[] raw = in.startsWith("::ffff:") ? mapped(in.substring(7)) : InetAddress.getByName(in).getAddress();
        assertThat(Addresses.format(raw)).isEqualTo(expected);
        assertThat(Addresses.comparable(Addresses.format(raw)))
                .isEqualTo(in.startsWith("::ffff:") ? in.substring(7) : expected);
    }

    private static byte[] mapped(String v4) throws Exception {
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(v4).getAddress(), 0, out, 12, 4);
        return out;
    }
}
