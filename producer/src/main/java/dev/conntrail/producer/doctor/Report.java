package dev.conntrail.producer.doctor;

import dev.conntrail.schemas.RecordJson;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code conntrail doctor} found: the kernel, every check, the path each part of the agent would take,
 * and the verdict: full fidelity (exit 0) when no check that lowers what the agent reports failed, else
 * degraded (exit 1).
 */
public record Report(Kernel kernel, List<Check> checks, Agent agent) {
    /** Width the table wraps at: readable on an 80-100 column terminal. */
    static final int WIDTH = 96;
    private static final int NAME = 20;
    private static final int STATUS = 12;

    /** {@code uname -r} and {@code uname -m}. */
    public record Kernel(String release, String arch) {
    }

    /**
     * The path each part of the agent would take here.
     *
     * @param events          tp_btf, tracepoint (no cookies), proc_poll (no eBPF), or error (the agent stops at start)
     * @param tracerPrograms  the attached tracer programs, or null
     * @param cookies         whether events carry socket cookies
     * @param snapshots       bpf_iter, sock_diag, proc, or error
     * @param iteratorProgram the iterator's socket program (sockiter or sockiter_stored) when snapshots are bpf_iter
     * @param snapshotFallback what reads the sockets the iterator misses (sock_diag), or null
     * @param namespaces      all (other namespaces can be entered) or own
     * @param nat             conntrack (ctnetlink dumps work) or none
     */
    public record Agent(String events, String tracerPrograms, boolean cookies, String snapshots, String iteratorProgram,
                        String snapshotFallback, String namespaces, String nat) {
    }

    /** Checks that failed and lower what the agent reports. */
    public List<Check> degradations() {
        return checks.stream().filter(Check::degradesFidelity).toList();
    }

    /** Checks that failed without lowering the agent's fidelity by themselves (slower, or counted by another check). */
    public List<Check> notes() {
        return checks.stream().filter(c -> !c.isOk() && !c.fidelity()).toList();
    }

    public boolean fullFidelity() {
        return degradations().isEmpty();
    }

    /** 0: the agent would run at full fidelity; 1: degraded. */
    public int exitCode() {
        return fullFidelity() ? 0 : 1;
    }

    /** The check of that name, or null. */
    public Check check(String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    /** One JSON object on one line: kernel, checks, agent, verdict. */
    public String json() {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"kernel\":{");
        field(sb, "release", kernel.release(), false);
        field(sb, "arch", kernel.arch(), true);
        sb.append("},\"checks\":[");
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            sb.append(i == 0 ? "{" : ",{");
            field(sb, "name", c.name(), false);
            field(sb, "status", c.status().name(), true);
            field(sb, "found", c.found(), true);
            field(sb, "cost", c.cost(), true);
            field(sb, "fix", c.fix(), true);
            field(sb, "detail", c.detail(), true);
            sb.append('}');
        }
        sb.append("],\"agent\":{");
        field(sb, "events", agent.events(), false);
        field(sb, "tracerPrograms", agent.tracerPrograms(), true);
        sb.append(",\"cookies\":").append(agent.cookies());
        field(sb, "snapshots", agent.snapshots(), true);
        field(sb, "iteratorProgram", agent.iteratorProgram(), true);
        field(sb, "snapshotFallback", agent.snapshotFallback(), true);
        field(sb, "namespaces", agent.namespaces(), true);
        field(sb, "nat", agent.nat(), true);
        sb.append("},\"verdict\":{");
        field(sb, "fidelity", fullFidelity() ? "full" : "degraded", false);
        sb.append(",\"exitCode\":").append(exitCode());
        sb.append(",\"degradations\":");
        names(sb, degradations());
        sb.append(",\"notes\":");
        names(sb, notes());
        return sb.append("}}").toString();
    }

    private static void field(StringBuilder sb, String name, String value, boolean comma) {
        if (comma) {
            sb.append(',');
        }
        RecordJson.string(sb, name);
        sb.append(':');
        if (value == null) {
            sb.append("null");
        } else {
            RecordJson.string(sb, value);
        }
    }

    private static void names(StringBuilder sb, List<Check> checks) {
        sb.append('[');
        for (int i = 0; i < checks.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            RecordJson.string(sb, checks.get(i).name());
        }
        sb.append(']');
    }

    /** The human report: one aligned row per check, the agent's paths, the verdict with each cost and fix. */
    public String table(boolean verbose) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("conntrail doctor: Linux ").append(kernel.release()).append(' ').append(kernel.arch()).append("\n\n");
        sb.append(pad("CHECK", NAME)).append(pad("STATUS", STATUS)).append("FOUND\n");
        for (Check c : checks) {
            // found text may quote a process name or a kernel message: escaped like every human output
            List<String> lines = wrap(dev.conntrail.cli.TerminalText.line(c.found()), WIDTH - NAME - STATUS);
            sb.append(pad(c.name(), NAME)).append(pad(c.status().name(), STATUS)).append(lines.get(0)).append('\n');
            for (String l : lines.subList(1, lines.size())) {
                sb.append(" ".repeat(NAME + STATUS)).append(l).append('\n');
            }
            if (verbose && c.detail() != null) {
                indented(sb, NAME + STATUS, "detail: ", dev.conntrail.cli.TerminalText.line(c.detail()));
            }
        }
        sb.append("\nTHE AGENT WOULD USE\n");
        agentLine(sb, "events", events());
        agentLine(sb, "snapshots", snapshots());
        agentLine(sb, "namespaces", "all".equals(agent.namespaces()) ? "every network namespace"
                : "bpf_iter".equals(agent.snapshots()) ? "held sockets of every namespace (the iterator); the rest,"
                        + " and conntrack, of this one only (see netns entry)"
                : "this one only (see netns entry)");
        agentLine(sb, "NAT", "conntrack".equals(agent.nat()) ? "conntrack over ctnetlink, to conntrack-nat"
                : "none: conntrack-nat stays empty (see ctnetlink)");
        sb.append('\n');
        List<Check> degradations = degradations();
        List<Check> notes = notes();
        if (degradations.isEmpty()) {
            sb.append("VERDICT  full fidelity (exit 0)");
            sb.append(notes.isEmpty() ? "\n" : "; not ok, at no loss of what the agent reports:\n");
        } else {
            sb.append("VERDICT  degraded (exit 1): ").append(degradations.size())
                    .append(degradations.size() == 1 ? " degradation\n" : " degradations\n");
            costs(sb, degradations);
            if (!notes.isEmpty()) {
                sb.append("Also not ok (slower, or counted above):\n");
            }
        }
        costs(sb, notes);
        return sb.toString();
    }

    private String events() {
        return switch (agent.events()) {
            case "tp_btf" -> "tp_btf/inet_sock_set_state (" + agent.tracerPrograms() + "), socket cookies on every event";
            case "tracepoint" -> "the classic tracepoint (" + agent.tracerPrograms() + "), no socket cookies";
            case "proc_poll" -> "/proc polling every --poll-interval (source PROC_POLL), no cookies";
            default -> "none: the agent stops at start (see tracer)";
        };
    }

    private String snapshots() {
        return switch (agent.snapshots()) {
            case "bpf_iter" -> "the BPF iterator (" + agent.iteratorProgram() + "), " + agent.snapshotFallback()
                    + " for the sockets it misses";
            case "sock_diag" -> "sock_diag in every namespace, owners from /proc/*/fd";
            case "proc" -> "/proc/PID/net/tcp in every namespace, owners from /proc/*/fd, no cookies";
            default -> "none: the agent stops at start (see bpf iterator)";
        };
    }

    private static void agentLine(StringBuilder sb, String what, String text) {
        List<String> lines = wrap(text, WIDTH - 14);
        sb.append("  ").append(pad(what, 12)).append(lines.get(0)).append('\n');
        for (String l : lines.subList(1, lines.size())) {
            sb.append(" ".repeat(14)).append(l).append('\n');
        }
    }

    private static void costs(StringBuilder sb, List<Check> checks) {
        for (Check c : checks) {
            sb.append("  ").append(c.name()).append(" (").append(c.status().name()).append(")\n");
            indented(sb, 4, "costs: ", c.cost());
            indented(sb, 4, "fix:   ", c.fix());
        }
    }

    private static void indented(StringBuilder sb, int indent, String label, String text) {
        if (text == null) {
            return;
        }
        List<String> lines = wrap(text, WIDTH - indent - label.length());
        for (int i = 0; i < lines.size(); i++) {
            sb.append(" ".repeat(indent)).append(i == 0 ? label : " ".repeat(label.length())).append(lines.get(i)).append('\n');
        }
    }

    /** "1 socket", "2 sockets". */
    static String count(long n, String one) {
        return count(n, one, one + "s");
    }

    static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }

    /** Splits {@code text} into lines of at most {@code width} characters at spaces (a longer word gets a line of its own). */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.replace('\n', ' ').split(" ")) {
            if (word.isEmpty()) {
                continue;
            }
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0 || lines.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }
}
