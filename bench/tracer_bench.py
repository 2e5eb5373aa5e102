"""Driver of bench/tracer-bench.sh: see there. Prints a markdown table of medians over rounds."""
import os, re, resource, signal, statistics, subprocess, sys, time
from tracer_common import HZ, extract_object, proc_cpu, tracer_jvm_opts, wait_for

CHURN, JAR, ROUNDS = sys.argv[1], sys.argv[2], int(sys.argv[3])
BEFORE_JAR = os.environ.get("BEFORE_JAR")  # optional: an older build, run as mode conntrail-before (same run)
# JVM options of the tracer: TRACER_JAVA_OPTS for this build's modes (default: the agent's, deploy/agent-jvm-opts),
# BEFORE_JAVA_OPTS for conntrail-before (default: the same) -- e.g. BEFORE_JAR=same.jar BEFORE_JAVA_OPTS=" " to pair JVM options
TRACER_OPTS = tracer_jvm_opts()
BEFORE_OPTS = os.environ["BEFORE_JAVA_OPTS"].split() if "BEFORE_JAVA_OPTS" in os.environ else TRACER_OPTS
FIXED_RATE, FIXED_SECS = 10000, 5
SAT_CONNS = int(os.environ.get("SAT_CONNS", "20000"))  # connections per saturation churn
# connecting threads (each with an accepting thread) of the saturation churns: 1 leaves ~20 % of the 2 cores idle
# (the client and its acceptor take turns), 2 keep both cores busy, so a tracer's CPU comes out of the churn's
SAT_CLIENTS = int(os.environ.get("SAT_CLIENTS", "1"))
SAT_REPEATS = int(os.environ.get("SAT_REPEATS", "3"))  # saturation churns per round (the best one counts)
# warm-up churns per round, not measured: the tracer's JIT settles after ~4 saturation churns of 60,000 connections
# (-XX:+PrintCompilation: C2 recompiles the merge in churns 2-3, none in 5-7); with 2 the measured churns ran partly
# in C1 code with C2 compiling beside them (100-500 ms of C2 in a measured window)
SAT_WARMUPS = int(os.environ.get("SAT_WARMUPS", "5"))
BPFTRACE = r'''tracepoint:sock:inet_sock_set_state
/args->protocol == 6 && ((args->oldstate == 2 && args->newstate == 1) || (args->oldstate == 3 && args->newstate == 1)
 || (args->newstate == 7 && (args->oldstate == 1 || args->oldstate == 4 || args->oldstate == 5 || args->oldstate == 6
 || args->oldstate == 8 || args->oldstate == 9 || args->oldstate == 11)))/
{ printf("%d %d %d %s %d %d\n", args->oldstate, args->newstate, pid, comm, args->sport, args->dport); }'''


def host_busy():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return f[0] + f[1] + f[2] + f[5] + f[6] + f[7]  # user nice system irq softirq steal


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def churn(*args):
    """Runs the churn; returns (rate, seconds, CPU seconds the churn process used, kernel BPF time included)."""
    c0 = children_cpu()
    out = subprocess.run([CHURN, *map(str, args)], capture_output=True, text=True, check=True).stdout
    return (float(re.search(r"rate=(\d+)", out).group(1)), float(re.search(r"secs=([\d.]+)", out).group(1)),
            children_cpu() - c0)


def tracer_object(jar, name):
    """The BPF object inside a jar, written once to WORK/NAME.bpf.o; returns the path."""
    return extract_object(jar, os.path.join(os.environ["WORK"], name + ".bpf.o"))


def start(mode, log):
    if mode == "untraced":
        return None
    out = open(log, "w")
    if mode == "bpftrace":
        p = subprocess.Popen(["bpftrace", "-e", BPFTRACE], stdout=subprocess.PIPE, stderr=out, text=True)
        p.stdout.readline()  # "Attaching 1 probe..."
        p._sink = subprocess.Popen(["cat"], stdin=p.stdout, stdout=subprocess.DEVNULL)
        return p
    if mode.startswith("kernel"):
        # bench/bpf_cost.c holding an object attached with a minimal C reader: the empty floor program,
        # or this build's tracer object (what any reader on top of our kernel side would start from)
        obj = os.path.join(os.environ["WORK"], "floor.bpf.o") if mode == "kernel-floor" else tracer_object(JAR, "this-build")
        p = subprocess.Popen([os.environ["BPF_COST"], obj, "hold"], stdout=out, stderr=out,
                             env=dict(os.environ, CT_MMAP="1"))
        wait_for(log, "tracer attached", p)
        return p
    reader = "libbpf" if mode == "conntrail-libbpf" else "mmap"
    jar = BEFORE_JAR if mode == "conntrail-before" else JAR
    exact = ["--accept-pid", "exact"] if mode == "conntrail-exact" else []
    opts = BEFORE_OPTS if mode == "conntrail-before" else TRACER_OPTS
    p = subprocess.Popen(["java", *opts, "-jar", jar, "trace", "--discard", "--reader", reader, "--duration", "600s", *exact],
                         stdout=subprocess.DEVNULL, stderr=out)
    wait_for(log, "tracer attached", p)
    return p


def counters_now(log):
    """The tracer's latest counters line (trace --discard prints them every second)."""
    found = re.findall(r"TracerCounters\[(.*?)\]", open(log, errors="replace").read())
    return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])) if found else {}


def stop(p, log):
    if p is None:
        return {}
    # SIGTERM, not SIGINT: a shell without job control starts background commands with SIGINT ignored, and a
    # JVM (or bpf_cost's sigwait) that inherits an ignored SIGINT never sees it
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    if hasattr(p, "_sink"):
        p._sink.wait(timeout=30)
        return {}
    return counters_now(log)  # the last line: printed at exit


# conntrail-libbpf (libbpf's ring_buffer__poll, a JNA callback per record) lost to the mmap reader in every run
# so far (2-4x the Java CPU): only with LIBBPF=1, to keep a run short.
# kernel-floor: an empty program on the same hook (no tracer can do better); kernel+c-reader: this build's BPF
# object read by bench/bpf_cost.c's minimal C reader (the Java reader's share is conntrail-mmap minus this).
modes = (["untraced", "kernel-floor", "kernel+c-reader"] + (["conntrail-before"] if BEFORE_JAR else [])
         + ["conntrail-mmap", "conntrail-exact"]
         + (["conntrail-libbpf"] if os.environ.get("LIBBPF") == "1" else []) + ["bpftrace"])
if os.environ.get("MODES"):  # a subset, e.g. MODES=untraced,conntrail-mmap (untraced is always kept: the baseline)
    modes = ["untraced"] + [m for m in modes if m != "untraced" and m in os.environ["MODES"].split(",")]
res = {m: {"sat": [], "satcpu": [], "cpu": [], "tcpu": [], "jcpu": [], "jlife": [], "lost": [], "events": [], "sys": []} for m in modes}
SYSCALLS = 2_000_000


def syscall_ns():
    out = subprocess.run([CHURN, "syscalls", str(SYSCALLS)], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"ns_per_call=([\d.]+)", out).group(1))
for r in range(ROUNDS):
    for mode in modes[r % len(modes):] + modes[:r % len(modes)]:  # rotated: no mode always runs right after another
        log = f"/tmp/ct-bench-{mode}.log"
        p = start(mode, log)
        for _ in range(SAT_WARMUPS):
            churn(SAT_CONNS, 20, 0, SAT_CLIENTS)  # warm-up (the JVM's JIT: a running agent is warm), not measured
        time.sleep(1.5)
        before = counters_now(log) if mode.startswith("conntrail") else {}
        c0 = proc_cpu(p.pid) if p is not None else 0
        # Saturation: best of SAT_REPEATS churns (other load on the machine only ever slows a churn down), and the CPU
        # per connection of the churn process plus the tracer over all 3 (scheduling noise does not move it).
        sats, sat_cpu = [], 0.0
        for _ in range(SAT_REPEATS):
            rate, _, ccpu = churn(SAT_CONNS, 20, 0, SAT_CLIENTS)
            sats.append(rate)
            sat_cpu += ccpu
        sat = max(sats)
        t0 = proc_cpu(p.pid) if p is not None else 0
        res[mode]["satcpu"].append((sat_cpu + (t0 - c0) / HZ) / (SAT_REPEATS * SAT_CONNS) * 1e6)
        _, secs, churn_cpu = churn(FIXED_RATE * FIXED_SECS, FIXED_SECS + 5, FIXED_RATE)
        c1 = proc_cpu(p.pid) if p is not None else 0
        res[mode]["sys"].append(min(syscall_ns() for _ in range(3)))  # best of 3: other load only slows it
        counters = stop(p, log)
        res[mode]["sat"].append(sat)
        # CPU of the churn process (its syscalls and the BPF programs that run in its context: on loopback the
        # whole TCP path) plus the tracer process, over the fixed-rate run, in % of one core. Robust against
        # other load on a shared machine, unlike /proc/stat totals.
        res[mode]["cpu"].append((churn_cpu + (c1 - t0) / HZ) / secs * 100.0)
        res[mode]["tcpu"].append((c1 - t0) / HZ / secs * 100.0)  # the tracer process alone, same run
        if counters:
            res[mode]["jcpu"].append((c1 - c0) / HZ * 1000.0 / max(1, counters["decoded"] - before.get("decoded", 0)) * 100000)
            # whole life: JVM start-up, JIT, the warm-up churns and the measured runs, per event decoded by then
            res[mode]["jlife"].append(c1 / HZ * 1000.0 / max(1, counters["decoded"]) * 100000)
            res[mode]["lost"].append(counters["ringBufferFull"])  # whole run: the burst right after start included
            res[mode]["events"].append(counters["decoded"])
        print(f"round {r + 1} {mode:17s} saturation {sat:8.0f} conn/s ({'/'.join(f'{x:.0f}' for x in sats)}), "
              f"{res[mode]['satcpu'][-1]:5.2f} us CPU/conn  host CPU at {FIXED_RATE}/s {res[mode]['cpu'][-1]:6.1f} %"
              + f"  getppid {res[mode]['sys'][-1]:.1f} ns"
              + (f"  lost (whole run) {res[mode]['lost'][-1]}  decoded {counters['decoded']}" if counters else ""), file=sys.stderr)

med = {m: {k: (statistics.median(v) if v else None) for k, v in d.items()} for m, d in res.items()}
base = med["untraced"]
print("load average at the end: " + open("/proc/loadavg").read().strip())
print(f"\n{ROUNDS} rounds, medians. Saturation: best of {SAT_REPEATS} churns of {SAT_CONNS} loopback connections as fast as "
      f"{SAT_CLIENTS} client thread(s) can, and CPU (churn process + tracer) per connection over those; fixed: {FIXED_RATE} conn/s for {FIXED_SECS} s.\n")
print("Tracer process CPU per 100k events: over the measured runs (after the warm-up churns: steady state), and over the "
      "process's whole life (JVM start-up, JIT, warm-up included). Lost: ringBufferFull over the whole run, the warm-up "
      f"burst right after start included. getppid: ns per call of an unrelated loop of {SYSCALLS} getppid() (best of 3).\n")
print("Paired columns: the median over rounds of (this mode / untraced) or (this mode - untraced) in the same round, "
      "which a slow drift of the machine moves less than the ratio or difference of the medians.\n")
print("| mode | churn at saturation (conn/s) | ratio to untraced | ratio, paired | CPU per connection at saturation (us) | ratio untraced/traced | CPU at 10k conn/s: churn + tracer (% of one core) | extra vs untraced | extra, paired | ring buffer lost per round | tracer process CPU per 100k events (steady / whole life) | getppid ns (ratio) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for m in modes:
    d = med[m]
    j = f"{d['jcpu']:.0f} / {d['jlife']:.0f} ms" if d["jcpu"] is not None else "-"
    lost = "/".join(str(x) for x in res[m]["lost"]) if res[m]["lost"] else "-"
    paired = statistics.median(a - b for a, b in zip(res[m]["cpu"], res["untraced"]["cpu"]))
    sat_paired = statistics.median(a / b for a, b in zip(res[m]["sat"], res["untraced"]["sat"]))
    print(f"| {m} | {d['sat']:.0f} | {d['sat'] / base['sat']:.2f} | {sat_paired:.2f} | {d['satcpu']:.2f} | {base['satcpu'] / d['satcpu']:.2f} | {d['cpu']:.1f} | {d['cpu'] - base['cpu']:+.1f} | {paired:+.1f} | {lost} | {j} | {d['sys']:.0f} ({d['sys'] / base['sys']:.2f}) |")

# Kernel side alone: the state program's cost from BPF run-time statistics (bench/bpf_cost.c; reader like
# the Java one), each jar's object, alternated, saturation churns of SAT_CONNS with SAT_CLIENTS clients.
BPF_COST = os.environ.get("BPF_COST")
if BPF_COST and os.environ.get("KERNEL") != "0":  # KERNEL=0: skip (e.g. both jars hold the same object)
    objs = {name: tracer_object(jar, name.replace(" ", "-"))
            for name, jar in ([("before", BEFORE_JAR)] if BEFORE_JAR else []) + [("this build", JAR)]}
    kres = {n: {"ns_per_run": [], "runs_per_conn": [], "ns_per_conn": []} for n in objs}
    for r in range(ROUNDS):
        for name, path in objs.items():
            out = subprocess.run([BPF_COST, path, CHURN, str(SAT_CONNS), "2"], capture_output=True, text=True, check=True,
                                 env=dict(os.environ, CT_MMAP="1", CT_CLIENTS=str(SAT_CLIENTS))).stdout
            for line in out.splitlines():
                d = dict(re.findall(r"(\w+)=([\d.]+)", line))
                for k in kres[name]:
                    kres[name][k].append(float(d[k]))
    print(f"\nKernel side (BPF run-time statistics of ct_state_btf, {2 * ROUNDS} saturation churns of {SAT_CONNS} each, "
          f"{SAT_CLIENTS} client thread(s), medians; "
          "the statistics add their own clock reads to every run):\n")
    print("| object | ns per run | runs per connection | BPF ns per connection |")
    print("|---|---|---|---|")
    for name, d in kres.items():
        print(f"| {name} | {statistics.median(d['ns_per_run']):.0f} | {statistics.median(d['runs_per_conn']):.2f} | {statistics.median(d['ns_per_conn']):.0f} |")
    # The tracer's own CPU at the fixed rate, added up from its parts instead of taken as a difference of two noisy
    # totals: the BPF programs (ns per connection above, statistics on: an upper bound) x the rate, plus the tracer
    # process measured during the fixed-rate run. Leaves out what neither shows (cache effects on the churn).
    print(f"\nExtra CPU at {FIXED_RATE} conn/s from its parts (% of one core): BPF programs (ns per connection x rate) + "
          "the tracer process during the fixed-rate run (median):\n")
    print("| object / mode | BPF | tracer process | sum |")
    print("|---|---|---|---|")
    for name, mode in [("before", "conntrail-before"), ("this build", "conntrail-mmap"), ("this build", "conntrail-exact")]:
        if name in kres and res.get(mode, {}).get("tcpu"):
            bpf = statistics.median(kres[name]["ns_per_conn"]) * FIXED_RATE / 1e9 * 100.0
            proc = statistics.median(res[mode]["tcpu"])
            print(f"| {name} / {mode} | {bpf:.2f} | {proc:.2f} | {bpf + proc:.2f} |")
    print("load average at the end: " + open("/proc/loadavg").read().strip())
