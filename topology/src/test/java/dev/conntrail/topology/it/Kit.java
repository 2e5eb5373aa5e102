package dev.conntrail.topology.it;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.EventType;
import dev.conntrail.avro.Family;
import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.schemas.Keys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/** Producing input like a producer does (host partitioning, idempotent) and reading connections with read_committed. */
final class Kit {
    final String prefix;
    final int partitions;
    final KafkaProducer<String, byte[]> producer;
    final Serializer<TcpEvent> events = TestSerdes.forValues(TcpEvent.class).serializer();
    final Deserializer<Connection> connections = TestSerdes.forValues(Connection.class).deserializer();
    long seq;

    Kit(String prefix, int partitions) {
        this.prefix = prefix;
        this.partitions = partitions;
        Map<String, Object> p = new HashMap<>(TestSerdes.client());
        p.put("acks", "all");
        p.put("enable.idempotence", true);
        p.put("linger.ms", 5);
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** docs/design.md, "Topics", partitioning: toPositive(murmur2(utf8(host))) % n. */
    int partitionOf(String key) {
        return dev.conntrail.schemas.HostPartitioner.partitionFor(key, partitions);
    }

    TcpEvent event(EventType type, String host, int port, Instant at) {
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(1).setSeq(++seq).setType(type).setTimestamp(at)
                .setNetns(4026531833L).setFamily(Family.IPV4).setLaddr("10.0.0.1").setLport(port).setRaddr("10.0.0.2").setRport(80)
                .setCookie((long) port).setSource(Source.EBPF)
                // CLOSE carries no owner (design rule 3, events): a CLOSED row's pid/comm come from its CONNECT
                .setPid(type == EventType.CLOSE ? null : port).setComm(type == EventType.CLOSE ? null : "it").build();
    }

    TcpEvent hostEvent(EventType type, String host, Instant at) {
        return TcpEvent.newBuilder().setHost(host).setAgentEpoch(1).setSeq(++seq).setType(type).setTimestamp(at).setSource(Source.EBPF).build();
    }

    void send(TcpEvent e) {
        String key = Keys.of(e);
        producer.send(new ProducerRecord<>(prefix + "tcp-events", partitionOf(key), e.getTimestamp().toEpochMilli(), key,
                events.serialize(prefix + "tcp-events", e)));
    }

    void sendRaw(String key, byte[] value) {
        producer.send(new ProducerRecord<>(prefix + "tcp-events", partitionOf(key), key, value));
    }

    /** Every committed change of {@code topic} so far, in offset order per partition, waiting up to {@code patience} for {@code enough}. */
    List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int enough, Duration patience) {
        Map<String, Object> p = new HashMap<>(TestSerdes.client());
        p.put("isolation.level", "read_committed");
        p.put("group.id", "reader-" + System.nanoTime());
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            c.partitionsFor(topic, Duration.ofSeconds(10)).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            long until = System.nanoTime() + patience.toNanos();
            while (System.nanoTime() < until) {
                c.poll(Duration.ofMillis(200)).forEach(all::add);
                if (all.size() >= enough) {
                    // drain what is already there so duplicates would show
                    for (int i = 0; i < 5; i++) c.poll(Duration.ofMillis(200)).forEach(all::add);
                    break;
                }
            }
        }
        return all;
    }

    Connection decode(ConsumerRecord<String, byte[]> r) {
        return r.value() == null ? null : connections.deserialize(r.topic(), r.value());
    }
}
