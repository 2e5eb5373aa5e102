package dev.conntrail.producer.bpf.tracer;

import dev.conntrail.avro.TcpEvent;
import dev.conntrail.producer.bpf.decode.ClockSync;
import dev.conntrail.producer.bpf.decode.EventDecoder;
import dev.conntrail.producer.bpf.layout.CtConfigLayout;
import dev.conntrail.producer.bpf.layout.CtCounterLayout;
import dev.conntrail.producer.bpf.layout.CtEventLayout;
import dev.conntrail.producer.bpf.layout.CtListenerKeyLayout;
import dev.conntrail.producer.bpf.layout.CtOwnerLayout;
import dev.conntrail.producer.bpf.layout.TracerObject;
import dev.conntrail.producer.bpf.libbpf.BpfLink;
import dev.conntrail.producer.bpf.libbpf.BpfMap;
import dev.conntrail.producer.bpf.libbpf.BpfObject;
import dev.conntrail.producer.bpf.libbpf.BpfProgram;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.bpf.libbpf.Libbpf;
import dev.conntrail.producer.bpf.libbpf.Tracefs;
import dev.conntrail.producer.bpf.ring.EventRings;
import dev.conntrail.producer.bpf.ring.LibbpfRingBuffer;
import dev.conntrail.producer.bpf.ring.PerCpuRings;
import dev.conntrail.producer.bpf.ring.ReaderSleepFlag;
import dev.conntrail.producer.bpf.ring.RecordSource;
import dev.conntrail.producer.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running TCP tracer: loads bpf/tracer.bpf.o, attaches to sock:inet_sock_set_state (tp_btf,
 * else the classic tracepoint without cookies), reads the ring buffer on its own thread and hands
 * each CONNECT / ACCEPT / CLOSE to the sink as a {@link TcpEvent} (seq 0: the publisher assigns it).
 * The sink runs on the reader thread: keep it fast (hand off to a queue).
 */
public final class Tracer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tracer.class);
    private static final String[] PROG_ACCEPT = {TracerObject.PROG_ACCEPT_EXIT, TracerObject.PROG_ACCEPT4_EXIT};

    /**
     * Batching pause when records trickle in: at 1M records/s this is ~1.1 MiB over the CPUs' rings (4 MiB
     * each by default).
     * 10 ms rather than 2 ms: fewer reader wake-ups at moderate rates (BENCHMARKS.md, "Tracer").
     */
    private static final long BATCH_PAUSE_NANOS = 10_000_000L;
    /** Warm-up rounds of 12 synthetic records: past the JIT's thresholds for the merge and decode. */
    private static final int WARM_UP_ROUNDS = 2_000;
    private final TracerOptions options;
    private final BpfObject object;
    private final List<BpfLink> links;
    private final boolean cookies;
    private final EventRings rings;
    private final BpfProgram stateProgram;
    private final RecordSource ring;
    private final BpfMap counterMap;
    private final BpfMap listenerMap;
    private final BpfMap pendingMap;
    private final ReaderSleepFlag sleeping;
    private final int cpus;
    private final ClockSync clock = new ClockSync();
    private final EventDecoder decoder;
    private final Consumer<TcpEvent> sink;
    private final AtomicLong decoded = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong acceptTimedOut = new AtomicLong();
    private final AtomicLong sinkFailed = new AtomicLong();
    private final Thread reader;
    private volatile boolean running = true;
    private volatile boolean paused;
    /** A caller of {@link #drainNow} waiting for the reader's next pass. */
    private final AtomicReference<CountDownLatch> drainRequest = new AtomicReference<>();
    private TracerCounters finalCounters;

    private Tracer(TracerOptions options, Loaded loaded, Consumer<TcpEvent> sink) {
        this.options = options;
        this.object = loaded.object;
        this.links = loaded.links;
        this.cookies = loaded.cookies;
        this.rings = loaded.rings;
        this.stateProgram = object.program(loaded.cookies ? TracerObject.PROG_STATE_BTF : TracerObject.PROG_STATE_TP);
        this.sink = sink;
        this.counterMap = object.map(TracerObject.MAP_COUNTERS);
        this.listenerMap = object.map(TracerObject.MAP_LISTENERS);
        this.pendingMap = object.map(TracerObject.MAP_PENDING_ACCEPTS);
        this.sleeping = new ReaderSleepFlag(object.map(TracerObject.MAP_READER_SLEEPING).fd());
        this.cpus = object.lib().libbpf_num_possible_cpus();
        this.decoder = new EventDecoder(options.host(), options.agentEpoch(), clock);
        this.ring = options.libbpfReader() ? new LibbpfRingBuffer(object.lib(), rings.fds(), this::onRecord)
                : PerCpuRings.map(rings.fds(), rings.ringBytes());
        this.reader = new Thread(this::readLoop, "conntrail-tracer");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Loads and attaches the tracer and starts reading. Throws {@link BpfUnavailableException} (cause
     * named) when BPF cannot be used here, so a caller can fall back.
     */
    public static Tracer start(TracerOptions options, Consumer<TcpEvent> sink) {
        if (!options.libbpfReader()) {
            warmUpReader();
        }
        Loaded loaded = null;
        if (options.allowTpBtf()) {
            try {
                loaded = load(options, true);
            } catch (BpfUnavailableException e) {
                if (e.reason() != BpfUnavailableException.Reason.PROGRAM_REFUSED) {
                    throw e;
                }
                LOG.warn("tp_btf/inet_sock_set_state unavailable ({}); using the classic tracepoint, without socket cookies",
                        e.getMessage());
            }
        }
        if (loaded == null) {
            loaded = load(options, false);
        }
        List<String> names = new ArrayList<>();
        for (BpfLink l : loaded.links) {
            names.add(l.program());
        }
        LOG.info("tracer attached: {} (cookies: {}, accept pid: {}, {} ring buffers of {} KiB)", names,
                loaded.cookies ? "yes" : "no", options.acceptPid().name().toLowerCase(), loaded.rings.fds().length,
                loaded.rings.ringBytes() / 1024);
        try {
            return new Tracer(options, loaded, sink);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * Runs the mmap reader and the decoder over synthetic records so the JIT compiles them before the
     * programs attach (a fraction of a second of CPU at start-up; 10x the rounds cost ~1 s more): an
     * interpreted reader drains a few times slower, and a burst right after start overflowed the ring
     * buffer (BENCHMARKS.md, "Tracer").
     */
    private static void warmUpReader() {
        EventDecoder scratch = new EventDecoder("", 0, new ClockSync());
        long[] sink = new long[1];
        PerCpuRings.warmUp(EventDecoder.sampleRecords(), WARM_UP_ROUNDS, (data, off, len) -> {
            if (scratch.decode(data, off, len) != null) {
                sink[0]++;
            }
        });
    }

    private record Loaded(BpfObject object, EventRings rings, List<BpfLink> links, boolean cookies) {
        void close() {
            release(links, object, rings);
        }
    }

    /** Detaches, then frees the object and our ring fds ({@code rings} null: not created yet). */
    private static void release(List<BpfLink> links, BpfObject object, EventRings rings) {
        links.forEach(BpfLink::close);
        object.close();
        if (rings != null) {
            rings.close();
        }
    }

    private static Loaded load(TracerOptions options, boolean tpBtf) {
        BpfObject obj = BpfObject.openResource(TracerObject.RESOURCE);
        List<BpfLink> links = new ArrayList<>();
        EventRings rings = null;
        try {
            obj.program(TracerObject.PROG_STATE_BTF).setAutoload(tpBtf);
            obj.program(TracerObject.PROG_STATE_TP).setAutoload(!tpBtf);
            boolean exact = options.acceptPid() == AcceptPidMode.EXACT;
            for (String p : PROG_ACCEPT) {
                obj.program(p).setAutoload(exact);
            }
            rings = new EventRings(obj.lib(), obj.lib().libbpf_num_possible_cpus(), options.ringBufferBytes(), exact);
            rings.configure(obj.map(TracerObject.MAP_EVENTS));
            obj.load();
            rings.install(obj.map(TracerObject.MAP_EVENTS));
            if (exact || !tpBtf) {
                Tracefs.ensureMounted(); // classic tracepoints are found through tracefs
            }
            writeConfig(obj.map(TracerObject.MAP_CONFIG), options, rings);
            if (exact) {
                for (String p : PROG_ACCEPT) {
                    links.add(obj.program(p).attach());
                }
            }
            // the state hook last: by then everything it relies on is in place
            links.add(obj.program(tpBtf ? TracerObject.PROG_STATE_BTF : TracerObject.PROG_STATE_TP).attach());
            return new Loaded(obj, rings, links, tpBtf);
        } catch (RuntimeException e) {
            release(links, obj, rings);
            throw e;
        }
    }

    /** The wake-up threshold is per ring, at most a quarter of it. */
    private static void writeConfig(BpfMap config, TracerOptions options, EventRings rings) {
        ByteBuffer v = ByteBuffer.allocate(CtConfigLayout.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        v.putInt(CtConfigLayout.WAKEUP_BYTES, Math.min(options.wakeupBytes(), rings.ringBytes() / 4));
        v.putInt(CtConfigLayout.ACCEPT_EXACT, options.acceptPid() == AcceptPidMode.EXACT ? 1 : 0);
        v.putInt(CtConfigLayout.CPUS, rings.cpus());
        config.update(new byte[4], v.array(), Libbpf.BPF_ANY);
    }

    /** True when events carry the kernel's socket cookie (tp_btf); false: cookie null on every event. */
    public boolean hasCookies() {
        return cookies;
    }

    /** How many BPF ring buffers the programs write to (one per possible CPU). */
    public int ringBuffers() {
        return rings.fds().length;
    }

    /** The size of each ring buffer in bytes. */
    public int ringBufferBytes() {
        return rings.ringBytes();
    }

    /** Names of the attached programs. */
    public synchronized List<String> attachedPrograms() {
        return links.stream().map(BpfLink::program).toList();
    }

    /**
     * Detaches the state program (no more events; the reader keeps running) or attaches it again. For benchmarks
     * that compare traced and untraced time inside one run of a warm tracer (bench/tracer_toggle.py). Connections
     * already connecting when it re-attaches give CONNECTs without owner ({@code connectNoOwner}). Default accept-pid
     * mode only: exact mode's held ACCEPTs need both hooks.
     */
    public synchronized void setAttached(boolean attach) {
        if (finalCounters != null) {
            throw new IllegalStateException("the tracer is closed");
        }
        if (options.acceptPid() == AcceptPidMode.EXACT) {
            throw new IllegalStateException("exact accept-pid mode: its hooks stay attached");
        }
        if (attach == !links.isEmpty()) {
            return;
        }
        if (attach) {
            links.add(stateProgram.attach());
        } else {
            links.remove(links.size() - 1).close();
        }
    }

    public TracerOptions options() {
        return options;
    }

    /**
     * Tells the tracer about a listening socket it did not see start (older than the tracer), so its
     * ACCEPTs carry the listener's process in the default accept-pid mode. {@code addr}: 4 or 16
     * bytes, all zero for the wildcard address.
     */
    public void seedListener(long netns, byte[] addr, int port, int pid, int tid, String comm, long cgroupId) {
        if (addr.length != 4 && addr.length != 16) {
            throw new IllegalArgumentException("an address has 4 or 16 bytes");
        }
        ByteBuffer k = ByteBuffer.allocate(CtListenerKeyLayout.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        k.putInt(CtListenerKeyLayout.NETNS, (int) netns)
                .putShort(CtListenerKeyLayout.FAMILY, (short) (addr.length == 4 ? LibC.AF_INET : LibC.AF_INET6))
                .putShort(CtListenerKeyLayout.PORT, (short) port)
                .put(CtListenerKeyLayout.ADDR, addr);
        ByteBuffer v = ByteBuffer.allocate(CtOwnerLayout.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        v.putInt(CtOwnerLayout.PID, pid).putInt(CtOwnerLayout.TID, tid).putLong(CtOwnerLayout.CGROUP_ID, cgroupId);
        byte[] c = comm.getBytes(StandardCharsets.UTF_8);
        v.put(CtOwnerLayout.COMM, c, 0, Math.min(15, c.length)); // NUL-terminated: comm is 16 bytes
        listenerMap.update(k.array(), v.array(), Libbpf.BPF_ANY);
    }

    /** Sums the per-CPU kernel counters and adds the Java side's. */
    public synchronized TracerCounters counters() {
        if (finalCounters != null) {
            return finalCounters;
        }
        long[] k = new long[CtCounterLayout.COUNT];
        int valueBytes = 8 * cpus;
        for (int i = 0; i < k.length; i++) {
            byte[] key = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array();
            byte[] v = counterMap.lookup(key, valueBytes);
            if (v != null) {
                ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
                for (int c = 0; c < cpus; c++) {
                    k[i] += b.getLong(c * 8);
                }
            }
        }
        return TracerCounters.of(k, stateProgram.recursionMisses(), decoded.get(), malformed.get() + sinkFailed.get(),
                acceptTimedOut.get());
    }

    /** Stops reading (the ring buffer fills and the kernel counts what it drops); for tests and backpressure. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
        reader.interrupt();
    }

    /**
     * Returns once the reader has passed over the ring buffers after this call, handing the sink what they held
     * (design rule 1: a resync publishes the events older than its snapshot before it), or after {@code timeout}
     * (false; e.g. paused).
     */
    public boolean drainNow(Duration timeout) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        drainRequest.set(done);
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void readLoop() {
        int pollMillis = (int) Math.max(1, options.pollInterval().toMillis());
        long lastSweep = System.nanoTime();
        RecordSource.RecordHandler handler = this::onRecord;
        while (running) {
            lastSweep = readOnce(handler, pollMillis, lastSweep);
        }
        if (!paused) {
            ring.drainAll(handler); // what arrived before the programs were detached, the newest included
        }
    }

    /**
     * One pass of the reader loop: drain, then wait. A method of its own so the JIT compiles it after a
     * few hundred passes; the endless loop around it would stay in the interpreter (too few back-edges
     * for on-stack replacement at ~100 passes a second). Returns the time of the last sweep.
     */
    private long readOnce(RecordSource.RecordHandler handler, int pollMillis, long lastSweep) {
        Thread.interrupted(); // resume()/close() interrupt only to cut a sleep short; parkNanos must not see it
        try {
            if (paused) {
                Thread.sleep(pollMillis);
                return lastSweep;
            }
            CountDownLatch asked = drainRequest.getAndSet(null);
            ring.drain(handler);
            if (asked != null) asked.countDown();
            if (ring.pending() == 0) {
                // Nothing left: sleep until the kernel wakes us (enough data waits) or the poll interval ends.
                // The flag asks for one wake-up for this sleep (bpf/tracer.bpf.c, reader_sleeping).
                sleeping.set();
                ring.await(pollMillis);
            } else {
                // A few records arrived while draining. poll() would return at once (data is readable), so
                // pause briefly and take them in a batch instead of spinning one record at a time.
                LockSupport.parkNanos(BATCH_PAUSE_NANOS);
            }
            long now = System.nanoTime();
            if (now - lastSweep > 500_000_000L) {
                long mono = clock.monotonicNanos();
                clock.maybeResync(mono);
                if (options.acceptPid() == AcceptPidMode.EXACT) {
                    sweepPendingAccepts(mono);
                }
                return now;
            }
        } catch (InterruptedException e) {
            // resume() or close(): re-check the flags
        } catch (RuntimeException e) {
            LOG.error("tracer reader: {}", e.toString(), e);
        }
        return lastSweep;
    }

    private void onRecord(ByteBuffer data, int offset, int length) {
        TcpEvent e = decoder.decode(data, offset, length);
        if (e == null) {
            malformed.incrementAndGet();
            LOG.warn("malformed tracer record of {} bytes dropped", length);
            return;
        }
        decoded.lazySet(decoded.get() + 1); // the reader thread is the only writer: no locked add per event
        deliver(e);
    }

    private void deliver(TcpEvent e) {
        try {
            sink.accept(e);
        } catch (RuntimeException ex) {
            sinkFailed.incrementAndGet();
            LOG.warn("event sink failed: {}", ex.toString());
        }
    }

    /** Exact mode: ACCEPTs no accept() claimed within the timeout go out without pid. */
    private void sweepPendingAccepts(long nowMono) {
        long timeout = options.acceptTimeout().toNanos();
        List<byte[]> keys = new ArrayList<>();
        for (byte[] key = pendingMap.nextKey(null); key != null && keys.size() < 100_000; key = pendingMap.nextKey(key)) {
            keys.add(key);
        }
        for (byte[] key : keys) {
            byte[] v = pendingMap.lookup(key, CtEventLayout.SIZE);
            if (v == null) {
                continue;
            }
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            if (nowMono - b.getLong(CtEventLayout.TS_NS) < timeout) {
                continue;
            }
            if (pendingMap.delete(key)) { // the kernel side may have sent it meanwhile: whoever deletes sends
                acceptTimedOut.incrementAndGet();
                TcpEvent e = decoder.decode(b, 0, v.length);
                if (e != null) {
                    decoded.lazySet(decoded.get() + 1);
                    deliver(e);
                }
            }
        }
    }

    /** Detaches the programs, delivers what was already in the ring buffer, frees everything. */
    @Override
    public void close() {
        synchronized (this) {
            if (finalCounters != null) {
                return;
            }
            links.forEach(BpfLink::close);
            links.clear();
        }
        running = false;
        reader.interrupt();
        try {
            reader.join(options.pollInterval().toMillis() + 5000); // it may sit in poll() for a whole interval
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (reader.isAlive()) {
            // unmapping under a reader that is still draining would crash the JVM: leave the mapping
            LOG.warn("tracer reader thread did not stop; its ring buffer stays mapped until the process exits");
        } else {
            ring.close();
            sleeping.close();
            rings.close();
        }
        synchronized (this) {
            finalCounters = counters();
        }
        object.close();
    }
}
