package dev.conntrail.app.faults;

import static dev.conntrail.app.faults.FaultBed.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.CloseReason;
import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Faults of the producer agent itself, end to end and for real ({@link FaultBed}: in-JVM broker, topology in-process,
 * the agent in a JVM of its own as a uid of its own, held loopback connections, W = 2 s): the agent SIGKILLed with
 * connections held and churning, then restarted (design rule 5: its new epoch's snapshot reconciles the table); the
 * agent SIGKILLed for good (the host judged lost after 3 W, its rows then tombstoned, design rules 4 and 5); and its
 * ring buffers forced to overflow (design rule 6: counted, resynced, the table converged). Root only (CI is root);
 * docs/design.md, "Fault tests", lists what each checks and what it measured.
 */
@ExtendWith(FaultBed.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ProducerFaultKernelTest {
    private static final Logger log = LoggerFactory.getLogger(ProducerFaultKernelTest.class);

    @Test
    void anAgentKilledAndRestartedReconcilesTheTableWithItsNewEpochsSnapshot() throws Exception {
        try (Stack s = new Stack(HELD)) {
            Agent first = s.agent("restart");
            awaitHeldOpen(s, first);
            List<Integer> churnedUp = s.held.churn(3); // while every part is up: each must be found, CLOSED
            assertThat(s.watch.await(t -> closedTuples(s, first.host(), churnedUp).size() == 2 * churnedUp.size(), Duration.ofSeconds(30)))
                    .as("connections opened and closed while the agent was up are found CLOSED").isPositive();
            // killed in the middle of churn, with connections held
            Thread churning = new Thread(() -> {
                try {
                    s.held.churn(6);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "churn-at-kill");
            churning.start();
            Thread.sleep(150);
            long killedAt = System.currentTimeMillis();
            first.kill();
            churning.join(10_000);
            // while it is dead: held connections closed, others opened and held, some opened and closed
            List<Integer> closedWhileDead = s.held.closeHeld(5);
            List<Integer> openedWhileDead = s.held.open(3);
            s.held.churn(2);
            Thread.sleep(Math.max(0, killedAt + 2 * W.toMillis() - System.currentTimeMillis()));
            Agent second = s.agent("restart");
            log.info("restart: the agent was down {} ms (killed to started again)", second.startedAt() - killedAt);
            assertThat(epoch(second)).as("a new epoch").isNotEqualTo(epoch(first));
            long took = convergesAndStays(s, second, churnedUp, second.startedAt(), "agent SIGKILLed and restarted");
            int[] tombstoned = {0};
            Set<List<Integer>> deadClosed = s.tuples(closedWhileDead);
            assertThat(closedAndTombstoned(s, second.host(), deadClosed, null, tombstoned))
                    .as("rows of connections closed while the agent was dead end CLOSED").isEqualTo(deadClosed);
            assertThat(s.heldTuples()).as("connections opened while it was dead are held and OPEN").containsAll(s.tuples(openedWhileDead));
            Map<CloseReason, Long> reasons = new HashMap<>();
            for (TableWatch.Change ch : s.watch.changes()) {
                Connection c = ch.row();
                if (c != null && s.ours(c, second.host()) && c.getState() == ConnectionState.CLOSED
                        && deadClosed.contains(List.of(c.getLport(), c.getRport()))) reasons.merge(c.getCloseReason(), 1L, Long::sum);
            }
            log.info("restart: converged {} ms after the new epoch started; closed while dead: {}; host judged lost meanwhile: {}",
                    took, reasons, hostLostChanges(s, second.host()) > 0);
        }
    }

    @Test
    void anAgentKilledForGoodHasItsHostJudgedLostAfterThreeWindowsAndItsRowsTombstoned() throws Exception {
        try (Stack s = new Stack(HELD)) {
            Agent a = s.agent("gone");
            awaitHeldOpen(s, a);
            List<Integer> churnedUp = s.held.churn(3);
            assertThat(s.watch.await(t -> closedTuples(s, a.host(), churnedUp).size() == 2 * churnedUp.size(), Duration.ofSeconds(30)))
                    .as("connections opened and closed while the agent was up are found CLOSED").isPositive();
            Set<List<Integer>> held = s.heldTuples();
            long killedAt = System.currentTimeMillis();
            a.kill();
            long lostAt = s.watch.await(t -> s.openTuples(t, a.host()).isEmpty(), Duration.ofMillis(6 * W.toMillis()));
            assertThat(lostAt).as("the held connections' rows closed within 6 W of the kill: %s", s.openTuples(s.watch.table(), a.host()))
                    .isPositive();
            int[] tombstoned = {0};
            assertThat(closedAndTombstoned(s, a.host(), held, CloseReason.HOST_LOST, tombstoned)).as("each closed HOST_LOST").isEqualTo(held);
            long judgedAt = s.watch.changes().stream().map(TableWatch.Change::row)
                    .filter(c -> c != null && s.ours(c, a.host()) && c.getCloseReason() == CloseReason.HOST_LOST)
                    .mapToLong(c -> c.getClosedAt().toEpochMilli()).min().orElseThrow();
            // its last record (a heartbeat each second) came at most 1 s before the kill; 3 W of silence after that
            assertThat(judgedAt - killedAt).as("judged lost after 3 W of silence, not before")
                    .isGreaterThanOrEqualTo(3 * W.toMillis() - 1_000 - 200);
            assertThat(judgedAt - killedAt).as("judged lost within about a window of the 3 W").isLessThanOrEqualTo(4 * W.toMillis());
            // then every row of the host is tombstoned (design rule 4), and nothing reopens
            long goneAt = s.watch.await(t -> t.values().stream().noneMatch(c -> c.getHost().equals(a.host())), Duration.ofMillis(4 * W.toMillis()));
            assertThat(goneAt).as("every row of the host tombstoned: %s", s.watch.table().values().stream()
                    .filter(c -> c.getHost().equals(a.host())).map(c -> c.getState() + "/" + c.getCloseReason()).toList()).isPositive();
            tombstoned[0] = 0;
            closedAndTombstoned(s, a.host(), held, CloseReason.HOST_LOST, tombstoned); // each tombstone not before its boundary
            assertThat(tombstoned[0]).as("the held connections' rows tombstoned").isEqualTo(held.size());
            assertThat(checkChurned(s, a.host(), churnedUp)).as("the churned rows tombstoned").isEqualTo(2 * churnedUp.size());
            Thread.sleep(2 * W.toMillis());
            assertThat(s.watch.table().values()).as("no row of the lost host comes back").noneMatch(c -> c.getHost().equals(a.host()));
            log.info("host gone: judged lost {} ms after the kill, all {} rows of the host tombstoned {} ms after the judgement (W = {} s)",
                    judgedAt - killedAt, s.watch.changes().stream().filter(c -> c.row() == null && c.id().startsWith(a.host() + "|")).count(),
                    goneAt - judgedAt, W.toSeconds());
        }
    }

    @Test
    void ringBuffersForcedToOverflowAreCountedResyncedAndTheTableConverges() throws Exception {
        try (Stack s = new Stack(HELD)) {
            int metricsPort = freePort();
            // one page per CPU: a burst of connections overflows it between two reads of the reader
            Agent a = s.agent("ring", "--ring-buffer-size", "4096", "--metrics-port", String.valueOf(metricsPort), "--metrics-address",
                    "127.0.0.1");
            awaitHeldOpen(s, a);
            Thread.sleep(W.toMillis()); // a resync for losses of start-up is taken by now
            double lostBefore = metric(metricsPort, "conntrail_producer_lost_total", "tracer");
            double resyncsBefore = metric(metricsPort, "conntrail_producer_resyncs_total", null);
            long start = System.currentTimeMillis();
            List<Integer> burst = s.held.burst(400, 50);
            long burstEnd = System.currentTimeMillis();
            log.info("ring: {} connections opened and closed, {} held, in {} ms ({} to {}; client ports {})", burst.size(), 400 - burst.size(), burstEnd - start, start, burstEnd, burst);
            long counted = awaitMetric(metricsPort, "conntrail_producer_lost_total", "tracer", lostBefore, Duration.ofMillis(2 * W.toMillis()));
            assertThat(counted).as("the ring buffer loss counted (conntrail_producer_lost_total{cause=tracer}); agent log: %s",
                    String.join("\n", a.child().lines)).isPositive();
            assertThat(awaitMetric(metricsPort, "conntrail_producer_resyncs_total", null, resyncsBefore, Duration.ofMillis(2 * W.toMillis())))
                    .as("a resync taken").isPositive();
            double lost = metric(metricsPort, "conntrail_producer_lost_total", "tracer") - lostBefore;
            // the loss is seen within 0.5 s (the agent's loss check), the resync's snapshot and the topology's work follow
            long took = convergesAndStays(s, a, List.of(), burstEnd, "ring buffer overflow", 3);
            // what the resync repaired: rows of the burst left OPEN by a lost CLOSE, closed by the snapshot's end
            Set<List<Integer>> burstTuples = s.tuples(burst);
            Set<List<Integer>> seen = new HashSet<>();
            Set<List<Integer>> repaired = new HashSet<>();
            for (TableWatch.Change ch : s.watch.changes()) {
                Connection c = ch.row();
                if (c == null || !s.ours(c, a.host()) || !burstTuples.contains(List.of(c.getLport(), c.getRport()))) continue;
                seen.add(List.of(c.getLport(), c.getRport()));
                if (c.getCloseReason() == CloseReason.NOT_IN_SNAPSHOT) repaired.add(List.of(c.getLport(), c.getRport()));
            }
            log.info("ring: {} events lost, converged {} ms after the burst; of the burst's {} sockets {} had a row, {} closed by the "
                    + "resync's snapshot (their CLOSE lost)", (long) lost, took, burstTuples.size(), seen.size(), repaired.size());
            // after the overflow, connections opened while every part is up are found again
            List<Integer> after = s.held.churn(3);
            assertThat(s.watch.await(t -> closedTuples(s, a.host(), after).size() == 2 * after.size(), Duration.ofSeconds(30)))
                    .as("connections opened and closed after the overflow are found CLOSED").isPositive();
        }
    }

    /** The epoch an agent's start line names. */
    static String epoch(Agent a) {
        String line = a.child().lines.stream().filter(l -> l.contains("conntrail producer " + a.host() + " (epoch")).findFirst().orElseThrow();
        return line.replaceAll(".*\\(epoch ([^)]*)\\).*", "$1");
    }

    /** A counter of the agent's /metrics ({@code cause} tag, or none), 0 when absent. */
    static double metric(int port, String name, String cause) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = p.matcher(r.body());
        while (m.find()) {
            if (cause == null || (m.group(1) != null && m.group(1).contains("cause=\"" + cause + "\""))) return Double.parseDouble(m.group(2));
        }
        return 0;
    }

    /** Waits until the counter is above {@code before}; the wall time it was, or -1. */
    static long awaitMetric(int port, String name, String cause, double before, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (metric(port, name, cause) > before) return System.currentTimeMillis();
            Thread.sleep(100);
        }
        return -1;
    }
}
