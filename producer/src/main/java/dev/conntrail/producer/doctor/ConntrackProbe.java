package dev.conntrail.producer.doctor;

import dev.conntrail.producer.bpf.libbpf.Capabilities;
import dev.conntrail.producer.conntrack.ConntrackEntry;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.ns.NetNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Conntrack for the NAT entries: is nf_conntrack loaded, and does a ctnetlink dump of this namespace work (what
 * the agent tries at start; without it the agent runs without {@code conntrack-nat}).
 */
final class ConntrackProbe {
    private static final Path TABLE = Path.of("/proc/net/nf_conntrack");
    private static final Path MAX = Path.of("/proc/sys/net/netfilter/nf_conntrack_max");
    private static final Path COUNT = Path.of("/proc/sys/net/netfilter/nf_conntrack_count");
    private static final Path MODULES = Path.of("/proc/modules");

    private ConntrackProbe() {
    }

    record Result(List<Check> checks, boolean nat) {
    }

    static Result run(long caps, boolean jna) {
        // the module first: the ctnetlink dump may load it
        Check module = Guard.check("conntrack module", ConntrackProbe::module);
        Check ctnetlink = jna ? Guard.check("ctnetlink", () -> ctnetlink(caps)) : HostProbe.withoutJna("ctnetlink");
        return new Result(List.of(module, ctnetlink), ctnetlink.isOk());
    }

    private static Check module() {
        String where = null;
        if (Files.exists(MAX)) {
            where = MAX + " = " + HostProbe.firstLine(MAX);
            String count = HostProbe.firstLine(COUNT);
            if (count != null) {
                where += ", " + count + " entries";
            }
        } else if (Files.exists(TABLE)) {
            where = TABLE + " exists";
        } else if (listsModule()) {
            where = "listed in " + MODULES;
        }
        if (where != null) {
            return Check.ok("conntrack module", "nf_conntrack loaded (" + where + ")");
        }
        return Check.note("conntrack module", Status.unavailable, "nf_conntrack is not loaded (no " + MAX + ", " + TABLE
                        + " or /proc/modules entry)", "no conntrack table: nothing is NATed here until something loads it"
                        + " (a NAT rule does)",
                "nothing on a host without NAT; else modprobe nf_conntrack (and nf_conntrack_netlink)");
    }

    private static boolean listsModule() {
        try {
            return Files.readAllLines(MODULES).stream().anyMatch(l -> l.startsWith("nf_conntrack "));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Check ctnetlink(long caps) {
        try (ConntrackReader reader = new ConntrackReader(ConntrackReader.Scope.ROOT)) {
            List<NetNamespace> own = reader.namespaces();
            if (own.isEmpty()) {
                return Check.loss("ctnetlink", Status.unavailable, "this process's network namespace was not found in /proc",
                        "no NAT entries on conntrack-nat", "make /proc show this process (mount /proc of its pid namespace)");
            }
            List<ConntrackEntry> entries = reader.dump(own.get(0));
            return Check.ok("ctnetlink", "dump of this namespace's conntrack table (NETLINK_NETFILTER): " + entries.size()
                    + " NAT-translated TCP entries");
        } catch (NetlinkException e) {
            boolean netAdmin = Capabilities.has(caps, Capabilities.CAP_NET_ADMIN);
            return Check.loss("ctnetlink", Status.unavailable, "a conntrack dump over NETLINK_NETFILTER failed: " + e.getMessage(),
                    "no NAT entries on conntrack-nat: the topology shows NATed connections without their translation",
                    netAdmin ? "modprobe nf_conntrack_netlink (the kernel needs CONFIG_NF_CT_NETLINK)"
                            : "grant CAP_NET_ADMIN (or run as root): AmbientCapabilities in deploy/conntrail-producer.service");
        }
    }
}
