package dev.conntrail.topology.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.topology.fleet.FleetModel.Fate;
import dev.conntrail.topology.it.TestSerdes;
import dev.conntrail.topology.run.TopologyApp;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A small simulated fleet through the real topology (TopologyApp, exactly_once_v2, W = 2 s) on the testkit's
 * broker and Apicurio registry: 20 hosts with 10 connections each at start, 3 new connections a second per host
 * for 16 s (some through a DNAT), one host that vanishes for good, one that vanishes and comes back as a new
 * agent after 6 W, and two live hosts that resync 4 s into the churn with the CLOSEs of 30 % of their connections lost
 * (those rows must close NOT_IN_SNAPSHOT). The table read back must be what the simulator's model says, row by row ({@link TableCheck}),
 * and stay so for 3 W more (no live host judged lost, nothing closed late). About 40 s on the 2-core machine.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class FleetSimulationIntegrationTest {
    static final Duration W = Duration.ofSeconds(2);

    @Test
    void theTableIsWhatTheSimulatedFleetMadeIt() throws Exception {
        String prefix = "fleet" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Map<String, Object> client = TestSerdes.client();
        FleetPlan plan = new FleetPlan(20, 10, 3.0, Duration.ofMillis(1500), 0.3, Duration.ofMillis(500), 1, 1,
                Duration.ofSeconds(2), Duration.ofSeconds(2).plus(W.multipliedBy(6)), Duration.ofSeconds(16), 2_000, 100_000,
                Duration.ofSeconds(40), 20261207L, new FleetPlan.Resync(2, Duration.ofSeconds(4), 0.3), List.of());
        try (TopologyApp app = TopologyApp.start(FleetTopology.options(client, prefix, Files.createTempDirectory("fleet-it"), W, 3));
                FleetSender sender = new FleetSender(client, prefix + "tcp-events", prefix + "conntrack-nat");
                TableWatcher watcher = new TableWatcher(client, prefix + "connections", TestSerdes.forValues(Connection.class).deserializer())) {
            FleetSimulator fleet = new FleetSimulator(plan, sender, s -> System.out.println("fleet: " + s), watcher.convergence());
            fleet.run();
            FleetModel model = fleet.model();
            assertThat(fleet.heartbeatUntil(() -> TableCheck.check(model, watcher).ok(), Duration.ofSeconds(60)))
                    .as("the table came to what the model says: %s", TableCheck.check(model, watcher)).isTrue();
            // and stays so while the live hosts heartbeat on, past the time a silent host would be judged lost
            fleet.heartbeatUntil(() -> false, W.multipliedBy(3).plusSeconds(1));
            TableCheck.Result after = TableCheck.check(model, watcher);
            assertThat(after.ok()).as("3 W later: %s", after).isTrue();
            assertThat(after.hostsJudgedLost()).as("both vanished hosts judged lost (6 W away: the returning one too)")
                    .containsExactlyInAnyOrder("fleet-host-00018", "fleet-host-00019");
            assertThat(sender.failed()).as("sends failed: %s", sender.firstFailure()).isZero();
            // the scenario played out: each fate has its rows
            assertThat(model.count(Fate.OPEN)).as("open at the end").isGreaterThan(150);
            assertThat(model.count(Fate.CLOSED)).as("closed by a CLOSE").isGreaterThan(300);
            assertThat(model.count(Fate.HOST_LOST)).as("lost with their host").isGreaterThan(10);
            assertThat(model.count(Fate.HOST_LOST_THEN_OPEN)).as("open again when their host came back").isGreaterThanOrEqualTo(10);
            assertThat(model.count(Fate.NOT_IN_SNAPSHOT)).as("left out of a resync's snapshot").isGreaterThanOrEqualTo(4);
            // every snapshot taken in the churn (two resyncs, one return) showed in the table
            assertThat(watcher.convergence().results()).extracting(SnapshotConvergence.Converged::why)
                    .containsExactlyInAnyOrder("resync", "resync", "return");
            assertThat(watcher.convergence().results()).allSatisfy(c -> assertThat(c.millis()).as("%s converged", c).isNotNegative());
            long withNat = watcher.withHistory(h -> h.values().stream().filter(r -> r.lastNat != null).count());
            assertThat(withNat).as("rows with NAT")
                    .isGreaterThan(10);
            System.out.printf("fleet: %d rows checked; %d records sent%n", after.rowsExpected(), sender.sent());
        }
    }
}
