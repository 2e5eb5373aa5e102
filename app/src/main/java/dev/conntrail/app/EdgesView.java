package dev.conntrail.app;

import static dev.conntrail.cli.TerminalText.cell;

import dev.conntrail.avro.ConnectionEdge;
import dev.conntrail.avro.EdgeEnd;
import dev.conntrail.avro.EdgeState;
import dev.conntrail.avro.WorkloadEdge;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code conntrail table --edges} shows: the workload pairs of {@code service-graph} (most open first), then
 * the edges of {@code connection-edges}, newest change first. Every text comes from the network and is shown
 * through {@link dev.conntrail.cli.TerminalText#cell}.
 */
final class EdgesView {
    private final Map<String, ConnectionEdge> edges = new HashMap<>();
    private final Map<String, WorkloadEdge> workloads = new HashMap<>();
    long skipped;

    void edge(String key, ConnectionEdge edge) {
        if (edge == null) edges.remove(key);
        else edges.put(key, edge);
    }

    void workload(String key, WorkloadEdge w) {
        if (w == null) workloads.remove(key);
        else workloads.put(key, w);
    }

    int edgeCount() {
        return edges.size();
    }

    String render(int maxRows, String edgesTopic, String workloadsTopic) {
        long open = edges.values().stream().filter(e -> e.getState() == EdgeState.OPEN).count();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("conntrail table --edges — %s: %d workload pairs; %s: %d edges (%d open, %d closed)%s, %s%n",
                cell(workloadsTopic), workloads.size(), cell(edgesTopic), edges.size(), open, edges.size() - open,
                skipped > 0 ? ", " + skipped + " skipped" : "", Instant.now()));
        sb.append(String.format("%-30s %-30s %6s %8s%n", "CLIENT (host/comm)", "SERVER (host/comm)", "OPEN", "TOTAL"));
        List<WorkloadEdge> pairs = workloads.values().stream()
                .sorted(Comparator.comparingLong(WorkloadEdge::getOpen).reversed().thenComparing(Comparator.comparingLong(WorkloadEdge::getTotal).reversed()))
                .toList();
        pairs.stream().limit(maxRows).forEach(w -> sb.append(String.format("%-30.60s %-30.60s %6d %8d%n",
                cell(w.getClientHost()) + "/" + cell(w.getClientComm(), "-"), cell(w.getServerHost()) + "/" + cell(w.getServerComm(), "-"),
                w.getOpen(), w.getTotal())));
        if (pairs.size() > maxRows) sb.append(String.format("… %d more workload pairs (--max-rows)%n", pairs.size() - maxRows));
        sb.append(System.lineSeparator());
        sb.append(String.format("%-8s %-48s %-48s %s%n", "STATE", "CLIENT host netns pid/comm local→remote", "SERVER host netns pid/comm local←remote",
                "UPDATED"));
        List<ConnectionEdge> shown = edges.values().stream().sorted(Comparator.comparing(ConnectionEdge::getUpdatedAt).reversed()).toList();
        shown.stream().limit(maxRows).forEach(e -> sb.append(String.format("%-8s %-48.96s %-48.96s %s%n", e.getState(),
                end(e.getClient()), end(e.getServer()), e.getUpdatedAt())));
        if (shown.size() > maxRows) sb.append(String.format("… %d more edges (--max-rows)%n", shown.size() - maxRows));
        return sb.toString();
    }

    private static String end(EdgeEnd e) {
        return cell(e.getHost()) + " " + cell(e.getNetns(), "-") + " " + cell(e.getPid(), "-") + "/" + cell(e.getComm(), "-") + " "
                + endpoint(e.getLaddr(), e.getLport()) + "," + endpoint(e.getRaddr(), e.getRport());
    }

    private static String endpoint(String addr, Integer port) {
        if (addr == null) return "-";
        return (addr.indexOf(':') >= 0 ? "[" + cell(addr) + "]" : cell(addr)) + ":" + (port == null ? "?" : port);
    }
}
