"""Per-thread CPU of the tracer process at a fixed 10,000 connections/s (diagnostic, not part of the table):
where the Java side's time goes. Root; run under the bench lock.
  python3 bench/tracer_threads.py CHURN JAR [trace options | -XX:JVM-flags ...]
CHURN: a build of bench/churn.c. JVM options: the agent's (deploy/agent-jvm-opts), or TRACER_JAVA_OPTS when set,
then any -X flags given. Env: SATWARM=N adds N saturation churns (2 clients), LONGWARM=S adds S seconds at 10k conn/s before measuring (a warmer JVM);
PERF=1 records a perf profile of the tracer process over the measured 10 s (perf.data in the current directory;
JIT frames are named through -XX:+DumpPerfMapAtExit). Prints the measured window's CPU per thread (schedstat)
and voluntary context switches (reader wake-ups), and the tracer's counters."""
import os, re, signal, subprocess, sys, tempfile, time
from tracer_common import tracer_jvm_opts, wait_for

CHURN, JAR, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
log_path = tempfile.mktemp(prefix="ct-threads-", suffix=".log")
log = open(log_path, "w")
p = subprocess.Popen(["java", *tracer_jvm_opts(), "-XX:+UnlockDiagnosticVMOptions", "-XX:+DumpPerfMapAtExit", *[a for a in extra if a.startswith("-X")],
                      "-jar", JAR, "trace", "--discard", "--duration", "300s", *[a for a in extra if not a.startswith("-X")]],
                     stdout=subprocess.DEVNULL, stderr=log)
wait_for(log_path, "tracer attached", p)


def threads():
    d = {}
    for t in os.listdir(f"/proc/{p.pid}/task"):
        try:
            s = open(f"/proc/{p.pid}/task/{t}/stat").read()
            vol = int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", open(f"/proc/{p.pid}/task/{t}/status").read()).group(1))
            d[t] = (s[s.index("(") + 1:s.rindex(")")], int(open(f"/proc/{p.pid}/task/{t}/schedstat").read().split()[0]), vol)
        except FileNotFoundError:
            pass
    return d


for _ in range(2):
    subprocess.run([CHURN, "20000", "20"], capture_output=True)  # warm-up, as in tracer_bench.py
for _ in range(int(os.environ.get("SATWARM", "0"))):  # SATWARM=N: N saturation churns first (the JIT settles after ~4)
    subprocess.run([CHURN, "60000", "20", "0", "2"], capture_output=True)
if os.environ.get("LONGWARM"):
    subprocess.run([CHURN, str(10000 * int(os.environ["LONGWARM"])), "600", "10000"], capture_output=True)
time.sleep(1)
a = threads()
perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "10000", "-g", "-p", str(p.pid), "-o", "perf.data"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if os.environ.get("PERF") else None
# CHURN_ARGS: the measured churn (default 100,000 connections at 10,000/s; e.g. "180000 20 0 2" for saturation)
out = subprocess.run([CHURN, *os.environ.get("CHURN_ARGS", "100000 15 10000").split()], capture_output=True, text=True).stdout.strip()
if perf:
    perf.send_signal(signal.SIGINT)
    perf.wait()
b = threads()
rows = sorted(((ns - a.get(t, (n, 0, 0))[1], n, v - a.get(t, (n, 0, 0))[2]) for t, (n, ns, v) in b.items()), reverse=True)
print(out, " tracer process CPU in the window: %.0f ms" % (sum(r[0] for r in rows) / 1e6))
for ns, name, vol in rows:
    if ns or vol:
        print(f"{name:28s} cpu {ns / 1e6:6.0f} ms  voluntary switches {vol}")
p.send_signal(signal.SIGTERM)
p.wait()
print(re.findall(r"TracerCounters\[.*?\]", open(log_path).read())[-1])
os.unlink(log_path)
