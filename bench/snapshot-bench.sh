#!/usr/bin/env bash
# Snapshot benchmark (not a test). Sets up NS namespaces, each with one server process and CLIENTS
# client processes holding CONNS_PER_CLIENT loopback connections each (defaults: 50 x (1+8) = 450
# processes, 50 x 8 x 25 = 10,000 connections = 20,000 sockets), then times in one run:
# the BPF iterator fast path, sock_diag + fd walk, the /proc path, Scope's naive per-process walk
# (all in one JVM, bench/../producer test class SnapshotBench), and `ss -tan` / `ss -tanp` run in
# every namespace. Also the CPU per poll of the PROC_POLL fallback. Needs root and python3.
# Everything is bounded (holders exit after 30 min) and removed on exit.
set -euo pipefail
NS=${NS:-50}
CLIENTS=${CLIENTS:-8}
CONNS_PER_CLIENT=${CONNS_PER_CLIENT:-25}
RUNS=${RUNS:-5}
NAIVE_RUNS=${NAIVE_RUNS:-3}
SS_RUNS=${SS_RUNS:-3}
cd "$(dirname "$0")/.."
. bench/holders.sh
trap holders_down EXIT

# CLASSPATH_OVERRIDE: time an already built jar + test classes (e.g. a copy of an older build)
CP=${CLASSPATH_OVERRIDE:-app/target/conntrail.jar:producer/target/test-classes}
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "building (./mvnw -pl app -am -DskipTests clean package) ..." >&2
  ./mvnw -B -q -pl app -am -DskipTests clean package >&2
fi

holders_up "$NS" "$CLIENTS" "$CONNS_PER_CLIENT"
est=$holders_sockets
procs=$(ls -d /proc/[0-9]* | wc -l)
echo "held: $est established sockets in the benchmark namespaces; $procs processes on the host" >&2

echo "# conntrail snapshot benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r)"
echo "# $NS namespaces (+ root), $est established sockets held, $procs processes"
printf '%-26s %10s %10s   %s\n' method median_ms min_ms note
for cp in ${CP//;/ }; do # several classpaths separated by ';': each timed in turn on the same load
  [ "$cp" = "$CP" ] || echo "# classpath $cp"
  java -Xmx2g ${JAVA_OPTS:-} -cp "$cp" \
    dev.conntrail.producer.snapshot.bench.${BENCH_MAIN:-SnapshotBench} "$RUNS" "$NAIVE_RUNS" 2>"${JAVA_STDERR:-/dev/null}"
done
[ "$NAIVE_RUNS" = 0 ] && exit 0 # JAVA_OPTS=-Dmethods=BPF_ITER NAIVE_RUNS=0: profile the Java paths only

# ss in the root namespace and in every named one, as one shell loop; wall and CPU (user+sys) of it
ss_loop_script='for n in "" $(ip netns list | awk "{print \$1}"); do if [ -z "$n" ]; then ss FLAGS >/dev/null; else ip netns exec "$n" ss FLAGS >/dev/null; fi; done'
nns=$(( $(ip netns list | wc -l) + 1 ))
for flags in -tan -tanp; do
  walls=(); cpus=()
  for _ in $(seq 1 "$SS_RUNS"); do
    r=$( { /usr/bin/time -f "%e %U %S" bash -c "${ss_loop_script//FLAGS/$flags}" >/dev/null; } 2>&1 | tail -1)
    read -r e u s <<<"$r"
    walls+=("$(echo "$e*1000" | bc)"); cpus+=("$(echo "($u+$s)*1000" | bc)")
  done
  w=($(printf '%s\n' "${walls[@]}" | sort -n)); c=($(printf '%s\n' "${cpus[@]}" | sort -n))
  printf '%-26s %10.1f %10.1f   %s\n' "ss$flags-every-netns" "${w[$(( ${#w[@]} / 2 ))]}" "${w[0]}" "$nns namespaces, one ss process each (10 ms resolution)"
  printf '%-26s %10.1f %10.1f   %s\n' "  cpu" "${c[$(( ${#c[@]} / 2 ))]}" "${c[0]}" "user+sys of the whole loop"
done
