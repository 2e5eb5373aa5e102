package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two topology instances of one application on the real broker (exactly_once_v2), each with a state directory
 * of its own, share the input partitions; one is SIGKILLed under load. The survivor must take over the dead
 * one's partitions — restoring its rows from connections — and the table must show every socket exactly once
 * OPEN, once CLOSED and once tombstoned: nothing lost, nothing duplicated, including sockets that opened on the
 * dead instance and closed after its death.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TwoInstancesIntegrationTest {

    @Test
    void theSurvivorOfTwoInstancesTakesOverAndTheTableLosesAndDuplicatesNothing() throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Kit kit = new Kit(prefix, 2);
        ChurnLoad load = new ChurnLoad(kit, 1500);
        Process a = ConnectionTopologyIntegrationTest.startChild(prefix, Files.createTempDirectory("conntrail-it-a"));
        Process b = ConnectionTopologyIntegrationTest.startChild(prefix, Files.createTempDirectory("conntrail-it-b"));
        try {
            load.start();
            List<ConsumerRecord<String, byte[]>> some = kit.readCommitted(prefix + "connections", 300, Duration.ofSeconds(90));
            assertThat(some).hasSizeGreaterThanOrEqualTo(300);
            assertThat(some.stream().map(ConsumerRecord::partition).distinct())
                    .as("both partitions processed before the kill (one per instance)").hasSize(2);
            assertThat(load.done()).as("killed mid-stream").isFalse();
            b.destroyForcibly(); // SIGKILL: its tasks go to a only when its session times out
            b.waitFor();
            Instant killedAt = Instant.now();
            load.join();
            ChurnLoad.Outcome outcome = load.verify(prefix + "connections", killedAt);
            assertThat(outcome.closedAfterTheFault()).as("sockets opened before the kill and closed after it").isPositive();
            assertThat(a.isAlive()).as("the survivor kept running").isTrue();
            a.destroy();
            assertThat(a.waitFor(40, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        } finally {
            for (Process p : List.of(a, b)) {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
            kit.producer.close();
        }
    }
}
