package dev.conntrail.topology.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

/** The hand-written state writer and reader keep DataOutputStream's format, so state written before them still reads. */
class StateWriterTest {
    @Property(tries = 300)
    void writesWhatDataOutputStreamWritesAndReadsItBack(@ForAll @StringLength(max = 40) String s, @ForAll long l, @ForAll int i,
            @ForAll boolean b) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream jdk = new DataOutputStream(bytes);
        jdk.writeUTF(s);
        jdk.writeLong(l);
        jdk.writeInt(i);
        jdk.writeBoolean(b);
        jdk.writeByte(7);
        StateWriter ours = new StateWriter(4);
        ours.writeUTF(s);
        ours.writeLong(l);
        ours.writeInt(i);
        ours.writeBoolean(b);
        ours.writeByte(7);
        assertThat(ours.toByteArray()).isEqualTo(bytes.toByteArray());

        StateReader in = new StateReader(bytes.toByteArray());
        assertThat(in.readUTF()).isEqualTo(s);
        assertThat(in.readLong()).isEqualTo(l);
        assertThat(in.readInt()).isEqualTo(i);
        assertThat(in.readBoolean()).isEqualTo(b);
        assertThat(in.readByte()).isEqualTo((byte) 7);
    }

    @Property(tries = 50)
    void nulAndNonAsciiTextSurvive(@ForAll @StringLength(max = 10) String tail) {
        String s = "nginx\u0000é€\uD83D\uDE00" + tail;
        StateWriter out = new StateWriter(1);
        out.writeUTF(s);
        assertThat(new StateReader(out.toByteArray()).readUTF()).isEqualTo(s);
    }
}
