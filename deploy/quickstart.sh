#!/usr/bin/env bash
# The quickstart: installs what is missing, builds, and starts a single-node Weft on loopback.
#
#   deploy/quickstart.sh         start (a second run reuses the build and the data)
#   deploy/quickstart.sh stop    stop everything it started
#
# At this stage of the project it starts the management server and prints `weftctl status`;
# the metadata and object servers and the FUSE mount join it as they are built.
# Data and logs go under $WEFT_DATA (default /var/lib/weft-quickstart).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
data=${WEFT_DATA:-/var/lib/weft-quickstart}
build=${WEFT_BUILD:-$top/build/release}
fsname=${WEFT_FSNAME:-weft}
mgs_nid=127.0.0.1:9880@tcp

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  local pidfile=$data/run/weft-mgs.pid
  if running "$pidfile"; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 50); do running "$pidfile" || break; sleep 0.1; done
    echo "quickstart: weft-mgs stopped"
  else
    echo "quickstart: weft-mgs was not running"
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = stop ]; then stop; exit 0; fi
if [ $# -gt 0 ]; then echo "usage: $0 [stop]" >&2; exit 2; fi

echo "== 1/3 packages"
./deploy/setup.sh
echo "== 2/3 build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"

echo "== 3/3 start (data in $data)"
mkdir -p "$data/run" "$data/log" "$data/mgs"
pidfile=$data/run/weft-mgs.pid
if running "$pidfile"; then
  echo "quickstart: weft-mgs already running (pid $(cat "$pidfile"))"
else
  nohup "$build/src/mgs/weft-mgs" --mgs.fsname "$fsname" --mgs.data_dir "$data/mgs" \
    --mgs.listen "$mgs_nid" --metrics.port 9881 >>"$data/log/weft-mgs.log" 2>&1 &
  echo $! >"$pidfile"
  echo "quickstart: weft-mgs started (pid $!, log $data/log/weft-mgs.log)"
fi
echo
"$build/src/tools/weftctl" status --mgs "$mgs_nid" --timeout 10 || {
  rc=$?
  # 1 means some target is down; anything else means the MGS did not answer.
  [ $rc -eq 1 ] || { echo "quickstart: weft-mgs did not answer; see $data/log/weft-mgs.log" >&2; exit $rc; }
}
echo
echo "Metrics:      curl -s http://127.0.0.1:9881/metrics"
echo "Stop it with: $0 stop"
