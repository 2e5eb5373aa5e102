#!/usr/bin/env bash
# The serde benchmark (BENCHMARKS.md "## Serde"): JMH over the Confluent-wire-format serializer and deserializer
# (bench/serde, built only with -Pbench). Arguments go to JMH; with none, the run BENCHMARKS.md quotes.
#   bench/serde-bench.sh                    # every benchmark, average time
#   bench/serde-bench.sh ".*encode.*"       # a subset (a JMH regex), then JMH options if any
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./mvnw -B -q -Pbench -pl bench/serde -am -DskipTests package >&2
echo "$(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1); load average $(cut -d" " -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
if [ $# -eq 0 ]; then
  set -- -f 1 -wi 2 -i 5 -w 2s -r 2s
fi
exec java -jar bench/serde/target/serde-benchmarks.jar "$@"
