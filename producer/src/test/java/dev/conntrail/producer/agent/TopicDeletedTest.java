package dev.conntrail.producer.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.testkit.RealCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The events topic deleted under a running producer (the in-JVM broker, no BPF needed): the producer does not
 * create it again, its sends fail saying the topic is missing, and {@code /healthz} goes from ok to degraded to
 * unhealthy (503); once the topic is back, sends succeed and it is ok again. Against a broker that would create
 * a deleted topic for any producer client ({@code auto.create.topics.enable=true}) the producer warns at start.
 */
class TopicDeletedTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private static Map<String, Object> client(EmbeddedKafkaCluster broker, String suffix) {
        Map<String, Object> client = new HashMap<>(broker.clientConfig());
        client.put("schema.registry.url", "mock://deleted-" + suffix);
        // fail a send to a missing topic in a second, not after the defaults' minutes
        client.put("max.block.ms", 1000);
        client.put("request.timeout.ms", 1000);
        client.put("delivery.timeout.ms", 2000);
        return client;
    }

    private HttpResponse<String> healthz(ProducerAgent agent) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.metricsPort() + "/healthz"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDeletedTopicStaysDeletedAndHealthSaysSo() throws Exception {
        EmbeddedKafkaCluster broker = RealCluster.broker();
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String events = "tcp-events-del-" + suffix;
        String nat = "conntrack-nat-del-" + suffix;
        broker.createTopics(3, events, nat);
        AgentOptions options = AgentOptions.defaults("deleted-" + suffix, client(broker, suffix)).withTopics(events, nat)
                .withBpf(false).withConntrack(null).withMetricsPort(0).withUnhealthyAfter(Duration.ofSeconds(3))
                .withIntervals(Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMillis(500));
        try (ProducerAgent agent = ProducerAgent.start(options); Admin admin = Admin.create(broker.clientConfig())) {
            await().atMost(Duration.ofSeconds(20)).until(() -> agent.metrics().published("events") > 0);
            assertThat(healthz(agent).body()).isEqualTo("ok\n");

            broker.deleteTopics(events);
            try {
                List<String> seen = new ArrayList<>();
                HttpResponse<String> last = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline) {
                    last = healthz(agent);
                    seen.add(last.statusCode() + " " + last.body().trim());
                    if (last.statusCode() == 503) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(last.statusCode()).as("health seen: %s", seen).isEqualTo(503);
                assertThat(last.body()).startsWith("unhealthy: Kafka sends failing for ").contains("topic " + events + " is missing");
                assertThat(seen).as("degraded before unhealthy").anyMatch(s -> s.startsWith("200 degraded: Kafka sends failing for "));
                assertThat(agent.metrics().lostTotal(LossCause.SEND_FAILED)).isPositive();
                assertThat(agent.meterRegistry().scrape()).containsPattern("conntrail_producer_send_failing_seconds [1-9]");
                assertThat(admin.listTopics().names().get()).as("the producer did not create it again").doesNotContain(events);
            } finally {
                broker.createTopics(3, events); // back, also when an assertion failed: close() publishes what is queued
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                HttpResponse<String> back = healthz(agent);
                assertThat(back.statusCode()).isEqualTo(200);
                assertThat(back.body()).isEqualTo("ok\n");
            });
        } finally {
            broker.deleteTopics(events, nat);
        }
    }

    @Test
    void aBrokerThatCreatesTopicsForProducersIsWarnedAbout() {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger waiter = (Logger) LoggerFactory.getLogger(TopicWaiter.class);
        waiter.addAppender(log);
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        try (EmbeddedKafkaCluster broker = EmbeddedKafkaCluster.start(null, Map.of("auto.create.topics.enable", "true", "num.partitions", "1"))) {
            broker.createTopics(3, "tcp-events", "conntrack-nat");
            AgentOptions options = AgentOptions.defaults("creating-" + suffix, client(broker, suffix)).withBpf(false).withConntrack(null)
                    .withMetricsPort(-1);
            try (ProducerAgent agent = ProducerAgent.start(options)) {
                assertThat(log.list).anyMatch(e -> e.getFormattedMessage().contains("auto.create.topics.enable=true")
                        && e.getFormattedMessage().contains("default of 1 partition(s)"));
            }
        } finally {
            waiter.detachAppender(log);
        }
    }
}
