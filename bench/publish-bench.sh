#!/usr/bin/env bash
# Producer publish benchmark (BENCHMARKS.md "## Producer publish"): the agent's publish path (ring record
# decoded, published, acked) side by side with Kafka's own kafka-producer-perf-test on the same in-JVM
# broker, rounds alternating (producer test class PublishBench).
# Usage: bench/publish-bench.sh [RECORDS_PER_RUN] [ROUNDS]   (defaults 300000, 3). Run under the bench lock:
#   flock /tmp/conntrail-bench.lock bench/publish-bench.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. bench/test-classpath.sh
bench_test_classpath producer
echo "# $(date -u +%FT%TZ) $(nproc) cpus, $(uname -r), $(java -version 2>&1 | head -1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx2g ${JAVA_OPTS:-} -cp "$cp" dev.conntrail.producer.agent.bench.PublishBench "${1:-300000}" "${2:-3}" 2>/dev/null
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
