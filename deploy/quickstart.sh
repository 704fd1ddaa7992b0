#!/usr/bin/env bash
# The quickstart: installs what is missing, builds, formats and starts a single-node Weft on
# loopback (the management server, one metadata target and four object storage targets),
# mounts it at $WEFT_MOUNT (default /mnt/weft) and shows `weft df -h` and a few seconds of fio
# through the mount.
#
#   deploy/quickstart.sh         start (a second run reuses the build, the targets, the
#                                daemons that still run and the mount)
#   deploy/quickstart.sh stop    unmount and stop every daemon it started
#
# Data and logs go under $WEFT_DATA (default /var/lib/weft-quickstart). mount.weft is linked
# into /sbin (as `cmake --install` does) so that `mount -t weft` works.
set -euo pipefail
# Paths given relative to where the script was started from, made absolute before the cd
# (mount.weft is linked to the build's weft-fuse).
[ -n "${WEFT_BUILD:-}" ] && WEFT_BUILD=$(realpath -m "$WEFT_BUILD")
[ -n "${WEFT_DATA:-}" ] && WEFT_DATA=$(realpath -m "$WEFT_DATA")
cd "$(dirname "$0")/.."
top=$(pwd)
data=${WEFT_DATA:-/var/lib/weft-quickstart}
build=${WEFT_BUILD:-$top/build/release}
fsname=${WEFT_FSNAME:-weft}
mgs_nid=127.0.0.1:9880@tcp
mds_nid=127.0.0.1:9890@tcp
oss_nid=127.0.0.1:9900@tcp
osts=4
mnt=${WEFT_MOUNT:-/mnt/weft}
daemons=(weft-oss weft-mds weft-mgs)  # in stopping order

running() { [ -f "$data/run/$1.pid" ] && kill -0 "$(cat "$data/run/$1.pid")" 2>/dev/null; }

stop() {
  if mountpoint -q "$mnt" 2>/dev/null; then
    umount "$mnt" && echo "quickstart: $mnt unmounted"
  fi
  for d in "${daemons[@]}"; do
    if running "$d"; then
      kill "$(cat "$data/run/$d.pid")"
      for _ in $(seq 50); do running "$d" || break; sleep 0.1; done
      echo "quickstart: $d stopped"
    fi
    rm -f "$data/run/$d.pid"
  done
}

# start NAME ARGS...: runs build's NAME in the background unless it runs already.
start() {
  local name=$1 bin
  shift
  if running "$name"; then
    echo "quickstart: $name already running (pid $(cat "$data/run/$name.pid"))"
    return
  fi
  bin=$(find "$build/src" -name "$name" -type f -perm -u+x | head -1)
  nohup "$bin" "$@" >>"$data/log/$name.log" 2>&1 &
  echo $! >"$data/run/$name.pid"
  echo "quickstart: $name started (pid $!, log $data/log/$name.log)"
}

# mkfs TYPE INDEX DIR: formats DIR unless it already is a target.
mkfs() {
  [ -f "$3/weft-label" ] && return
  "$build/src/tools/weftctl" mkfs "--$1" --fsname "$fsname" --index "$2" --mgs "$mgs_nid" "$3"
}

if [ "${1:-}" = stop ]; then stop; exit 0; fi
if [ $# -gt 0 ]; then echo "usage: $0 [stop]" >&2; exit 2; fi

echo "== 1/5 packages"
./deploy/setup.sh
echo "== 2/5 build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"

echo "== 3/5 format (data in $data)"
mkdir -p "$data/run" "$data/log" "$data/mgs"
mkfs mdt 0 "$data/mdt0"
ost_args=()
for i in $(seq 0 $((osts - 1))); do
  mkfs ost "$i" "$data/ost$i"
  ost_args+=(--target "$data/ost$i")
done

echo "== 4/5 start"
start weft-mgs --mgs.fsname "$fsname" --mgs.data_dir "$data/mgs" --mgs.listen "$mgs_nid" \
  --mgs.target_down_after_ms 10000 --mgs.default_stripe_count -1 --metrics.port 9881
start weft-mds --mds.target "$data/mdt0" --mds.listen "$mds_nid" --metrics.port 9891
start weft-oss "${ost_args[@]}" --oss.listen "$oss_nid" --metrics.port 9901

# The targets register within a few seconds of starting.
for _ in $(seq 30); do
  up=$("$build/src/tools/weftctl" status --mgs "$mgs_nid" --timeout 5 2>/dev/null | grep -c ' UP ' || true)
  [ "$up" -ge $((osts + 1)) ] && break
  sleep 0.5
done
echo
rc=0
"$build/src/tools/weftctl" status --mgs "$mgs_nid" --timeout 10 || rc=$?
if [ $rc -ne 0 ]; then
  echo "quickstart: not every target is up; see the logs in $data/log" >&2
  exit $rc
fi

echo
echo "== 5/5 mount ($mnt)"
if [ ! -e /sbin/mount.weft ] || [ -L /sbin/mount.weft ]; then
  ln -sf "$build/src/client/fuse/weft-fuse" /sbin/mount.weft
fi
mkdir -p "$mnt"
if mountpoint -q "$mnt"; then
  echo "quickstart: $mnt already mounted"
else
  mount -t weft -o _netdev "127.0.0.1:9880@tcp:/$fsname" "$mnt"
  echo "quickstart: mounted 127.0.0.1:9880@tcp:/$fsname at $mnt"
fi
echo
"$build/src/tools/weft" df -h "$mnt"
echo "A few seconds of fio through the mount (1 MiB sequential write, then read, 4 jobs):"
for rw in write read; do
  fio --name=quickstart --directory="$mnt" --rw=$rw --bs=1M --size=256M --numjobs=4 \
    --ioengine=psync --runtime=5 --time_based --end_fsync=1 --group_reporting 2>&1 |
    grep -E "^ *(WRITE|READ):" || true
done
rm -f "$mnt"/quickstart.*
echo
echo "Try:         cd $mnt; weft getstripe FILE; weft setstripe -c 2 -S 1M DIR  ($build/src/tools/weft)"
echo "Metrics:     curl -s http://127.0.0.1:9881/metrics   (MDS :9891, OSS :9901)"
echo "Stop it all: $0 stop"
