package dev.conntrail.producer.bpf.ring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.EventType;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.decode.ClockSync;
import dev.conntrail.producer.bpf.decode.EventDecoder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JIT warm-up's synthetic rings (PerCpuRings.warmUp) and the decoder reading them; no kernel needed. */
class ReaderWarmUpTest {
    @Test
    void warmUpDrainsEveryRecordOfEveryRoundAndTheyDecode() {
        EventDecoder decoder = new EventDecoder("h", 1, new ClockSync());
        List<TcpEvent> events = new ArrayList<>();
        // enough rounds that the synthetic ring wraps several times
        long written = PerCpuRings.warmUp(EventDecoder.sampleRecords(), 500,
                (data, off, len) -> events.add(decoder.decode(data, off, len)));
        assertThat(written).isGreaterThan(500 * 12); // bursts too
        assertThat(events).hasSize((int) written).doesNotContainNull();
        Map<EventType, Integer> types = new EnumMap<>(EventType.class);
        events.forEach(e -> types.merge(e.getType(), 1, Integer::sum));
        int third = (int) written / 3;
        assertThat(types).containsEntry(EventType.CONNECT, third).containsEntry(EventType.ACCEPT, third)
                .containsEntry(EventType.CLOSE, third);
        for (int i = 0; i < events.size(); i++) { // in the order written, across rings, holds and full holds
            assertThat(events.get(i).getPid()).isEqualTo(i % 6 >= 4 ? null : 1000 + i % 6);
        }
        assertThat(events.get(1).getLaddr()).isEqualTo("7f00:1::"); // the IPv6 sample: raw bytes 7f 00 00 01 0 .. 0
        assertThat(events.get(0).getLaddr()).isEqualTo("127.0.0.1");
        assertThat(events.get(4).getPid()).isNull(); // CLOSE samples carry no owner
        assertThat(events.get(0).getPid()).isEqualTo(1000);
    }
}
