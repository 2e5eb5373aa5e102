package dev.conntrail.topology.fleet;

import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Drives a simulated fleet ({@link FleetPlan}) on one thread: each host's agent starts (snapshot, NAT
 * entries), heartbeats, opens and closes connections, some hosts vanish and some come back as a new agent;
 * every record goes out through {@link FleetSender} at most at the plan's rate, and {@link FleetModel}
 * records what the table must become. {@link #run} is the start-ups and the churn; {@link #heartbeatUntil}
 * then keeps the live hosts alive (design rule 5: silence is a lost host) while the table settles.
 */
final class FleetSimulator {
    /** A progress line's figures, once a second. */
    record Status(double seconds, String phase, long records, long acked, long failed, long recordsLastSecond, int open, int liveHosts,
            long lagMillis) {
        @Override
        public String toString() {
            return String.format("%6.1f s %-9s records %9d (acked %9d, failed %d), %6d/s; open connections %8d; live hosts %5d; behind schedule %5d ms",
                    seconds, phase, records, acked, failed, recordsLastSecond, open, liveHosts, lagMillis);
        }
    }

    /**
     * Told when a host's agent has sent the SNAPSHOT_END of a snapshot taken in the churn (a returning host's
     * start, a resync), with what the table must then show for it: called on the simulator's thread.
     */
    interface SnapshotListener {
        SnapshotListener NONE = (host, why, sentAtMillis, open, gone) -> { };

        /**
         * @param why          "return" or "resync"
         * @param sentAtMillis wall-clock time right after the SNAPSHOT_END was handed to the producer
         * @param open         ids in the snapshot: their rows must be OPEN (unless a CLOSE came since)
         * @param gone         ids the host's earlier records left open that the snapshot lacks: their rows must be closed
         */
        void snapshotEnded(String host, String why, long sentAtMillis, Set<String> open, Set<String> gone);
    }

    /** One step of the churn (the whole churn when there is no ramp): its rate and how the fleet kept to it. */
    record Step(double churnPerHost, double plannedRate, long startWallMillis, long millis, long records, long worstLagMillis) {
        double heldRate() {
            return millis == 0 ? Double.NaN : records * 1000.0 / millis;
        }
    }

    private enum Kind { START, HEARTBEAT, OPEN, CLOSE, NAT_GONE, VANISH, RETURN, RESYNC, STEP }

    private record Due(long at, long order, Kind kind, FleetHost host, FleetConnection connection) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int c = Long.compare(at - o.at, 0);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final FleetPlan plan;
    private final FleetSender sender;
    private final FleetModel model = new FleetModel();
    private final FleetHost[] hosts;
    private final PriorityQueue<Due> queue = new PriorityQueue<>();
    private final Pace pace;
    private final Random random;
    private final Consumer<Status> progress;
    private final SnapshotListener snapshots;
    private final List<Step> steps = new ArrayList<>();
    private double churn;
    private long stepStartedAt;
    private long stepStartWall;
    private long recordsAtStepStart;
    private long stepWorstLag;
    private long order;
    private long startedAt;
    private long steadyAt;
    private long churnEnd;
    private long churnEndedAt;
    private long recordsAtSteady = -1;
    private long recordsAtChurnEnd;
    private long lastReportAt;
    private long recordsAtLastReport;
    private long maxLag;
    private long worstLag;
    private String phase = "start-up";

    FleetSimulator(FleetPlan plan, FleetSender sender, Consumer<Status> progress) {
        this(plan, sender, progress, SnapshotListener.NONE);
    }

    FleetSimulator(FleetPlan plan, FleetSender sender, Consumer<Status> progress, SnapshotListener snapshots) {
        this.plan = plan;
        this.sender = sender;
        this.progress = progress;
        this.snapshots = snapshots;
        this.churn = plan.churnSteps().isEmpty() ? plan.churnPerHostPerSecond() : plan.churnSteps().get(0);
        this.pace = new Pace(plan.maxRate());
        this.random = new Random(plan.seed());
        long epochBase = System.currentTimeMillis() * 1000;
        this.hosts = new FleetHost[plan.hosts()];
        for (int i = 0; i < hosts.length; i++) hosts[i] = new FleetHost(i, epochBase + i, plan.seed());
    }

    FleetModel model() {
        return model;
    }

    /** The start-ups, then the churn with its vanishing and returning hosts; returns when the churn ends or a bound is reached. */
    void run() {
        startedAt = System.nanoTime();
        lastReportAt = startedAt;
        // start-ups spread so the whole fleet's snapshots go out at the plan's rate: no host waits for the others to heartbeat
        double recordsPerStart = plan.snapshotPerHost() * (1 + 0.7 * 0.8 * plan.natShare()) + 2;
        long spread = (long) (recordsPerStart * 1e9 / plan.maxRate());
        for (FleetHost h : hosts) schedule(startedAt + h.index * spread, Kind.START, h, null);
        long deadline = startedAt + plan.maxTime().toNanos();
        while (!queue.isEmpty()) {
            long now = System.nanoTime();
            report(now);
            if ((recordsAtSteady >= 0 && now - churnEnd >= 0) || now - deadline >= 0 || sender.sent() >= plan.maxRecords()) break;
            Due d = queue.peek();
            if (d.at - now > 0) {
                LockSupport.parkNanos(Math.min(d.at - now, 50_000_000L));
                continue;
            }
            queue.poll();
            maxLag = Math.max(maxLag, now - d.at);
            if (recordsAtSteady >= 0) {
                worstLag = Math.max(worstLag, now - d.at);
                stepWorstLag = Math.max(stepWorstLag, now - d.at);
            }
            handle(d, now);
        }
        churnEndedAt = System.nanoTime();
        recordsAtChurnEnd = sender.sent();
        if (recordsAtSteady >= 0 && churnEndedAt != steadyAt) endStep(churnEndedAt);
        if (recordsAtSteady < 0) {
            steadyAt = churnEndedAt; // stopped by a bound before every host had started
            recordsAtSteady = recordsAtChurnEnd;
        }
        phase = "settle";
    }

    /**
     * Only heartbeats of the live hosts, until {@code done} or {@code max}; true when done. {@code done} runs on a
     * thread of its own, one call at a time (a check of 10^5 rows takes long enough to delay heartbeats into a lost host).
     */
    boolean heartbeatUntil(BooleanSupplier done, Duration max) throws InterruptedException {
        return heartbeatUntil(done, max, Duration.ofMillis(500));
    }

    /** As {@link #heartbeatUntil(BooleanSupplier, Duration)}, checking {@code done} every {@code checkEvery}. */
    boolean heartbeatUntil(BooleanSupplier done, Duration max, Duration checkEvery) throws InterruptedException {
        long until = System.nanoTime() + max.toNanos();
        ExecutorService checker = Executors.newSingleThreadExecutor(r -> new Thread(r, "fleet-check"));
        try {
            Future<Boolean> check = null;
            long nextCheck = 0;
            while (System.nanoTime() - until < 0) {
                long now = System.nanoTime();
                report(now);
                if (check != null && check.isDone()) {
                    if (Boolean.TRUE.equals(check.get())) return true;
                    check = null;
                }
                if (check == null && now - nextCheck >= 0) {
                    check = checker.submit(done::getAsBoolean);
                    nextCheck = now + checkEvery.toNanos();
                }
                Due d = queue.peek();
                if (d == null || d.at - now > 0) {
                    LockSupport.parkNanos(Math.min(d == null ? 20_000_000L : d.at - now, 20_000_000L));
                    continue;
                }
                queue.poll();
                if (d.kind == Kind.HEARTBEAT) handle(d, now);
            }
            return done.getAsBoolean();
        } catch (ExecutionException e) {
            throw new IllegalStateException("checking the table failed: " + e.getCause(), e.getCause());
        } finally {
            checker.shutdownNow();
        }
    }

    /** Records per second sent between the end of the start-ups and the end of the churn. */
    double churnRate() {
        double seconds = (churnEndedAt - Math.max(steadyAt, startedAt)) / 1e9;
        return seconds <= 0 ? Double.NaN : (recordsAtChurnEnd - recordsAtSteady) / seconds;
    }

    double churnSeconds() {
        return (churnEndedAt - steadyAt) / 1e9;
    }

    /** Wall-clock time the last host had started (the churn's start). */
    long steadyAtMillis() {
        return System.currentTimeMillis() - (System.nanoTime() - steadyAt) / 1_000_000L;
    }

    /** Seconds the start-ups took (the last host's snapshot sent). */
    double startupSeconds() {
        return (steadyAt - startedAt) / 1e9;
    }

    long recordsAtSteady() {
        return recordsAtSteady;
    }

    /** How far behind its schedule the churn fell at worst (the plan asked for more than the rate allows, or sends blocked). */
    long worstLagMillis() {
        return worstLag / 1_000_000L;
    }

    /** The steps of the churn that ran, in order (one when there is no ramp). */
    List<Step> steps() {
        return List.copyOf(steps);
    }

    int openConnections() {
        int n = 0;
        for (FleetHost h : hosts) n += h.open.size();
        return n;
    }

    private void handle(Due d, long now) {
        FleetHost h = d.host;
        switch (d.kind) {
            case START -> {
                start(h, now);
                if (h.index == hosts.length - 1) steady(System.nanoTime());
            }
            case HEARTBEAT -> {
                if (h.vanished) return;
                send(h.heartbeat());
                schedule(d.at + plan.heartbeat().toNanos(), Kind.HEARTBEAT, h, null);
            }
            case OPEN -> {
                if (h.vanished) return;
                open(h, now);
                scheduleOpen(h, d.at);
            }
            case CLOSE -> {
                FleetConnection c = d.connection;
                if (h.vanished || h.open.remove(c.id) == null) return; // closed while its agent was away: nobody saw it
                send(h.closed(c));
                model.closed(c);
                if (c.nat != null) schedule(now + 1_000_000_000L, Kind.NAT_GONE, h, c); // conntrack DESTROY a little later
            }
            case NAT_GONE -> {
                String key = FleetHost.natKey(d.connection);
                if (!h.vanished && h.natPublished.remove(key) != null) tombstoneNat(key);
            }
            case VANISH -> {
                h.vanished = true;
                for (FleetConnection c : h.open.values()) model.hostLost(c);
            }
            case RETURN -> comeBack(h, now);
            case RESYNC -> {
                if (!h.vanished) resync(h);
            }
            case STEP -> {
                endStep(now);
                churn = plan.churnSteps().get(steps.size());
                startStep(now);
            }
        }
    }

    /** The last host has started: the plan's times count from now. */
    private void steady(long now) {
        steadyAt = now;
        recordsAtSteady = sender.sent();
        phase = "churn";
        for (FleetHost h : hosts) {
            if (plan.vanishes(h.index)) schedule(steadyAt + plan.vanishAfter().toNanos(), Kind.VANISH, h, null);
            if (plan.returns(h.index)) schedule(steadyAt + plan.returnAfter().toNanos(), Kind.RETURN, h, null);
            // spread over a second so that the resyncs do not all land in one transaction
            if (plan.resyncs(h.index)) schedule(steadyAt + plan.resync().after().toNanos() + h.index * 1_000_000_000L / plan.resync().hosts(),
                    Kind.RESYNC, h, null);
        }
        churnEnd = steadyAt + plan.churnFor().toNanos();
        startStep(now);
        for (int i = 1; i < plan.churnSteps().size(); i++) schedule(steadyAt + plan.stepFor().toNanos() * i, Kind.STEP, null, null);
    }

    private void startStep(long now) {
        stepStartedAt = now;
        stepStartWall = System.currentTimeMillis();
        recordsAtStepStart = sender.sent();
        stepWorstLag = 0;
    }

    private void endStep(long now) {
        steps.add(new Step(churn, plan.plannedRate(churn), stepStartWall, (now - stepStartedAt) / 1_000_000L, sender.sent() - recordsAtStepStart,
                stepWorstLag / 1_000_000L));
    }

    /** An agent's start: SNAPSHOT records and SNAPSHOT_END, then its NAT dump; heartbeats and churn from then on. */
    private void start(FleetHost h, long now) {
        for (int i = 0; i < plan.snapshotPerHost(); i++) {
            FleetConnection c = h.newConnection(plan.natShare(), null);
            h.open.put(c.id, c);
            model.opened(c);
        }
        for (TcpEvent e : h.snapshot()) send(e);
        for (FleetConnection c : h.open.values()) {
            if (c.nat != null) sendNat(h.natSeen(c));
        }
        schedule(now + (long) (random.nextDouble() * plan.heartbeat().toNanos()), Kind.HEARTBEAT, h, null);
        scheduleOpen(h, now);
    }

    /**
     * A vanished host's new agent: the sockets that outlived the absence are in its snapshot (their HOST_LOST rows
     * open again); the others closed unseen. Its NAT dump holds only theirs: the earlier keys it read back are tombstoned.
     */
    private void comeBack(FleetHost h, long now) {
        h.restartAgent(System.currentTimeMillis() * 1000 + h.index);
        Set<String> gone = new LinkedHashSet<>();
        h.open.values().removeIf(c -> c.closedBy(now) && gone.add(c.id));
        model.returned(h.name);
        for (FleetConnection c : h.open.values()) model.reopened(c);
        for (TcpEvent e : h.snapshot()) send(e);
        snapshots.snapshotEnded(h.name, "return", System.currentTimeMillis(), new HashSet<>(h.open.keySet()), gone);
        natDump(h);
        schedule(now + plan.heartbeat().toNanos(), Kind.HEARTBEAT, h, null);
        scheduleOpen(h, now);
    }

    /**
     * A live host's resync (design rule 6): a share of its open connections closed with their CLOSEs lost, then a
     * fresh snapshot under the same epoch, then a fresh NAT dump with tombstones of the keys it no longer holds.
     */
    private void resync(FleetHost h) {
        Set<String> gone = new LinkedHashSet<>();
        int missing = (int) Math.round(h.open.size() * plan.resync().missingShare());
        List<FleetConnection> all = new ArrayList<>(h.open.values());
        java.util.Collections.shuffle(all, random);
        for (FleetConnection c : all.subList(0, missing)) {
            h.open.remove(c.id);
            gone.add(c.id);
            model.closedUnseen(c);
        }
        for (TcpEvent e : h.snapshot()) send(e);
        snapshots.snapshotEnded(h.name, "resync", System.currentTimeMillis(), new HashSet<>(h.open.keySet()), gone);
        natDump(h);
    }

    /** An agent's NAT dump after a snapshot: the entries of its open connections; the keys it published earlier and lacks now, tombstoned. */
    private void natDump(FleetHost h) {
        Set<String> dump = new HashSet<>();
        for (FleetConnection c : h.open.values()) {
            if (c.nat != null) {
                NatEntry n = h.natSeen(c);
                dump.add(FleetHost.natKey(c));
                sendNat(n);
            }
        }
        List<String> stale = new ArrayList<>();
        for (String key : h.natPublished.keySet()) if (!dump.contains(key)) stale.add(key);
        for (String key : stale) {
            h.natPublished.remove(key);
            tombstoneNat(key);
        }
    }

    private void open(FleetHost h, long now) {
        double life = plan.meanLifetime().toNanos() * (0.2 + 1.6 * random.nextDouble());
        FleetConnection c = h.newConnection(plan.natShare(), now + (long) life);
        if (c.nat != null) sendNat(h.natSeen(c)); // conntrack's NEW comes with the SYN, before the connection is established
        send(h.opened(c));
        h.open.put(c.id, c);
        model.opened(c);
        schedule(c.closesAt, Kind.CLOSE, h, c);
    }

    private void scheduleOpen(FleetHost h, long from) {
        if (churn <= 0) return;
        double interval = 1e9 / churn;
        schedule(from + (long) (interval * (0.5 + random.nextDouble())), Kind.OPEN, h, null);
    }

    private void schedule(long at, Kind kind, FleetHost h, FleetConnection c) {
        queue.add(new Due(at, order++, kind, h, c));
    }

    private void send(TcpEvent e) {
        pace.acquire();
        sender.send(e);
    }

    private void sendNat(NatEntry n) {
        pace.acquire();
        sender.sendNat(n);
    }

    private void tombstoneNat(String key) {
        pace.acquire();
        sender.tombstoneNat(key);
    }

    private void report(long now) {
        if (now - lastReportAt < 1_000_000_000L) return;
        long records = sender.sent();
        int live = 0;
        for (FleetHost h : hosts) if (!h.vanished) live++;
        progress.accept(new Status((now - startedAt) / 1e9, phase, records, sender.acked(), sender.failed(), records - recordsAtLastReport,
                openConnections(), live, maxLag / 1_000_000L));
        recordsAtLastReport = records;
        lastReportAt = now;
        maxLag = 0;
    }
}
