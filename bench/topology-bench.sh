#!/usr/bin/env bash
# The topology benchmark (BENCHMARKS.md "## Topology"): one KRaft broker in the benchmark's JVM,
# throughput vs a stateless pass-through over the same topic, CLOSE -> CLOSED latency, state size.
#   bench/topology-bench.sh [sockets=200000] [latency-rate=10000] [latency-seconds=20] [open-connections=100000]
# BENCH_MAIN=ProcessorBench bench/topology-bench.sh [sockets=200000] [rounds=12]: the table processor's CPU per event
# without a broker (a TopologyTestDriver on one thread), to compare two builds of the processor.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. bench/test-classpath.sh
bench_test_classpath topology
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $(java -version 2>&1 | head -1); $(date -u +%FT%TZ)"
# G1's default pause goal (200 ms) gave 130-200 ms young pauses in the latency phase (the rows
# live a window and more, so every young collection copies them); 50 ms keeps them under ~80 ms
exec java -Xmx3g -XX:MaxGCPauseMillis=50 ${BENCH_JAVA_OPTS:-} -cp "$cp" dev.conntrail.topology.bench.${BENCH_MAIN:-TopologyBench} "$@"
