package dev.conntrail.app.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conntrail.app.Main;
import dev.conntrail.broker.EmbeddedKafkaCluster;
import dev.conntrail.cli.Cli;
import dev.conntrail.testkit.RealCluster;
import dev.conntrail.testkit.Root;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The whole pipeline over TLS and SASL, as users run it against a secured cluster: a broker whose client
 * listener is SASL_SSL (PLAIN) with a self-signed certificate, and the registry behind HTTPS with basic auth.
 * The topology, the producer (eBPF, as root) and `table` get their settings only from a `--config` file; a
 * connection held on this host must show up as an OPEN row read back by `table`. The broker also has a
 * PLAINTEXT listener, which only the test harness uses (to know the broker is up); the clients are given the
 * SASL_SSL address alone. Root only (CI is root).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SecureClusterKernelTest {

    @Test
    void producerTopologyAndTableWorkOverSaslSslWithTheRegistryBehindHttpsAndBasicAuth() throws Exception {
        assumeTrue(Root.isRoot(), "needs root for the eBPF producer (CI runs as root)");
        Path dir = Files.createTempDirectory("ct-secure");
        TlsMaterial tls = new TlsMaterial(dir);
        int plain = freePort();
        int secure = freePort();
        int controller = freePort();
        Map<String, Object> broker = new HashMap<>();
        broker.put("listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_SSL://127.0.0.1:" + secure + ",CONTROLLER://127.0.0.1:" + controller);
        broker.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_SSL://127.0.0.1:" + secure);
        broker.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
        broker.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        broker.put("sasl.enabled.mechanisms", "PLAIN");
        broker.put("listener.name.sasl_ssl.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_conntrail=\"ct-secret\";");
        broker.put("listener.name.sasl_ssl.ssl.keystore.location", tls.keyStore.toString());
        broker.put("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
        broker.put("listener.name.sasl_ssl.ssl.keystore.password", TlsMaterial.PASSWORD);
        broker.put("listener.name.sasl_ssl.ssl.key.password", TlsMaterial.PASSWORD);
        URI registry = URI.create(RealCluster.registry().url());
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String events = "sec-events-" + suffix;
        String nat = "sec-nat-" + suffix;
        String connections = "sec-connections-" + suffix;
        String dlq = "sec-dlq-" + suffix;
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(null, broker);
             BasicAuthHttpsProxy proxy = new BasicAuthHttpsProxy(tls.serverContext(), "reg", "reg-secret",
                     registry.getScheme() + "://" + registry.getAuthority());
             ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel accepted = server.accept()) {
            String bootstrap = "127.0.0.1:" + secure;
            String registryUrl = proxy.url() + registry.getPath();
            Path config = dir.resolve("client.properties");
            Files.writeString(config, String.join("\n",
                    "security.protocol=SASL_SSL",
                    "sasl.mechanism=PLAIN",
                    "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"conntrail\" password=\"ct-secret\";",
                    "ssl.truststore.location=" + tls.trustStore,
                    "ssl.truststore.type=PKCS12",
                    "ssl.truststore.password=" + TlsMaterial.PASSWORD,
                    "basic.auth.credentials.source=USER_INFO",
                    "basic.auth.user.info=reg:reg-secret",
                    "schema.registry.ssl.truststore.location=" + tls.trustStore,
                    "schema.registry.ssl.truststore.type=PKCS12",
                    "schema.registry.ssl.truststore.password=" + TlsMaterial.PASSWORD, ""));
            List<String> common = List.of("--bootstrap-servers", bootstrap, "--schema-registry-url", registryUrl, "--config", config.toString());
            int localPort = ((InetSocketAddress) client.getLocalAddress()).getPort();

            StringWriter topologyErr = new StringWriter();
            CompletableFuture<Integer> topology = CompletableFuture.supplyAsync(() -> run(topologyErr, common, "topology",
                    "--window", "2s", "--partitions", "2", "--replication-factor", "1", "--application-id", "sec-" + suffix,
                    "--state-dir", dir.resolve("state").toString(), "--metrics-port", "-1", "--duration", "60s",
                    "--events-topic", events, "--nat-topic", nat, "--connections-topic", connections, "--dlq-topic", dlq));
            StringWriter producerErr = new StringWriter();
            CompletableFuture<Integer> producer = CompletableFuture.supplyAsync(() -> run(producerErr, common, "producer",
                    "--host-id", "sec-" + suffix, "--window", "2s", "--heartbeat-interval", "1s", "--metrics-port", "-1",
                    "--duration", "45s", "--conntrack-netns", "off", "--events-topic", events, "--nat-topic", nat));

            // table as its own process (it prints to stdout), until it shows our held connection's row
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "table"));
            cmd.addAll(common);
            cmd.addAll(List.of("--topic", connections, "--format", "json", "--duration", "40s"));
            Process table = new ProcessBuilder(cmd).redirectError(dir.resolve("table.err").toFile()).start();
            String row = null;
            try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(table.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.contains("\"lport\":" + localPort + ",") && line.contains("\"state\":\"OPEN\"")) {
                        row = line;
                        break;
                    }
                }
            } finally {
                table.destroy();
                table.waitFor(20, TimeUnit.SECONDS);
            }
            assertThat(row).as("table shows the held connection's OPEN row; producer: %s; topology: %s; table: %s", producerErr, topologyErr,
                            Files.readString(dir.resolve("table.err")))
                    .isNotNull().contains("\"host\":\"sec-" + suffix + "\"").contains("\"direction\":\"OUTGOING\"");
            assertThat(proxy.forwarded.get()).as("registry requests answered through HTTPS with basic auth").isPositive();
            assertThat(proxy.refused.get()).as("no request without the right credentials").isZero();
            assertThat(producer.get(90, TimeUnit.SECONDS)).as(producerErr.toString()).isZero();
            assertThat(topology.get(90, TimeUnit.SECONDS)).as(topologyErr.toString()).isZero();
        }
    }

    private static int run(StringWriter err, List<String> common, String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(common);
        all.addAll(List.of(args));
        CommandLine cl = Cli.commandLine(new Main());
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(all.toArray(String[]::new));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
