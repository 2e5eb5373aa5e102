package dev.conntrail.producer.bpf.decode;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The decoder's box cache: the value asked for, the same box for a repeat. */
class BoxCacheTest {
    @Test
    void boxCacheReturnsTheValueAskedForAndReusesRepeats() {
        BoxCache boxes = new BoxCache();
        for (long v = 0; v < 100_000; v += 7) { // far more values than slots: collisions replace slots
            assertThat(boxes.boxLong(v)).isEqualTo(v);
            assertThat(boxes.boxInt((int) v)).isEqualTo((int) v);
        }
        Long netns = boxes.boxLong(4026531840L);
        assertThat(boxes.boxLong(4026531840L)).isSameAs(netns);
        Integer port = boxes.boxInt(40000);
        assertThat(boxes.boxInt(40000)).isSameAs(port);
    }
}
