package dev.conntrail.producer.bpf.tracer;

import dev.conntrail.cli.Cli;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.cli.TraceCommand;

/**
 * Run in a child JVM by {@link BpfUnavailableKernelTest}: "api" starts the tracer the way the producer
 * would and prints FALLBACK + the reason when BPF is unavailable; "cli" runs {@code trace}.
 */
public final class FallbackProbe {
    public static void main(String[] args) {
        if (args[0].equals("cli")) {
            System.exit(Cli.commandLine(new TraceCommand()).execute("--duration", "1s"));
        }
        try (Tracer t = Tracer.start(TracerOptions.defaults("h", 1), e -> { })) {
            System.out.println("STARTED " + t.attachedPrograms());
        } catch (BpfUnavailableException e) {
            System.out.println("FALLBACK " + e.reason() + " " + e.getMessage());
        }
    }
}
