#!/usr/bin/env bash
# The table processor's CPU per input event without a broker (BENCHMARKS.md "## Topology", "The processor alone"):
# the topology in a TopologyTestDriver on one thread, fed TopologyBench's throughput input, already serialized.
#   bench/processor-bench.sh [sockets=200000] [rounds=12]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. bench/test-classpath.sh
bench_test_classpath topology
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $(java -version 2>&1 | head -1); $(date -u +%FT%TZ)"
exec java -Xmx3g -XX:MaxGCPauseMillis=50 ${BENCH_JAVA_OPTS:-} -cp "$cp" dev.conntrail.topology.bench.ProcessorBench "$@"
