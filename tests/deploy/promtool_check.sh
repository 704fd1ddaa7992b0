#!/usr/bin/env bash
# Every daemon's Prometheus endpoint as the operator test bed scrapes it: weft-mgs, weft-mds,
# weft-oss (two OSTs) and a weft-fuse mount on loopback, a little I/O through the mount, then
# curl each /metrics into `promtool check metrics` (Debian's prometheus package), which must
# find nothing to say: its lint warnings fail the test as errors do.
#   promtool_check.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
build=$2
if ! command -v promtool >/dev/null; then
  echo "FAIL: promtool not found: install Debian's prometheus package (deploy/setup.sh does)"
  exit 1
fi
command -v curl >/dev/null || { echo "FAIL: curl not found (deploy/setup.sh installs it)"; exit 1; }
tmp=$(mktemp -d)
pids=()
mnt=$tmp/mnt
cleanup() {
  if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" || umount -l "$mnt" || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# A loopback TCP port nothing listens on now, below the kernel's ephemeral range (32768 and up
# by default) so that no outgoing connection takes it before the daemon binds it.
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % 22000))
    [ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return; }
  done
}

# wait_log FILE TEXT: waits up to 30 s for TEXT in FILE; fails showing FILE otherwise.
wait_log() {
  for _ in $(seq 300); do
    grep -qF -- "$2" "$1" 2>/dev/null && return
    sleep 0.1
  done
  echo "FAIL: no '$2' in $1:"; cat "$1"; exit 1
}

# The port of the "metrics at http://127.0.0.1:PORT/metrics" line in a log.
metrics_port() { sed -n 's|.*metrics at http://[^:]*:\([0-9]*\)/metrics.*|\1|p' "$1" | head -1; }

# start NAME ARGS...: runs NAME's binary in the background, logging to $tmp/NAME.log.
start() {
  local name=$1 bin
  shift
  bin=$(find "$build/src" -name "$1" -type f -perm -u+x | head -1)
  shift
  "$bin" "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
}

mgs_nid=127.0.0.1:$(free_port)@tcp
start mgs weft-mgs --mgs.fsname weft --mgs.data_dir "$tmp/mgs" --mgs.listen "$mgs_nid" \
  --mgs.default_stripe_count -1 --metrics.port 0
wait_log "$tmp/mgs.log" "serving fsname weft"
mkfs() { "$build/src/tools/weftctl" mkfs "--$1" --fsname weft --index "$2" --mgs "$mgs_nid" "$3" >/dev/null; }
mkfs mdt 0 "$tmp/mdt0"
mkfs ost 0 "$tmp/ost0"
mkfs ost 1 "$tmp/ost1"
start mds weft-mds --mds.target "$tmp/mdt0" --mds.listen "127.0.0.1:$(free_port)@tcp" \
  --metrics.port 0
start oss weft-oss --target "$tmp/ost0" --target "$tmp/ost1" \
  --oss.listen "127.0.0.1:$(free_port)@tcp" --oss.heartbeat_interval_ms 200 --metrics.port 0
wait_log "$tmp/mds.log" "serving weft-MDT0000 on"
wait_log "$tmp/oss.log" "weft-OST0000 registered with the MGS"
wait_log "$tmp/oss.log" "weft-OST0001 registered with the MGS"
endpoints=(mgs mds oss)

if [ "$(id -u)" -eq 0 ] && [ -w /dev/fuse ]; then
  mkdir -p "$mnt"
  start fuse weft-fuse -f -o metrics_port=0,call_timeout_ms=20000 "$mgs_nid:/weft" "$mnt"
  wait_log "$tmp/fuse.log" "mounted at $mnt"
  # The MDS learns of the OSTs from the MGS within a heartbeat or two; until then creates
  # find no space.
  for _ in $(seq 100); do
    dd if=/dev/zero of="$mnt/f" bs=1M count=4 conv=fsync status=none 2>/dev/null && break
    sleep 0.2
  done
  cmp -n 4194304 "$mnt/f" /dev/zero
  mkdir "$mnt/d"
  ls -l "$mnt" >/dev/null
  rm "$mnt/f"
  rmdir "$mnt/d"
  endpoints+=(fuse)
else
  echo "NOTE: not root or no /dev/fuse: the weft-fuse endpoint is not checked"
fi

# check NAME METRIC...: scrape NAME's endpoint, lint it, and find each METRIC in it.
check() {
  local name=$1 port out
  shift
  port=$(metrics_port "$tmp/$name.log")
  [ -n "$port" ] || { echo "FAIL: $name logged no metrics port:"; cat "$tmp/$name.log"; exit 1; }
  curl -sSf "http://127.0.0.1:$port/metrics" >"$tmp/$name.prom"
  if ! out=$(promtool check metrics <"$tmp/$name.prom" 2>&1); then
    echo "FAIL: promtool check metrics on $name's endpoint (127.0.0.1:$port):"
    echo "$out"
    exit 1
  fi
  for m in "$@"; do
    grep -q "^$m[ {]" "$tmp/$name.prom" || { echo "FAIL: $name serves no $m"; exit 1; }
  done
  echo "$name: $(grep -vc '^#' "$tmp/$name.prom") samples, promtool clean"
}
check mgs weft_mgs_targets weft_rpc_server_requests_total
check mds weft_mdt_capacity_bytes weft_mdt_bytes_free weft_mdt_bytes_used weft_mdt_files_used \
  weft_mdt_files_free weft_rpc_connected_peers
check oss weft_oss_capacity_bytes weft_oss_bytes_free weft_oss_bytes_used weft_oss_files_used \
  weft_oss_files_free weft_oss_objects weft_rpc_connected_peers
if [[ " ${endpoints[*]} " == *" fuse "* ]]; then
  check fuse weft_client_read_ops_total weft_client_write_ops_total weft_client_read_bytes_total \
    weft_client_write_bytes_total weft_client_read_latency_seconds_count \
    weft_client_write_latency_seconds_count weft_client_metadata_ops_total weft_client_errors_total
  written=$(sed -n 's/^weft_client_write_bytes_total \([0-9]*\)$/\1/p' "$tmp/fuse.prom")
  [ "${written:-0}" -ge 4194304 ] || { echo "FAIL: the mount counted $written bytes written"; exit 1; }
fi
echo "every endpoint passes promtool check metrics"
