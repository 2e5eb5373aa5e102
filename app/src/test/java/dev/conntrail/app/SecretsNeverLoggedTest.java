package dev.conntrail.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.testkit.RealCluster;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The real producer, as its own JVM with the shipped logback.xml and {@code --verbose} (debug logging and stack
 * traces), given credentials everywhere a user puts them: user-info in both URLs of the registry list, a
 * {@code --config} file with {@code sasl.jaas.config}, {@code ssl.truststore.password} and
 * {@code basic.auth.user.info}, a {@code --kafka-property} password. The registry does not answer, so every error
 * path that names it runs too. Nothing it writes, on stdout or stderr, holds any of the secrets. A second run
 * fails on a bad URL of such a list, and its error line and stack trace hold none either.
 */
class SecretsNeverLoggedTest {
    static final List<String> SECRETS = List.of("UrlPassWordOne", "UrlPassWordTwo", "JaasPassWord", "TrustStorePassWord",
            "UserInfoPassWord", "KeyPassWord", "BadUrlPassWord");

    @Test
    void theProducerNeverPrintsACredential() throws Exception {
        EmbeddedKafkaCluster broker = RealCluster.broker();
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String events = "tcp-events-sec-" + suffix;
        String nat = "conntrack-nat-sec-" + suffix;
        broker.createTopics(1, events, nat);
        Path config = Files.createTempFile("conntrail-secrets", ".properties");
        try (ServerSocket deadA = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket deadB = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // ports that accept nothing: the registry is unreachable at both
            int portA = deadA.getLocalPort();
            int portB = deadB.getLocalPort();
            deadA.close();
            deadB.close();
            Files.writeString(config, String.join("\n",
                    "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"JaasPassWord\";",
                    "ssl.truststore.password=TrustStorePassWord",
                    "basic.auth.credentials.source=USER_INFO",
                    "basic.auth.user.info=carol:UserInfoPassWord", ""));
            String registry = "http://alice:UrlPassWordOne@127.0.0.1:" + portA + ",http://bob:UrlPassWordTwo@127.0.0.1:" + portB;
            ChildConntrail.Run run = ChildConntrail.run(90, "producer", "--verbose", "--bootstrap-servers", broker.bootstrapServers(),
                    "--schema-registry-url", registry, "--config", config.toString(), "--kafka-property", "ssl.key.password=KeyPassWord",
                    "--host-id", "sec-" + suffix, "--no-bpf", "--conntrack-netns", "off", "--metrics-port", "-1",
                    "--events-topic", events, "--nat-topic", nat, "--duration", "4s", "--heartbeat-interval", "1s");
            String all = run.out() + run.err();
            assertThat(run.exit()).as(all).isZero();
            // it did log what carries the secrets: the start line, the debug dump of the settings, the failed sends
            assertThat(run.err()).contains("conntrail producer sec-" + suffix, "registry http://[hidden]@127.0.0.1:" + portA
                    + ",http://[hidden]@127.0.0.1:" + portB, "client properties {", "sasl.jaas.config=[hidden]",
                    "ssl.truststore.password=[hidden]", "basic.auth.user.info=[hidden]", "ssl.key.password=[hidden]", "SEND_FAILED");
            assertThat(run.err()).as("--verbose logs at debug").contains(" DEBUG ");
            for (String secret : SECRETS) {
                assertThat(all).as("the producer's output holds %s", secret).doesNotContain(secret);
            }

            // a list with a bad URL: the producer stops with an error line, and with --verbose its stack trace
            ChildConntrail.Run bad = ChildConntrail.run(90, "producer", "--verbose", "--bootstrap-servers", broker.bootstrapServers(),
                    "--schema-registry-url", "http://alice:UrlPassWordOne@127.0.0.1:" + portA + ",ftp://bob:BadUrlPassWord@127.0.0.1:" + portB,
                    "--host-id", "sec-" + suffix, "--no-bpf", "--conntrack-netns", "off", "--metrics-port", "-1",
                    "--events-topic", events, "--nat-topic", nat, "--duration", "4s");
            String badAll = bad.out() + bad.err();
            assertThat(bad.exit()).as(badAll).isEqualTo(1);
            assertThat(bad.err()).contains("conntrail producer: ", "not a registry URL", "ftp://[hidden]@127.0.0.1", "\tat ");
            for (String secret : SECRETS) {
                assertThat(badAll).as("the failing producer's output holds %s", secret).doesNotContain(secret);
            }
        } finally {
            Files.deleteIfExists(config);
            broker.deleteTopics(events, nat);
        }
    }
}
