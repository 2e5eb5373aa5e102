package dev.conntrail.topology.it;

import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One real KRaft broker (combined mode) in the test JVM, shared by the tests of this module.
 * Interim: replaced by the testkit's shared broker once it lands on this branch.
 */
public final class InterimBroker {
    private static KafkaClusterTestKit cluster;

    private InterimBroker() {
    }

    public static synchronized String bootstrapServers() {
        if (cluster == null) {
            try {
                KafkaClusterTestKit c = new KafkaClusterTestKit.Builder(
                        new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                        .setConfigProp("group.initial.rebalance.delay.ms", "0")
                        .setConfigProp("offsets.topic.replication.factor", "1")
                        .setConfigProp("transaction.state.log.replication.factor", "1")
                        .setConfigProp("transaction.state.log.min.isr", "1")
                        .setConfigProp("num.partitions", "1")
                        .setConfigProp("auto.create.topics.enable", "false")
                        .build();
                c.format();
                c.startup();
                c.waitForReadyBrokers();
                cluster = c;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        c.close();
                    } catch (Exception e) {
                        // the JVM is going away
                    }
                }));
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test broker", e);
            }
        }
        return cluster.bootstrapServers();
    }

    public static Map<String, Object> client() {
        return Map.of("bootstrap.servers", bootstrapServers());
    }
}
