package dev.conntrail.producer.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the heap a pass over many sockets grew back to the host. The serial collector (deploy/agent-jvm-opts) grows its
 * old generation to hold what a pass promotes, and shrinks it — returning the memory — only after a full
 * collection, which nothing else would start once the pass is over: so, after a snapshot or counters pass of at
 * least {@link #SOCKETS} sockets, one full collection. It costs tens of milliseconds on the agent thread after a pass
 * that took far longer; how far the heap shrinks is set by {@code -XX:MaxHeapFreeRatio} and
 * {@code -XX:-ShrinkHeapInSteps} in deploy/agent-jvm-opts.
 */
final class HeapGiveBack {
    private static final Logger LOG = LoggerFactory.getLogger(HeapGiveBack.class);
    /** Below this a pass's garbage fits the young generation: nothing to give back. */
    static final int SOCKETS = 20_000;

    private HeapGiveBack() {
    }

    static void afterPass(int sockets) {
        if (sockets < SOCKETS) {
            return;
        }
        long t0 = System.nanoTime();
        System.gc();
        LOG.debug("full collection after a pass over {} sockets: {} ms, heap committed now {} MiB", sockets,
                (System.nanoTime() - t0) / 1_000_000, Runtime.getRuntime().totalMemory() >> 20);
    }
}
