#!/usr/bin/env bash
# The RPC layer beside its ceiling, libfabric's own fi_pingpong on the same provider, measured
# alternately in one sitting so that the ratios hold on a noisy machine.
#
#   bench/rpc_ceiling.sh [BUILD_DIR] [RUNS]      (default build/release, 5 runs)
#
# Prints, per run, fi_pingpong's one-way latency (64 B) and bandwidth (1 MiB), and rpc_bench's
# round trip (64 B, one call in flight) and bulk write/read (1 MiB, 16 in flight); then medians.
set -euo pipefail
build=${1:-build/release}
runs=${2:-5}
bench=$build/bench/rpc_bench
[ -x "$bench" ] || { echo "no $bench: build first (cmake --build $build)" >&2; exit 2; }
command -v fi_pingpong >/dev/null || { echo "fi_pingpong missing: apt-get install libfabric-bin" >&2; exit 2; }
port=$((40000 + $$ % 10000))

pingpong() {  # SIZE ITERS -> "usec/xfer MB/s"
  fi_pingpong -p "tcp;ofi_rxm" -e rdm -B "$port" -S "$1" -I "$2" >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  fi_pingpong -p "tcp;ofi_rxm" -e rdm -P "$port" -S "$1" -I "$2" 127.0.0.1 2>/dev/null |
    awk '$1 ~ /^[0-9]/ {print $7, $6}'
  wait $srv 2>/dev/null || true
}

rpc() {  # MODE SIZE -> the median line's fields
  "$bench" --mode "$1" --size "$2" --runs 1 --seconds 2 | awk '/^median/ {print $0}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a pp_lat pp_bw rpc_lat rpc_w rpc_r
for i in $(seq "$runs"); do
  read -r lat _ < <(pingpong 64 20000)
  read -r _ bw < <(pingpong 1048576 2000)
  l=$(rpc latency 64 | awk '{for(i=1;i<=NF;i++) if ($i=="p50") print $(i+1)}')
  w=$(rpc write 1048576 | awk '{for(i=1;i<=NF;i++) if ($i=="MB/s") print $(i-1)}')
  r=$(rpc read 1048576 | awk '{for(i=1;i<=NF;i++) if ($i=="MB/s") print $(i-1)}')
  printf 'run %d: fi_pingpong 64B %s us one-way, 1MiB %s MB/s | rpc 64B %s us round trip, 1MiB write %s MB/s, read %s MB/s\n' \
    "$i" "$lat" "$bw" "$l" "$w" "$r"
  pp_lat+=("$lat"); pp_bw+=("$bw"); rpc_lat+=("$l"); rpc_w+=("$w"); rpc_r+=("$r")
done
m() { printf '%s\n' "$@" | median; }
PL=$(m "${pp_lat[@]}"); PB=$(m "${pp_bw[@]}"); RL=$(m "${rpc_lat[@]}"); RW=$(m "${rpc_w[@]}"); RR=$(m "${rpc_r[@]}")
echo "median: fi_pingpong 64B ${PL} us one-way (${PL}x2 round trip), 1MiB ${PB} MB/s"
echo "median: rpc 64B ${RL} us round trip, 1MiB write ${RW} MB/s, read ${RR} MB/s"
awk -v pl="$PL" -v pb="$PB" -v rl="$RL" -v rw="$RW" -v rr="$RR" 'BEGIN {
  printf "ratio: rpc round trip / pingpong round trip = %.2f; rpc write / pingpong = %.2f; rpc read / pingpong = %.2f\n",
    rl / (2 * pl), rw / pb, rr / pb }'
