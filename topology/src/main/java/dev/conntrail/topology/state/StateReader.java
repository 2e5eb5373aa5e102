package dev.conntrail.topology.state;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads what {@link StateWriter} (or {@link java.io.DataOutputStream}) wrote, from a byte array. */
final class StateReader {
    private final byte[] buf;
    private int pos;

    StateReader(byte[] buf) {
        this.buf = buf;
    }

    private void need(int n) {
        if (pos + n > buf.length) throw new IllegalStateException("state record truncated at byte " + pos + " of " + buf.length);
    }

    byte readByte() {
        need(1);
        return buf[pos++];
    }

    boolean readBoolean() {
        return readByte() != 0;
    }

    int readInt() {
        need(4);
        int v = (buf[pos] & 0xFF) << 24 | (buf[pos + 1] & 0xFF) << 16 | (buf[pos + 2] & 0xFF) << 8 | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    long readLong() {
        return (long) readInt() << 32 | (readInt() & 0xFFFFFFFFL);
    }

    String readUTF() {
        need(2);
        int len = (buf[pos] & 0xFF) << 8 | (buf[pos + 1] & 0xFF);
        need(2 + len);
        int start = pos + 2;
        boolean ascii = true;
        for (int i = start; i < start + len; i++) {
            if (buf[i] <= 0) { // a NUL or a multi-byte sequence: let the JDK decode modified UTF-8
                ascii = false;
                break;
            }
        }
        String s;
        if (ascii) {
            s = new String(buf, start, len, StandardCharsets.ISO_8859_1);
        } else {
            try {
                s = new DataInputStream(new ByteArrayInputStream(buf, pos, 2 + len)).readUTF();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        pos = start + len;
        return s;
    }
}
