#!/usr/bin/env bash
# Agent memory benchmark (BENCHMARKS.md "## Producer memory"): the agent's resident memory with many open
# connections on the host. Sets up NS namespaces, each with one server and CLIENTS client processes holding
# CONNS_PER_CLIENT loopback connections each (defaults 50 x 10 x 200 = 100,000 connections = 200,000 sockets),
# then runs the agent (its own JVM, deploy/agent-jvm-opts, eBPF) against an in-JVM broker and samples its VmRSS
# until WATCH seconds after its start-up snapshot (producer test class AgentRssBench). Needs root and python3.
# Everything is bounded (holders exit after 30 min, the snapshot must come within 10 min) and removed on exit.
#   flock /tmp/conntrail-bench.lock bench/agent-rss-bench.sh     (NMT=1: also where the memory goes, by the JVM's NMT;
#   JVM_OPTS_FILE=path: other agent JVM options than deploy/agent-jvm-opts, to compare)
set -euo pipefail
NS=${NS:-50}
CLIENTS=${CLIENTS:-10}
CONNS_PER_CLIENT=${CONNS_PER_CLIENT:-200}
WATCH=${WATCH:-30}
JVM_OPTS_FILE=${JVM_OPTS_FILE:-deploy/agent-jvm-opts}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, eBPF)" >&2; exit 1; }
. bench/test-classpath.sh
. bench/holders.sh
trap holders_down EXIT
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "building (./mvnw -pl app -am -DskipTests package) ..." >&2
  ./mvnw -B -q -pl app -am -DskipTests package >&2
fi
bench_test_classpath producer
holders_up "$NS" "$CLIENTS" "$CONNS_PER_CLIENT"
echo "# conntrail agent memory — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $NS namespaces, $holders_sockets established sockets held; agent JVM options: $(cat "$JVM_OPTS_FILE")${MALLOC_ARENA_MAX:+, MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}"
java -Xmx2g -cp "$cp" dev.conntrail.producer.agent.bench.AgentRssBench app/target/conntrail.jar "$JVM_OPTS_FILE" "$WATCH"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
