# Sourced by the Java benchmarks' scripts: builds module $1 and what it needs (tests compiled, not run) and sets
# $cp to its test classpath. Run from the repository's root.
bench_test_classpath() {
  local module=$1 cpfile
  cpfile="$(mktemp -t conntrail-bench-cp.XXXXXX)"
  ./mvnw -B -q -pl "$module" -am -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
  cp="$module/target/test-classes:$module/target/classes:$(cat "$cpfile")"
  rm -f "$cpfile"
}
