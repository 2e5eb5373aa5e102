package dev.conntrail.topology.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.cli.Health;
import dev.conntrail.schemas.registry.RegistryUnavailableException;
import dev.conntrail.topology.errors.RegistryOutageHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** What the topology's {@code /healthz} says: Streams' state first, then a registry outage in progress. */
class TopologyHealthTest {
    final AtomicLong now = new AtomicLong(1_000_000);
    final AtomicLong processed = new AtomicLong();
    final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    @Test
    void degradedWhileTheRegistryIsUnreachableUnhealthyOnceStreamsStops() {
        RegistryOutageHandler outage = new RegistryOutageHandler(Duration.ofSeconds(60), clock, processed::get);
        assertThat(TopologyApp.health(KafkaStreams.State.RUNNING, outage)).isEqualTo(Health.OK);
        assertThat(TopologyApp.health(KafkaStreams.State.REBALANCING, outage)).isEqualTo(Health.OK);

        outage.handle(new StreamsException(new SerializationException("reading tcp-events",
                new RegistryUnavailableException("schema registry unreachable", 0, new java.net.ConnectException()))));
        now.addAndGet(25_000);
        Health h = TopologyApp.health(KafkaStreams.State.RUNNING, outage);
        assertThat(h.httpStatus()).isEqualTo(200);
        assertThat(h.body()).isEqualTo("degraded: the schema registry has been unreachable for 25 s (records are retried)\n");

        processed.incrementAndGet(); // a record got through: the outage is over
        assertThat(TopologyApp.health(KafkaStreams.State.RUNNING, outage)).isEqualTo(Health.OK);

        Health stopped = TopologyApp.health(KafkaStreams.State.ERROR, outage);
        assertThat(stopped.httpStatus()).isEqualTo(503);
        assertThat(stopped.body()).isEqualTo("unhealthy: Kafka Streams is ERROR\n");
    }
}
