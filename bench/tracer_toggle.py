"""The tracer's cost at saturation, measured inside one churn (not a test; root; run under the bench lock).

tracer-bench.sh compares separate churns, traced and untraced, and this VM's speed drifts by more than the few per
cent in question between them. Here one warm tracer (`trace --discard --toggle-attach PERIOD`) detaches and
re-attaches its program every PERIOD while one long saturation churn runs and counts its connections every TICK_MS:
each attached period is compared with the detached periods either side of it, a fraction of a second apart.

  python3 bench/tracer_toggle.py CHURN JAR [SECONDS]     (CHURN: a build of bench/churn.c; SECONDS default 60)
  Env: PERIOD (s, default 1), CLIENTS (default 2), TICK_MS (default 100), MARGIN_MS (ticks this close after a
  switch are left out, default 200), WARMUPS (saturation churns of 60,000 before measuring, default 8: the JIT
  settles), TRACER_JAVA_OPTS (default deploy/agent-jvm-opts), CONTROL=1 (no tracer: the same analysis over
  made-up periods, which shows the method's own noise: its ratio should be 1.00), READER=c with BPF_COST=a build of
  bench/bpf_cost.c (the jar's BPF object with bench/bpf_cost.c's minimal C reader instead of the Java tracer),
  RATE=N (a fixed rate instead of saturation, 1 client by default: then the measure is CPU, not rate).
Prints the median and mean of the per-period ratios (attached / mean of the detached neighbours), a 95 % bootstrap
interval of the mean, and the tracer's counters and CPU per event. With RATE: the extra CPU of the attached periods
(churn process, which runs the BPF programs, + tracer process, sampled every 20 ms), in % of one core.
"""
import os, random, re, signal, statistics, subprocess, sys, tempfile, threading, time
from tracer_common import HZ, extract_object, proc_cpu, tracer_jvm_opts, wait_for

CHURN, JAR = sys.argv[1], sys.argv[2]
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 60
PERIOD = float(os.environ.get("PERIOD", "1"))
RATE = int(os.environ.get("RATE", "0"))  # connections/s; 0: saturation
CLIENTS = os.environ.get("CLIENTS", "2" if RATE == 0 else "1")
TICK_MS = int(os.environ.get("TICK_MS", "100"))
MARGIN = int(os.environ.get("MARGIN_MS", "200")) * 1_000_000
WARMUPS = int(os.environ.get("WARMUPS", "8"))
CONTROL = os.environ.get("CONTROL") == "1"
C_READER = os.environ.get("READER") == "c"
def decoded_now():
    """Events decoded so far, from the tracer's latest counters line (trace --discard prints them every second)."""
    found = re.findall(r"decoded=(\d+)", open(log_path, errors="replace").read())
    return int(found[-1]) if found else 0


tracer, log_path = None, None
if not CONTROL:
    log_path = tempfile.mktemp(prefix="ct-toggle-", suffix=".log")
    if C_READER:  # bench/bpf_cost.c hold: this jar's BPF object with a minimal C reader, toggled alike
        # BPF_OBJECT: another object (e.g. bench/floor.bpf.c's)
        obj = os.environ.get("BPF_OBJECT") or extract_object(JAR, log_path + ".bpf.o")
        log = open(log_path, "w")
        tracer = subprocess.Popen([os.environ["BPF_COST"], obj, "hold"], stdout=log, stderr=log,
                                  env=dict(os.environ, CT_MMAP="1", CT_TOGGLE_MS=str(int(PERIOD * 1000))))
    else:
        tracer = subprocess.Popen(["java", *tracer_jvm_opts(), "-jar", JAR, "trace", "--discard", "--duration", f"{SECONDS + 600}s",
                                   "--toggle-attach", f"{int(PERIOD * 1000)}ms"], stdout=subprocess.DEVNULL,
                                  stderr=open(log_path, "w"))
    wait_for(log_path, "tracer attached", tracer)
try:
    for _ in range(WARMUPS):
        subprocess.run([CHURN, "60000", "20", "0", CLIENTS], capture_output=True, check=True)
    print(f"warm-up: {WARMUPS} saturation churns done; measuring {SECONDS} s", file=sys.stderr)
    if tracer:  # start right after a re-attach, so the churn's listener is in the tracer's listener map, as on a host
        seen = open(log_path, errors="replace").read().count(" attached at")
        while open(log_path, errors="replace").read().count(" attached at") == seen:
            time.sleep(0.005)
    c0 = proc_cpu(tracer.pid) / HZ if tracer else 0
    decoded0 = decoded_now() if tracer else 0
    samples, sampling = [], threading.Event()

    def sample():  # the tracer process's CPU on the churn's clock (CLOCK_MONOTONIC), for the fixed-rate figures
        while not sampling.wait(0.02):
            try:
                samples.append((time.monotonic_ns(), sum(int(open(f"/proc/{tracer.pid}/task/{t}/schedstat").read().split()[0])
                                                         for t in os.listdir(f"/proc/{tracer.pid}/task"))))
            except (FileNotFoundError, ProcessLookupError):
                pass
    sampler = threading.Thread(target=sample, daemon=True)
    if tracer:
        sampler.start()
    count = RATE * SECONDS if RATE else 1_000_000_000
    run = subprocess.run([CHURN, str(count), str(SECONDS + 5 if RATE else SECONDS), str(RATE), CLIENTS], capture_output=True, text=True,
                         check=True, env=dict(os.environ, CHURN_TICK_MS=str(TICK_MS)))
    sampling.set()
    c1 = proc_cpu(tracer.pid) / HZ if tracer else 0
finally:
    if tracer:
        tracer.send_signal(signal.SIGTERM)  # not SIGINT: see tracer_bench.py
        tracer.wait(timeout=60)

ticks = [(int(t), int(n)) for t, n, _ in re.findall(r"tick (\d+) (\d+) (\d+)", run.stderr)]
cpu_ticks = [(int(t), int(c)) for t, _, c in re.findall(r"tick (\d+) (\d+) (\d+)", run.stderr)]
if CONTROL:  # made-up switches, the tracer's rhythm
    switches, k = [], 1
    while ticks[0][0] + k * PERIOD * 1e9 < ticks[-1][0] + PERIOD * 1e9:
        switches.append((ticks[0][0] + int(k * PERIOD * 1e9), "attached" if k % 2 == 0 else "detached"))
        k += 1
else:
    text = open(log_path, errors="replace").read()
    switches = [(int(t), s) for s, t in re.findall(r"conntrail trace: (attached|detached) at (\d+)", text)]
    counters = (re.findall(r"TracerCounters\[(.*?)\]", text) or re.findall(r"(records=\d+)", text) or ["none"])[-1]
    os.unlink(log_path)
    if os.path.exists(log_path + ".bpf.o"):
        os.unlink(log_path + ".bpf.o")

WHAT = "control (no tracer, made-up periods)" if CONTROL else "BPF object + C reader" if C_READER else "tracer"


def per_period(series):
    """Mean rate of a (time, cumulative) series over each period, the MARGIN after its switch left out."""
    out = []
    for (t0, st), (t1, _) in zip(switches, switches[1:]):
        rates = [(v1 - v0) / ((b - a) / 1e9) for (a, v0), (b, v1) in zip(series, series[1:]) if a >= t0 + MARGIN and b <= t1]
        out.append((st, statistics.mean(rates) if rates else None))
    return out


def paired(values, combine):
    """combine(attached, mean of the detached neighbours) for each attached period between two detached ones."""
    out = []
    for k in range(1, len(values) - 1):
        (sp, vp), (s_, v), (sn, vn) = values[k - 1], values[k], values[k + 1]
        if s_ == "attached" and sp == sn == "detached" and None not in (vp, v, vn):
            out.append(combine(v, (vp + vn) / 2))
    return out


def interval(xs):
    random.seed(1)
    boot = sorted(statistics.mean(random.choices(xs, k=len(xs))) for _ in range(2000))
    return boot[50], boot[1949]


if RATE:
    churn_cpu = per_period(cpu_ticks)  # ns of CPU per s
    tracer_cpu = per_period(samples) if samples else [(st, 0.0) for st, _ in churn_cpu]
    both = [(st, (c or 0) + (t or 0)) if c is not None else (st, None) for (st, c), (_, t) in zip(churn_cpu, tracer_cpu)]
    extra = [x / 1e9 * 100 for x in paired(both, lambda a, b: a - b)]
    extra_churn = [x / 1e9 * 100 for x in paired(churn_cpu, lambda a, b: a - b)]
    extra_tracer = [x / 1e9 * 100 for x in paired(tracer_cpu, lambda a, b: a - b)]
    if len(extra) < 5:
        raise SystemExit(f"too few attached periods with detached neighbours ({len(extra)}): longer SECONDS?")
    lo, hi = interval(extra)
    print(f"{WHAT}: {RATE} conn/s for {SECONDS} s, {CLIENTS} client(s), period {PERIOD} s, {len(extra)} attached periods between detached ones")
    print(f"  extra CPU while attached, % of one core: mean {statistics.mean(extra):+.2f} (95 % interval {lo:+.2f}..{hi:+.2f}), "
          f"median {statistics.median(extra):+.2f}; of which the churn process (BPF programs included) "
          f"{statistics.mean(extra_churn):+.2f}, the tracer process {statistics.mean(extra_tracer):+.2f}")
    if not CONTROL:
        print(f"  counters over the whole run: {counters}")
    sys.exit(0)

rates = per_period(ticks)  # connections per s
ratios = paired(rates, lambda a, b: a / b)
if len(ratios) < 5:
    raise SystemExit(f"too few attached periods with detached neighbours ({len(ratios)}): longer SECONDS?")
lo, hi = interval(ratios)
on = [r for st, r in rates if st == "attached" and r is not None]
off = [r for st, r in rates if st == "detached" and r is not None]
print(f"{WHAT}: {SECONDS} s churn, {CLIENTS} clients, period {PERIOD} s, {len(ratios)} attached periods between detached ones")
print(f"  rate attached {statistics.mean(on):.0f} conn/s, detached {statistics.mean(off):.0f} conn/s (means of periods)")
print(f"  ratio attached/detached: median {statistics.median(ratios):.3f}, mean {statistics.mean(ratios):.3f}, "
      f"95 % interval of the mean {lo:.3f}..{hi:.3f}")
if not CONTROL:
    found = re.search(r"(?:decoded|records)=(\d+)", counters)  # the C reader's count is its whole run's
    events = (int(found.group(1)) if found else 0) - decoded0
    print(f"  tracer process CPU during the measured churn {c1 - c0:.2f} s for ~{events} events "
          f"(~{(c1 - c0) * 1e9 / max(1, events):.0f} ns per event, the idle detached half included)")
    print(f"  counters over the whole run: {counters}")
