package dev.conntrail.producer.cli;

import dev.conntrail.avro.Source;
import dev.conntrail.avro.TcpEvent;
import dev.conntrail.cli.HostIds;
import dev.conntrail.cli.OutputFormat;
import dev.conntrail.cli.RunOptions;
import dev.conntrail.cli.TerminalText;
import dev.conntrail.cli.UserFacingException;
import dev.conntrail.producer.bpf.libbpf.BpfUnavailableException;
import dev.conntrail.producer.container.ContainerIds;
import dev.conntrail.producer.conntrack.ConntrackEntry;
import dev.conntrail.producer.conntrack.ConntrackReader;
import dev.conntrail.producer.netlink.NetlinkException;
import dev.conntrail.producer.snapshot.Snapshot;
import dev.conntrail.producer.snapshot.SnapshotEvents;
import dev.conntrail.producer.snapshot.SocketEntry;
import dev.conntrail.producer.snapshot.SocketSnapshotter;
import dev.conntrail.producer.snapshot.TcpStates;
import dev.conntrail.schemas.RecordJson;
import java.io.PrintStream;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code conntrail snapshot}: the host's current TCP sockets in every network namespace, then exit (--nat: and NAT entries). */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "The host's current TCP sockets in every network namespace, then exit (--nat: and NAT entries).")
public final class SnapshotCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCommand.class);

    public enum Method { bpf_iter, sock_diag, proc }

    public enum ConntrackNetns { root, all }

    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--host-id", paramLabel = "HOST", description = "Host name in the records (default: the hostname).")
    String hostId;

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "bpf_iter",
            description = "How to read sockets: ${COMPLETION-CANDIDATES} (bpf_iter: the fast path, needs BPF; sock_diag: no BPF, walks /proc/*/fd; proc: /proc/net/tcp, no cookies). Default: ${DEFAULT-VALUE}.")
    Method method = Method.bpf_iter;

    @Option(names = "--nat", description = "Also print the NAT-translated TCP conntrack entries.")
    boolean nat;

    @Option(names = "--conntrack-netns", paramLabel = "WHICH", defaultValue = "root",
            description = "Conntrack tables to read with --nat: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    ConntrackNetns conntrackNetns = ConntrackNetns.root;

    @Option(names = "--stats", description = "Print what the snapshot cost (namespaces, processes, fds, time) to stderr.")
    boolean stats;

    @Override
    public Integer call() throws Exception {
        String host = hostId != null ? hostId : HostIds.defaultHostId();
        if (host.contains("|")) {
            throw new UserFacingException("--host-id must not contain '|'");
        }
        PrintStream out = System.out;
        Snapshot snap;
        SocketSnapshotter.Method m = switch (method) {
            case proc -> SocketSnapshotter.Method.PROC;
            case sock_diag -> SocketSnapshotter.Method.SOCK_DIAG;
            case bpf_iter -> SocketSnapshotter.Method.BPF_ITER;
        };
        SocketSnapshotter opened;
        try {
            opened = new SocketSnapshotter(m);
        } catch (BpfUnavailableException e) {
            LOG.warn("BPF iterator not usable ({}); falling back to --method sock_diag", e.getMessage());
            m = SocketSnapshotter.Method.SOCK_DIAG;
            opened = new SocketSnapshotter(m);
        }
        try (SocketSnapshotter snapshotter = opened) {
            snap = snapshotter.take();
        } catch (NetlinkException e) {
            throw new UserFacingException("cannot read sockets: " + e.getMessage()
                    + " (run as root, or with CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH)", e);
        }
        LOG.info("snapshot: {} sockets, {} listeners, {}", snap.sockets().size(), snap.listeners().size(), snap.stats());
        if (stats) {
            System.err.println(snap.stats());
        }
        List<ConntrackEntry> natEntries = List.of();
        if (nat) {
            try (ConntrackReader reader = new ConntrackReader(
                    conntrackNetns == ConntrackNetns.all ? ConntrackReader.Scope.ALL : ConntrackReader.Scope.ROOT)) {
                natEntries = reader.dump();
            } catch (NetlinkException e) {
                throw new UserFacingException("cannot read conntrack: " + e.getMessage()
                        + " (needs CAP_NET_ADMIN and the nf_conntrack_netlink module)", e);
            }
        }
        String snapshotId = UUID.randomUUID().toString();
        if (run.format == OutputFormat.json) {
            SnapshotEvents events = new SnapshotEvents(host, System.currentTimeMillis());
            StringBuilder sb = new StringBuilder(snap.sockets().size() * 400);
            for (TcpEvent e : events.snapshotRecords(snap, snapshotId, m == SocketSnapshotter.Method.PROC ? Source.PROC_POLL : Source.SNAPSHOT)) {
                sb.append(RecordJson.toJson(e)).append('\n');
            }
            long nowMillis = System.currentTimeMillis();
            for (ConntrackEntry e : natEntries) {
                sb.append(RecordJson.toJson(e.toNatEntry(host, nowMillis))).append('\n');
            }
            out.print(sb);
        } else {
            // the process name is anyone's choice: every text goes through TerminalText.cell
            out.printf("%-11s %-11s %-8s %-45s %-45s %7s %-15s %6s %-20s %s%n",
                    "NETNS", "STATE", "DIR", "LOCAL", "PEER", "PID", "COMM", "UID", "COOKIE", "CONTAINER");
            for (SocketEntry e : snap.sockets()) {
                out.printf("%-11d %-11s %-8s %-45s %-45s %7s %-15s %6d %-20s %s%n", e.netns(), TcpStates.toAvro(e.state()),
                        e.direction(), endpoint(e.laddr(), e.lport()), endpoint(e.raddr(), e.rport()),
                        e.pid() == null ? "-" : e.pid(), TerminalText.cell(e.comm(), "-"), e.uid(),
                        e.cookie() == null ? "-" : Long.toUnsignedString(e.cookie()),
                        e.container() == null ? "-" : ContainerIds.shortForm(e.container()));
            }
            if (nat) {
                out.println();
                out.printf("%-11s %5s %-47s %-47s %-47s %-47s%n", "NETNS", "ZONE", "ORIG SRC", "ORIG DST", "REPLY SRC", "REPLY DST");
                for (ConntrackEntry e : natEntries) {
                    out.printf("%-11d %5d %-47s %-47s %-47s %-47s%n", e.netns(), e.zone(), endpoint(e.origSrc(), e.origSport()),
                            endpoint(e.origDst(), e.origDport()), endpoint(e.replySrc(), e.replySport()),
                            endpoint(e.replyDst(), e.replyDport()));
                }
            }
        }
        out.flush();
        return 0;
    }

    private static String endpoint(String addr, int port) {
        return addr.indexOf(':') >= 0 ? "[" + TerminalText.cell(addr) + "]:" + port : TerminalText.cell(addr) + ":" + port;
    }
}
