# Sourced by the benchmarks that need many held loopback connections (snapshot-bench.sh, agent-rss-bench.sh).
#   holders_up NS CLIENTS CONNS_PER_CLIENT   NS new network namespaces, each with one server process and CLIENTS
#                                            client processes holding CONNS_PER_CLIENT connections each to it
#                                            (bench/snapshot-holders.py); returns once all are established
#   holders_down                             kills them and deletes the namespaces (call it from an EXIT trap)
# Sets holders_sockets: the established sockets counted in those namespaces (from /proc/net/tcp{,6}: ss would ask
# sock_diag, which generates every socket's cookie, and so hide the cost of a first snapshot).
holder_names=()
holder_pids=()
holders_tmp=""
holders_sockets=0

holders_up() {
  local ns=$1 clients=$2 per=$3 tag i n
  tag=$(printf '%05x' $((RANDOM * 32 + RANDOM % 32)))
  holders_tmp=$(mktemp -d /tmp/ct-holders-XXXX)
  # each server holds clients x per accepted sockets
  ulimit -n $(( clients * per + 1024 > 4096 ? clients * per + 1024 : 4096 ))
  echo "setting up $ns namespaces x $((clients + 1)) processes x $((clients * per)) connections ..." >&2
  for i in $(seq 1 "$ns"); do
    n="ctb-$tag-$i"
    ip netns add "$n"
    holder_names+=("$n")
    ip -n "$n" link set lo up
    ip netns exec "$n" python3 bench/snapshot-holders.py 5000 "$clients" "$per" >"$holders_tmp/$i.out" 2>&1 &
    holder_pids+=($!)
  done
  for i in $(seq 1 "$ns"); do
    for _ in $(seq 1 1200); do grep -q . "$holders_tmp/$i.out" && break; sleep 0.1; done
    grep -q ready "$holders_tmp/$i.out" || { echo "namespace $i not ready: $(cat "$holders_tmp/$i.out")" >&2; return 1; }
  done
  holders_sockets=0
  for n in "${holder_names[@]}"; do
    holders_sockets=$((holders_sockets + $(ip netns exec "$n" awk 'FNR > 1 && $4 == "01"' /proc/net/tcp /proc/net/tcp6 | wc -l)))
  done
}

holders_down() {
  local p n
  for p in "${holder_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in "${holder_names[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  [ -n "$holders_tmp" ] && rm -rf "$holders_tmp"
  return 0
}
