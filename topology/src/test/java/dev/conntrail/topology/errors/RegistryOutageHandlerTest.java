package dev.conntrail.topology.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conntrail.schemas.registry.RegistryUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class RegistryOutageHandlerTest {
    final AtomicLong now = new AtomicLong(1_000_000);
    final AtomicLong processed = new AtomicLong();
    final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    static Throwable registryDown() {
        return new StreamsException(new SerializationException("reading tcp-events",
                new RegistryUnavailableException("http://127.0.0.1:1 refused the connection", 0, new java.net.ConnectException())));
    }

    @Test
    void aRegistryOutageReplacesTheThreadUntilItHasLastedTheTimeoutThenStopsWithOneClearLine() {
        RegistryOutageHandler handler = new RegistryOutageHandler(Duration.ofSeconds(60), clock, processed::get);
        assertThat(handler.handle(registryDown())).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        now.addAndGet(30_000);
        assertThat(handler.handle(registryDown())).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(handler.fatalError()).isNull();
        now.addAndGet(31_000);
        assertThat(handler.handle(registryDown())).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
        assertThat(handler.fatalError()).contains("unreachable for 60 s").contains("--schema-registry-url");
    }

    @Test
    void recordsGettingThroughEndAnOutage() {
        RegistryOutageHandler handler = new RegistryOutageHandler(Duration.ofSeconds(60), clock, processed::get);
        handler.handle(registryDown());
        now.addAndGet(50_000);
        processed.addAndGet(10); // the registry came back for a while
        now.addAndGet(20_000);
        assertThat(handler.handle(registryDown())).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        now.addAndGet(59_000);
        assertThat(handler.handle(registryDown())).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        now.addAndGet(2_000);
        assertThat(handler.handle(registryDown())).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    @Test
    void anyOtherErrorStopsAtOnce() {
        RegistryOutageHandler handler = new RegistryOutageHandler(Duration.ofSeconds(60), clock, processed::get);
        assertThat(handler.handle(new IllegalStateException("disk full"))).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
        assertThat(handler.fatalError()).contains("disk full");
    }

    @Test
    void undecodableBytesAreNotARegistryOutage() {
        assertThat(RegistryFailures.isUnreachable(new SerializationException("unknown magic byte"))).isFalse();
        assertThat(RegistryFailures.isUnreachable(registryDown())).isTrue();
    }
}
