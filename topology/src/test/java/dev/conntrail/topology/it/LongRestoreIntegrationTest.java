package dev.conntrail.topology.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.ConnectionState;
import dev.conntrail.avro.Direction;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.schemas.Keys;
import dev.conntrail.topology.run.TopologyApp;
import dev.conntrail.topology.state.RowState;
import dev.conntrail.topology.state.RowStateHeader;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A task whose rows take longer to rebuild from {@code connections} than the stream thread may go without polling
 * ({@code max.poll.interval.ms}, made small here so that a partition of a few hundred thousand rows outlasts it
 * on the real broker in bounded time). The member leaves its group during the restore; the task, given back, must
 * continue from where its restore ended rather than read the partition again (and leave the group again, without
 * end), and then process input.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LongRestoreIntegrationTest {
    private static final int ROWS = 300_000;

    @Test
    void aRestoreThatOutlastsThePollIntervalIsToldAndContinuedWhenTheTaskComesBack() throws Exception {
        String prefix = ConnectionTopologyIntegrationTest.prefix();
        Kit kit = new Kit(prefix, 1);
        TopologyApp.Options o = ConnectionTopologyIntegrationTest.options(prefix, Files.createTempDirectory("conntrail-it-long"),
                Duration.ofSeconds(10)).withPartitions(1);
        try {
            TopologyApp.start(o).close(); // creates the topics
            writeRows(kit, prefix + "connections", ROWS);

            Map<String, Object> client = new HashMap<>(o.clientProperties());
            client.put("max.poll.interval.ms", 1000);
            TopologyApp.Options shortPoll = new TopologyApp.Options(client, o.applicationId(), o.processingGuarantee(),
                    Files.createTempDirectory("conntrail-it-long2"), o.partitions(), o.replicationFactor(), o.settings(), -1, Duration.ofMinutes(1));
            long start = System.nanoTime();
            try (TopologyApp app = TopologyApp.start(shortPoll)) {
                kit.send(kit.event(EventType.CLOSE, "h", 1, Instant.now()));
                kit.producer.flush();
                List<ConsumerRecord<String, byte[]>> all = kit.readCommitted(prefix + "connections", ROWS + 1, Duration.ofSeconds(120));
                long restores = app.metrics().registry().find("conntrail.topology.rows.restore").timer().count();
                System.err.printf("after %d ms: %d records, %d restores (%.0f continued) in %.1f s, %.0f records read%n",
                        (System.nanoTime() - start) / 1_000_000, all.size(), restores,
                        app.metrics().count("conntrail.topology.rows.restore.continued"), app.metrics().restoreSeconds(),
                        app.metrics().count("conntrail.topology.rows.restore.records"));
                assertThat(app.metrics().count("conntrail.topology.rows.restore.overlong", "limit", "max-poll-interval"))
                        .as("the restore outlasted max.poll.interval.ms, and said so").isGreaterThanOrEqualTo(1);
                assertThat(all).as("the task started: the CLOSE sent after the start became a row").hasSize(ROWS + 1);
                assertThat(app.metrics().count("conntrail.topology.rows.restore.continued"))
                        .as("given back after leaving the group, the task continued its restore").isGreaterThanOrEqualTo(1);
                assertThat(app.metrics().count("conntrail.topology.rows.restore.records"))
                        .as("the partition was read whole once, not once per attempt").isLessThan(2.0 * ROWS);
                assertThat(app.metrics().count("conntrail.topology.rows.restored")).as("every attempt had every row")
                        .isEqualTo((double) ROWS * restores);
            }
        } finally {
            kit.producer.close();
        }
    }

    /** Open rows of host "h" as the topology writes them (the row and its bookkeeping header), straight to connections. */
    private static void writeRows(Kit kit, String topic, int n) {
        Serializer<Connection> values = TestSerdes.forValues(Connection.class).serializer();
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            int port = 1 + i % 60000;
            String raddr = "10.1." + (i / 60000 / 256) + "." + (i / 60000 % 256);
            Connection c = new Connection("h", 4026531833L, Family.IPV4, "10.0.0.1", port, raddr, 80, (long) i, Direction.OUTGOING, 7,
                    "it", 1000L, 1L, ConnectionState.OPEN, null, now, null, now, Source.EBPF, null, null, null);
            RowState s = new RowState(c);
            s.epoch = 1;
            s.seq = i;
            String key = Keys.connectionId("h", 4026531833L, "10.0.0.1", port, raddr, 80, (long) i);
            kit.producer.send(new ProducerRecord<>(topic, 0, key, values.serialize(topic, c),
                    new RecordHeaders().add(RowStateHeader.NAME, RowStateHeader.encode(s))));
        }
        kit.producer.flush();
    }
}
