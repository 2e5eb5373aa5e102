#!/usr/bin/env bash
# A tracer started right before a burst (diagnostic): starts `conntrail trace --discard`, and as soon as it
# is attached runs 3 saturation churns of 20,000 loopback connections (240,000 events); prints the tracer's
# events and ringBufferFull. Root; run under the bench lock.  bench/tracer-burst.sh CHURN JAR [trace options]
set -euo pipefail
churn=$1 jar=$2; shift 2
err="$(mktemp -t ct-burst.XXXXXX)"
trap 'rm -f "$err"' EXIT
java -jar "$jar" trace --discard --duration 7s "$@" > /dev/null 2> "$err" &
pid=$!
until grep -q "tracer attached" "$err"; do sleep 0.05; done
for _ in 1 2 3; do "$churn" 20000 20 > /dev/null; done
wait "$pid"
tail -1 "$err" | grep -o "events=[0-9]*, ringBufferFull=[0-9]*"
