package dev.conntrail.topology.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The restorer's consumers per stream thread. No broker needed: a consumer connects only when used, so
 * the bootstrap address is a closed loopback port (the restore itself is tested against a real broker
 * in the topology's integration tests).
 */
class KafkaRowsRestorerTest {
    private static KafkaRowsRestorer restorer() {
        Properties p = new Properties();
        p.put("application.id", "restorer-test");
        p.put("bootstrap.servers", "127.0.0.1:9");
        return new KafkaRowsRestorer(p, Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    private static KafkaConsumer<byte[], byte[]> consumerOnNewThread(KafkaRowsRestorer r) throws InterruptedException {
        AtomicReference<KafkaConsumer<byte[], byte[]>> c = new AtomicReference<>();
        Thread t = new Thread(() -> c.set(r.consumer()), "stream-thread-like");
        t.start();
        t.join();
        return c.get();
    }

    @Test
    void aThreadKeepsItsConsumerBetweenRestores() {
        try (KafkaRowsRestorer r = restorer()) {
            assertThat(r.consumer()).isSameAs(r.consumer());
            assertThat(r.openConsumers()).isEqualTo(1);
        }
    }

    @Test
    void theConsumerOfAnEndedThreadIsClosedWhenAnotherThreadNeedsOne() throws Exception {
        try (KafkaRowsRestorer r = restorer()) {
            KafkaConsumer<byte[], byte[]> replaced = consumerOnNewThread(r); // a stream thread that died and was replaced
            assertThat(r.openConsumers()).isEqualTo(1);
            KafkaConsumer<byte[], byte[]> mine = r.consumer();
            assertThat(mine).isNotSameAs(replaced);
            assertThat(r.openConsumers()).isEqualTo(1);
            assertThatThrownBy(() -> replaced.assign(List.of(new TopicPartition("t", 0))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            mine.assign(List.of(new TopicPartition("t", 0))); // still open
        }
    }

    @Test
    void closeClosesEveryConsumer() throws Exception {
        KafkaRowsRestorer r = restorer();
        KafkaConsumer<byte[], byte[]> c = r.consumer();
        r.close();
        assertThat(r.openConsumers()).isZero();
        assertThatThrownBy(() -> c.assign(List.of(new TopicPartition("t", 0)))).isInstanceOf(IllegalStateException.class);
    }
}
