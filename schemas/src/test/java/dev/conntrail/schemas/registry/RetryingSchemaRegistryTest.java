package dev.conntrail.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conntrail.avro.TcpEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The retrying client over the real REST client, against a scripted loopback HTTP server that answers
 * each request with the next scripted status (then with the last one for ever): which registry
 * answers are waited out, for how long, and which are thrown at once.
 */
class RetryingSchemaRegistryTest {
    private static final String SCHEMA = TcpEvent.getClassSchema().toString();
    private ScriptedRegistryServer server;
    private final Deque<Integer> script = new ArrayDeque<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> retried = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    /** A registry answering {@code statuses} in turn, the last one for ever; 200 carries the schema, 404 says "schema not found". */
    private RetryingSchemaRegistry registry(Duration giveUp, Duration grace, int... statuses) throws IOException {
        for (int s : statuses) script.add(s);
        server = new ScriptedRegistryServer(ex -> {
            requests.incrementAndGet();
            int status;
            synchronized (script) {
                status = script.size() > 1 ? script.poll() : script.peek();
            }
            String body = switch (status) {
                case 200 -> ex.getRequestURI().getPath().contains("/versions") ? "{\"id\":7}"
                        : "{\"schema\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(SCHEMA) + "}";
                case 404 -> "{\"error_code\":40403,\"message\":\"Schema not found\"}";
                case 409 -> "{\"error_code\":409,\"message\":\"incompatible\"}";
                default -> "{\"error_code\":" + status + ",\"message\":\"scripted " + status + "\"}";
            };
            return new ScriptedRegistryServer.Answer(status, body);
        });
        RestSchemaRegistryClient rest = RestSchemaRegistryClient.of(server.url());
        return new RetryingSchemaRegistry(rest, new RetryingSchemaRegistry.Policy(giveUp, grace, Duration.ofMillis(20), Duration.ofMillis(80)),
                (call, failure, failingFor) -> retried.add(call + " " + failure.status()));
    }

    @Test
    void unavailableThrottledAndRefusedAnswersAreWaitedOutUntilTheSchemaComes() throws Exception {
        RetryingSchemaRegistry r = registry(Duration.ofSeconds(30), Duration.ofSeconds(30), 503, 503, 429, 401, 403, 200);
        assertThat(r.failingForMillis()).isEqualTo(-1);
        java.util.concurrent.atomic.AtomicLong seenFailing = new java.util.concurrent.atomic.AtomicLong(-1);
        Thread watcher = new Thread(() -> {
            for (int i = 0; i < 200 && seenFailing.get() < 0; i++) {
                seenFailing.set(r.failingForMillis());
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watcher.start();
        assertThat(r.schemaById(7).getFullName()).isEqualTo("dev.conntrail.avro.TcpEvent");
        watcher.join();
        assertThat(seenFailing.get()).as("a call waiting for the registry shows").isGreaterThanOrEqualTo(0);
        assertThat(r.failingForMillis()).as("and is gone once it succeeded").isEqualTo(-1);
        assertThat(requests.get()).isEqualTo(6);
        assertThat(retried).containsExactly("GET schema id 7 503", "GET schema id 7 503", "GET schema id 7 429", "GET schema id 7 401",
                "GET schema id 7 403");
    }

    @Test
    void aRegistryThatKeepsFailingIsGivenUpAfterTheBoundWithTheLastAnswerAsCause() throws IOException {
        RetryingSchemaRegistry r = registry(Duration.ofMillis(600), Duration.ofSeconds(30), 503);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> r.schemaById(7)).isInstanceOf(RegistryGaveUpException.class)
                .hasMessageContaining("GET schema id 7").hasRootCauseInstanceOf(IOException.class)
                .satisfies(e -> assertThat(((RegistryGaveUpException) e).last()).isInstanceOf(RegistryUnavailableException.class));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(600L, 5_000L);
        assertThat(requests.get()).isGreaterThan(3);
    }

    @Test
    void aSchemaIdALaggingRegistryDoesNotKnowYetIsRetriedWithinTheGrace() throws IOException {
        RetryingSchemaRegistry r = registry(Duration.ofSeconds(30), Duration.ofSeconds(5), 404, 404, 404, 200);
        assertThat(r.schemaById(7)).isNotNull();
        assertThat(requests.get()).isEqualTo(4);
    }

    @Test
    void aSchemaIdStillUnknownAfterTheGraceIsUnknownAndLaterRecordsNamingItDoNotWaitAgain() throws IOException {
        RetryingSchemaRegistry r = registry(Duration.ofSeconds(30), Duration.ofMillis(300), 404);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> r.schemaById(99)).isInstanceOf(UnknownSchemaIdException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(300L);
        int after = requests.get();
        assertThat(after).isGreaterThan(2);
        t0 = System.nanoTime();
        assertThatThrownBy(() -> r.schemaById(99)).isInstanceOf(UnknownSchemaIdException.class);
        assertThat(requests.get()).as("one attempt").isEqualTo(after + 1);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(250L);
    }

    @Test
    void answersAboutTheRequestItselfAreThrownAtOnce() throws IOException {
        RetryingSchemaRegistry r = registry(Duration.ofSeconds(30), Duration.ofSeconds(30), 409);
        assertThatThrownBy(() -> r.register("s-value", TcpEvent.getClassSchema())).isInstanceOf(IncompatibleSchemaException.class);
        assertThat(requests.get()).isEqualTo(1);
        assertThat(retried).isEmpty();
    }

    @Test
    void abandonedCallsStopWaitingAndAnIdNotYetJudgedIsNeverCalledUnknown() throws Exception {
        RetryingSchemaRegistry r = registry(Duration.ofSeconds(30), Duration.ofSeconds(30), 404);
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.abandon();
        });
        stopper.start();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> r.schemaById(5)).isInstanceOf(RegistryGaveUpException.class).hasMessageContaining("stopping");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3_000L);
        stopper.join();
    }
}
