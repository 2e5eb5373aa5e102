#!/usr/bin/env bash
# The fleet benchmark: simulated hosts (each an agent: epoch, seq, snapshot, heartbeats, churn, NAT,
# hosts that vanish and return) through the real topology, with the testkit's KRaft broker and
# Apicurio registry, all in one JVM (topology test class dev.conntrail.topology.fleet.FleetBench).
# Prints progress once a second, then a table; exits 1 when the table did not come to what the
# simulator's model says.
#   bench/fleet-bench.sh [--hosts 1000] [--snapshot 100] [--churn 1] [--churn-for 120s] [--rate 20000] [--instances 1] ...  (--help: all)
#   a ramp, with a profile of the stream threads per step: --churn-steps 2,4,8,16 --churn-for 120s --jfr /tmp/fleet.jfr
# Run under the bench lock when the figures matter: flock /tmp/conntrail-bench.lock bench/fleet-bench.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. bench/test-classpath.sh
bench_test_classpath topology
echo "$(uname -r); load average at start: $(cut -d" " -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
# the log on stderr: warnings and errors, and the restores' per-task lines (task, rows, records, ms);
# the topology's recommended pause goal (docs/design.md, "Operating it")
java -Xmx3g -XX:MaxGCPauseMillis=50 ${BENCH_JAVA_OPTS:-} -cp "$cp" dev.conntrail.topology.fleet.FleetBench "$@" \
  2> >(awk '!/ (INFO|DEBUG) / || /restored [0-9]+ rows from/ { print; fflush() }' >&2)
