#!/usr/bin/env bash
# Tracer overhead benchmark (not a test): alternating rounds of loopback connect/accept/close churn
# untraced, with conntrail's tracer (events decoded in Java, discarded; mmap reader and libbpf's
# ring_buffer__poll reader only with LIBBPF=1; exact accept-pid mode) and with an equivalent bpftrace script
# printing each event; and two bounds: an empty program on the same hook (kernel-floor) and this build's BPF
# object with a minimal C reader (kernel+c-reader, bench/bpf_cost.c hold). Every mode also times an unrelated getppid() loop (the syscall tax of exact mode).
# Prerequisites (root): clang-14, bpftrace (apt-get install -y bpftrace), python3, the app jar.
# Separate churns a minute apart cannot resolve a few per cent on a VM whose speed drifts: for the saturation ratio,
# bench/tracer_toggle.py (one churn, the tracer detached and re-attached every second) is the precise measurement.
# Usage: bench/tracer-bench.sh [ROUNDS]   (default 3; each round ~60 s)
#   Env: SAT_CLIENTS=2 (both cores busy in the saturation churns; default 1 client + 1 acceptor), SAT_CONNS
#   (connections per saturation churn, default 20000), SAT_REPEATS (churns per round, best counts; default 3),
#   MODES=a,b (a subset of the modes; untraced always runs), SAT_WARMUPS (unmeasured saturation churns after each
#   tracer starts, default 5: the JIT settles), TRACER_JAVA_OPTS / BEFORE_JAVA_OPTS (the tracer JVM's options; default
#   deploy/agent-jvm-opts), KERNEL=0 (skip the kernel-side section).
#   BEFORE_JAR=/path/to/older/conntrail.jar adds mode conntrail-before (that build's tracer, same
#   rounds), for before/after comparisons in one run.
# After the rounds: the kernel side alone (bench/bpf_cost.c: the state program's ns per run and runs
# per connection from BPF run-time statistics, saturation churn), each jar's object, alternated.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "tracer-bench: needs root" >&2; exit 1; }
command -v bpftrace >/dev/null || apt-get install -y -q bpftrace >/dev/null
command -v clang-14 >/dev/null || { echo "tracer-bench: needs clang-14 (apt-get install -y clang-14)" >&2; exit 1; }
[ -f "$root/app/target/conntrail.jar" ] || (cd "$root" && ./mvnw -B -q -DskipTests package)
work="$(mktemp -d -t ct-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
clang-14 -O2 -pthread -o "$work/churn" "$root/bench/churn.c"
clang-14 -O2 -pthread -o "$work/bpf_cost" "$root/bench/bpf_cost.c" -lbpf
make -s -C "$root/bpf" object SOURCE="$root/bench/floor.bpf.c" OBJECT="$work/floor.bpf.o"
BPF_COST="$work/bpf_cost" WORK="$work" python3 "$root/bench/tracer_bench.py" "$work/churn" "$root/app/target/conntrail.jar" "${1:-3}"
