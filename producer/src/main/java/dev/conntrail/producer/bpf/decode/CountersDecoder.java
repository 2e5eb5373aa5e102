package dev.conntrail.producer.bpf.decode;

import dev.conntrail.avro.TcpCounters;
import dev.conntrail.producer.bpf.layout.CtCountersLayout;
import java.nio.ByteBuffer;

/** Decodes {@code struct ct_counters} (bpf/tracer.h), shared by the tracer's CLOSE records and the socket iterator's. */
public final class CountersDecoder {
    private CountersDecoder() {
    }

    /** The counters at {@code off} of {@code b}, a little-endian view. The kernel's u32 counts are read unsigned. */
    public static TcpCounters decode(ByteBuffer b, int off) {
        return TcpCounters.newBuilder()
                .setBytesAcked(b.getLong(off + CtCountersLayout.BYTES_ACKED))
                .setBytesReceived(b.getLong(off + CtCountersLayout.BYTES_RECEIVED))
                .setBytesRetrans(b.getLong(off + CtCountersLayout.BYTES_RETRANS))
                .setSegsOut(Integer.toUnsignedLong(b.getInt(off + CtCountersLayout.SEGS_OUT)))
                .setSegsIn(Integer.toUnsignedLong(b.getInt(off + CtCountersLayout.SEGS_IN)))
                .setTotalRetrans(Integer.toUnsignedLong(b.getInt(off + CtCountersLayout.TOTAL_RETRANS)))
                .setSrttUs(Integer.toUnsignedLong(b.getInt(off + CtCountersLayout.SRTT_US)))
                .build();
    }
}
