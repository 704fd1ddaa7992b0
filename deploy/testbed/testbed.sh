#!/usr/bin/env bash
# The multi-host test bed on one machine: every Weft daemon and every client in a network
# namespace of its own, joined by veth pairs to a bridge, so that tests can kill, restart and
# cut off a server as on a real cluster.
#
#   testbed.sh up                 namespaces, bridge, addresses (198.18.0.0/24)
#   testbed.sh start              format the targets (first time) and start every daemon
#   testbed.sh mount CLIENT [-o OPTS]   mount the file system in CLIENT's namespace at
#                                 $TB_DATA/mnt/CLIENT (visible from the host); waits for it
#   testbed.sh umount CLIENT
#   testbed.sh kill HOST [SIGNAL] stop HOST's daemon (default SIGKILL) and wait until it is gone
#   testbed.sh restart HOST       start HOST's daemon again (after kill)
#   testbed.sh cut HOST / heal HOST   take HOST's link to the bridge down / up again
#   testbed.sh exec HOST CMD...   run CMD in HOST's namespace (mounts as on the host)
#   testbed.sh wait-up [N]        wait until the MGS reports N targets up (default all)
#   testbed.sh down               unmount, stop everything, delete the namespaces (also
#                                 after a failed run; safe to run twice)
#   testbed.sh status             what runs where
#   testbed.sh addr HOST          HOST's address
#
# Hosts: mgs 198.18.0.1, mds 198.18.0.2, oss1..oss4 198.18.0.11-14 (one OST each),
# client1 198.18.0.21, client2 198.18.0.22. The bridge lives in a namespace of its own
# (wtb-net), so no test bed traffic reaches the host's own interfaces or leaves the machine.
#
# Environment:
#   WEFT_BUILD      build directory with src/mgs/weft-mgs etc. (default build/release)
#   TB_DATA         targets, logs, pid files and mount points (default /var/tmp/weft-testbed)
#   TB_OST_SIZE     if set (e.g. 64m), each OST lives on a tmpfs of that size (full-OST tests)
#   TB_MGS_ARGS     extra flags for weft-mgs (e.g. --mgs.default_stripe_count 2)
# Metrics: every daemon serves /metrics on its own address, port 9100; a client mounted with
# -o metrics_port=9100 serves its own on the client's address.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${WEFT_BUILD:-$top/build/release}
data=${TB_DATA:-/var/tmp/weft-testbed}
fsname=weft
prefix=wtb
bridge_ns=$prefix-net
net=198.18.0
metrics_port=9100
hosts=(mgs mds oss1 oss2 oss3 oss4 client1 client2)
servers=(mgs mds oss1 oss2 oss3 oss4)
clients=(client1 client2)

log() { echo "testbed: $*" >&2; }
die() { echo "testbed: error: $*" >&2; exit 1; }

addr_of() {
  case $1 in
    mgs) echo $net.1 ;;
    mds) echo $net.2 ;;
    oss[1-4]) echo $net.$((10 + ${1#oss})) ;;
    client[1-2]) echo $net.$((20 + ${1#client})) ;;
    *) die "unknown host '$1' (hosts: ${hosts[*]})" ;;
  esac
}
ns_of() { addr_of "$1" >/dev/null && echo "$prefix-$1"; }
mgs_nid() { echo "$(addr_of mgs):9880@tcp"; }
bin() {
  local b
  b=$(find "$build/src" -name "$1" -type f -perm -u+x 2>/dev/null | head -1)
  [ -n "$b" ] || die "$1 not found under $build/src (build first, or set WEFT_BUILD)"
  echo "$b"
}
pidfile() { echo "$data/run/$1.pid"; }
running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }

# ---- the network ----

up() {
  command -v ip >/dev/null || die "ip (iproute2) is missing: apt-get install iproute2"
  if ip netns list | grep -qw "$bridge_ns"; then log "network already up"; return; fi
  ip netns add "$bridge_ns"
  ip -n "$bridge_ns" link set lo up
  ip -n "$bridge_ns" link add br0 type bridge forward_delay 0 stp_state 0  # ports forward at once
  ip -n "$bridge_ns" link set br0 up
  local h ns
  for h in "${hosts[@]}"; do
    ns=$(ns_of "$h")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # The pair is made in the host's namespace, then each end moved to where it belongs.
    ip link add "$prefix-$h" type veth peer name "$prefix-$h-p"
    ip link set "$prefix-$h" netns "$bridge_ns"
    ip link set "$prefix-$h-p" netns "$ns"
    ip -n "$ns" link set "$prefix-$h-p" name eth0
    ip -n "$ns" addr add "$(addr_of "$h")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$bridge_ns" link set "$prefix-$h" master br0
    ip -n "$bridge_ns" link set "$prefix-$h" up
  done
  log "network up: ${hosts[*]} on $net.0/24 (bridge in namespace $bridge_ns)"
}

cut() { ip -n "$bridge_ns" link set "$prefix-$1" down && log "$1 cut off"; }
heal() { ip -n "$bridge_ns" link set "$prefix-$1" up && log "$1 reconnected"; }

# ---- the daemons ----

mkfs() {  # mkfs TYPE INDEX DIR
  [ -f "$3/weft-label" ] && return
  "$(bin weftctl)" mkfs "--$1" --fsname "$fsname" --index "$2" --mgs "$(mgs_nid)" "$3" >/dev/null
}

format() {
  mkdir -p "$data/run" "$data/log" "$data/mgs" "$data/mnt"
  mkfs mdt 0 "$data/mdt0"
  local i
  for i in 1 2 3 4; do
    if [ -n "${TB_OST_SIZE:-}" ] && ! mountpoint -q "$data/ost$i"; then
      mkdir -p "$data/ost$i"
      mount -t tmpfs -o "size=$TB_OST_SIZE" "weft-testbed-ost$i" "$data/ost$i"
    fi
    mkfs ost $((i - 1)) "$data/ost$i"
  done
}

args_of() {  # the daemon and its flags for HOST
  local a
  a=$(addr_of "$1")
  case $1 in
    mgs)
      echo "$(bin weft-mgs) --mgs.fsname $fsname --mgs.data_dir $data/mgs --mgs.listen $a:9880@tcp" \
        "--mgs.target_down_after_ms 10000 --mgs.default_stripe_count -1" \
        "--metrics.address $a --metrics.port $metrics_port ${TB_MGS_ARGS:-}" ;;
    mds)
      echo "$(bin weft-mds) --mds.target $data/mdt0 --mds.listen $a:9890@tcp" \
        "--metrics.address $a --metrics.port $metrics_port" ;;
    oss*)
      echo "$(bin weft-oss) --target $data/ost${1#oss} --oss.listen $a:9900@tcp" \
        "--metrics.address $a --metrics.port $metrics_port" ;;
    *) die "$1 runs no daemon" ;;
  esac
}

start_one() {
  local h=$1
  if running "$h"; then log "$h already running (pid $(cat "$(pidfile "$h")"))"; return; fi
  # shellcheck disable=SC2046
  ip netns exec "$(ns_of "$h")" $(args_of "$h") >>"$data/log/$h.log" 2>&1 &
  echo $! >"$(pidfile "$h")"
  log "$h started (pid $!, log $data/log/$h.log)"
}

start() {
  up
  format
  local h
  for h in "${servers[@]}"; do start_one "$h"; done
  wait_up
}

kill_one() {  # kill_one HOST [SIGNAL]
  local h=$1 sig=${2:-KILL} pid
  running "$h" || { log "$h is not running"; return 0; }
  pid=$(cat "$(pidfile "$h")")
  kill "-$sig" "$pid"
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && die "$h (pid $pid) did not stop after SIG$sig"
  rm -f "$(pidfile "$h")"
  log "$h stopped (SIG$sig)"
}

wait_up() {  # wait_up [N]: the MGS reports N targets up (default: the MDT and four OSTs)
  local want=${1:-5} n=0
  for _ in $(seq 120); do
    n=$(ip netns exec "$(ns_of client1)" "$(bin weftctl)" status --mgs "$(mgs_nid)" --timeout 2 \
      2>/dev/null | grep -c ' UP ' || true)
    [ "$n" -ge "$want" ] && { log "$n targets up"; return 0; }
    sleep 0.5
  done
  die "only $n of $want targets came up in 60 s; see $data/log/"
}

# ---- the clients ----

mnt_of() { echo "$data/mnt/$1"; }

mount_client() {  # mount_client CLIENT [-o OPTS]
  local c=$1 opts=""
  shift
  [ "${1:-}" = -o ] && opts=$2
  local m
  m=$(mnt_of "$c")
  mkdir -p "$m"
  if mountpoint -q "$m"; then log "$c: $m already mounted"; return; fi
  # nsenter --net joins only the client's network namespace: the mount itself is made in the
  # host's mount namespace, where tests reach it.
  nsenter --net="/run/netns/$(ns_of "$c")" "$(bin weft-fuse)" \
    -o "call_timeout_ms=120000${opts:+,$opts}" "$(mgs_nid):/$fsname" "$m" \
    || die "mounting $c failed; see syslog (journalctl -t weft-fuse) or run weft-fuse -f by hand"
  log "$c: mounted $(mgs_nid):/$fsname at $m"
}

umount_client() {
  local m
  m=$(mnt_of "$1")
  if mountpoint -q "$m"; then
    umount "$m" 2>/dev/null || umount -l "$m"
    log "$1: unmounted $m"
  fi
}

# ---- tearing down ----

down() {
  local h m
  for h in "${clients[@]}"; do
    m=$(mnt_of "$h")
    mountpoint -q "$m" 2>/dev/null && { umount "$m" 2>/dev/null || umount -l "$m" || true; }
  done
  for h in oss1 oss2 oss3 oss4 mds mgs; do
    if running "$h"; then
      kill -TERM "$(cat "$(pidfile "$h")")" 2>/dev/null || true
    fi
  done
  for h in oss1 oss2 oss3 oss4 mds mgs; do
    if running "$h"; then
      for _ in $(seq 50); do running "$h" || break; sleep 0.1; done
      running "$h" && kill -KILL "$(cat "$(pidfile "$h")")" 2>/dev/null
    fi
    rm -f "$(pidfile "$h")"
  done
  # Whatever still runs inside a namespace of ours (a client's weft-fuse, a stray tool).
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
  done
  local i
  for i in 1 2 3 4; do
    mountpoint -q "$data/ost$i" 2>/dev/null && umount "$data/ost$i" || true
  done
  log "down"
}

status() {
  local h
  for h in "${servers[@]}"; do
    if running "$h"; then echo "$h $(addr_of "$h") running pid $(cat "$(pidfile "$h")")"
    else echo "$h $(addr_of "$h") stopped"; fi
  done
  for h in "${clients[@]}"; do
    if mountpoint -q "$(mnt_of "$h")" 2>/dev/null; then echo "$h $(addr_of "$h") mounted at $(mnt_of "$h")"
    else echo "$h $(addr_of "$h") not mounted"; fi
  done
}

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "the test bed needs root (network namespaces, mounts)"
cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case $cmd in
  up) up ;;
  start) start ;;
  mount) [ $# -ge 1 ] || usage; mount_client "$@" ;;
  umount) [ $# -eq 1 ] || usage; umount_client "$1" ;;
  kill) [ $# -ge 1 ] || usage; kill_one "$@" ;;
  restart) [ $# -eq 1 ] || usage; start_one "$1" ;;
  cut) [ $# -eq 1 ] || usage; addr_of "$1" >/dev/null; cut "$1" ;;
  heal) [ $# -eq 1 ] || usage; addr_of "$1" >/dev/null; heal "$1" ;;
  exec) [ $# -ge 2 ] || usage; h=$1; shift; exec ip netns exec "$(ns_of "$h")" "$@" ;;
  wait-up) wait_up "$@" ;;
  down) down ;;
  status) status ;;
  addr) [ $# -eq 1 ] || usage; addr_of "$1" ;;
  -h|--help|help) usage ;;
  *) echo "testbed: unknown command '$cmd'" >&2; usage ;;
esac
