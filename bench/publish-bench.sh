#!/usr/bin/env bash
# Producer publish benchmark (not a test): how many TcpEvents per second the agent's publisher (one
# thread, idempotent, acks=all, Avro in the Confluent wire format) gets into an in-JVM broker on
# loopback, for a few producer settings, alternating rounds (producer test class PublishBench).
# Usage: bench/publish-bench.sh [EVENTS_PER_RUN] [ROUNDS]   (defaults 300000, 3). Run under the bench lock:
#   flock /tmp/conntrail-bench.lock bench/publish-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f app/target/conntrail.jar ] || [ ! -d producer/target/test-classes/dev/conntrail/producer/agent/bench ]; then
  echo "building (./mvnw -pl app -am -DskipTests package, and producer test classes) ..." >&2
  ./mvnw -B -q -pl app -am -DskipTests package >&2
  ./mvnw -B -q -pl producer -am -DskipTests test-compile >&2
fi
echo "# $(date -u +%FT%TZ) $(nproc) cpus; load: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx2g ${JAVA_OPTS:-} -cp app/target/conntrail.jar:producer/target/test-classes \
  dev.conntrail.producer.agent.bench.PublishBench "${1:-300000}" "${2:-3}" 2>/dev/null
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
