package dev.conntrail.topology.fleet;

import dev.conntrail.avro.NatEntry;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.HostPartitioner;
import dev.conntrail.schemas.HostProducerConfig;
import dev.conntrail.schemas.Keys;
import dev.conntrail.schemas.serde.ConfluentAvroSerializer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends the fleet's records the way the agent's publisher does (producer/.../agent/EventPublisher): one
 * producer set by {@link HostProducerConfig} (idempotent, {@code acks=all}, the {@link HostPartitioner}), string keys per {@link Keys}, values
 * through the Confluent-wire-format serializer against the registry, lz4, linger 20 ms, the event time as
 * the record's timestamp. One producer serves the whole fleet (the agent has one per host): the bytes on
 * the topics are the same. A send that fails is counted; the model cannot predict the table then.
 */
final class FleetSender implements AutoCloseable {
    private final KafkaProducer<String, Object> producer;
    private final String eventsTopic;
    private final String natTopic;
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final Callback callback = (meta, error) -> {
        if (error == null) {
            acked.incrementAndGet();
        } else {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, error.toString());
        }
    };
    private long sent;

    FleetSender(Map<String, Object> client, String eventsTopic, String natTopic) {
        this.eventsTopic = eventsTopic;
        this.natTopic = natTopic;
        Map<String, Object> props = HostProducerConfig.of(client, "conntrail-fleet-simulator");
        Serializer<Object> values = new ConfluentAvroSerializer();
        values.configure(props, false);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), values);
        warmUp(values);
    }

    /** Topic metadata fetched and both value schemas registered before the first host starts, so its start is not held up. */
    private void warmUp(Serializer<Object> values) {
        producer.partitionsFor(eventsTopic);
        producer.partitionsFor(natTopic);
        values.serialize(eventsTopic, dev.conntrail.avro.TcpEvent.newBuilder().setHost("warm-up").setAgentEpoch(0).setSeq(0)
                .setType(dev.conntrail.avro.EventType.HEARTBEAT).setTimestamp(java.time.Instant.EPOCH).setSource(dev.conntrail.avro.Source.EBPF).build());
        values.serialize(natTopic, NatEntry.newBuilder().setHost("warm-up").setNetns(0L).setZone(0).setTimestamp(java.time.Instant.EPOCH)
                .setFamily(dev.conntrail.avro.Family.IPV4).setOrigSrc("0.0.0.0").setOrigSport(0).setOrigDst("0.0.0.0").setOrigDport(0)
                .setReplySrc("0.0.0.0").setReplySport(0).setReplyDst("0.0.0.0").setReplyDport(0).build());
    }

    void send(TcpEvent e) {
        sent++;
        producer.send(new ProducerRecord<>(eventsTopic, null, e.getTimestamp().toEpochMilli(), Keys.of(e), e), callback);
    }

    void sendNat(NatEntry n) {
        sent++;
        producer.send(new ProducerRecord<>(natTopic, null, n.getTimestamp().toEpochMilli(), Keys.of(n), n), callback);
    }

    void tombstoneNat(String natKey) {
        sent++;
        producer.send(new ProducerRecord<>(natTopic, null, System.currentTimeMillis(), natKey, (Object) null), callback);
    }

    long sent() {
        return sent;
    }

    long acked() {
        return acked.get();
    }

    long failed() {
        return failed.get();
    }

    String firstFailure() {
        return firstFailure.get();
    }

    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
