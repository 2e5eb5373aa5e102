package dev.conntrail.producer.doctor;

import dev.conntrail.producer.bpf.libbpf.Capabilities;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every probe of {@code conntrail doctor} in order and never throws: a probe that fails becomes a check
 * saying so. Loads and attaches the tracer and the socket iterator briefly (a second or two), as the agent would.
 */
public final class Doctor {
    private Doctor() {
    }

    public static Report run() {
        Report.Kernel kernel = Guard.value(HostProbe::kernel, e -> new Report.Kernel("unknown", "unknown"));
        List<Check> checks = new ArrayList<>();
        checks.add(HostProbe.kernelCheck(kernel));
        Check jnaCheck = Guard.check("jna", HostProbe::jna);
        boolean jna = jnaCheck.isOk();
        checks.add(jnaCheck);
        checks.add(Guard.check("btf", HostProbe::btf));
        checks.add(jna ? Guard.check("libbpf", HostProbe::libbpf) : HostProbe.withoutJna("libbpf"));
        long caps = Capabilities.effective();
        checks.addAll(HostProbe.capabilities(caps));

        TracerProbe.Result tracer = !jna
                ? new TracerProbe.Result(List.of(HostProbe.withoutJna("tracer"), HostProbe.withoutJna("ring buffer")),
                        TracerProbe.Events.error, null)
                : Guard.value(TracerProbe::run,
                        e -> new TracerProbe.Result(List.of(Guard.failed("tracer", e)), TracerProbe.Events.error, null));
        checks.addAll(tracer.checks());

        SnapshotProbe.Result snapshot = Guard.value(() -> SnapshotProbe.run(tracer, caps, jna),
                e -> new SnapshotProbe.Result(List.of(Guard.failed("snapshot", e)), SnapshotProbe.Snapshots.error, null, false));
        checks.addAll(snapshot.checks());

        ConntrackProbe.Result conntrack = Guard.value(() -> ConntrackProbe.run(caps, jna),
                e -> new ConntrackProbe.Result(List.of(Guard.failed("ctnetlink", e)), false));
        checks.addAll(conntrack.checks());

        boolean iter = snapshot.snapshots() == SnapshotProbe.Snapshots.bpf_iter;
        Report.Agent agent = new Report.Agent(tracer.events().name(), tracer.programs(),
                tracer.events() == TracerProbe.Events.tp_btf, snapshot.snapshots().name(), snapshot.iteratorProgram(),
                iter ? "sock_diag" : null, snapshot.allNamespaces() ? "all" : "own", conntrack.nat() ? "conntrack" : "none");
        return new Report(kernel, List.copyOf(checks), agent);
    }
}
