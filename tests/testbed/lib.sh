# Shared by the fault tests: brings the test bed up from nothing, tears it down on exit (also
# when a test fails), and gives the tests short names for its commands. Sourced, not run.
#   WEFT_BUILD  the build whose daemons run (ctest sets it)
#   TB_DATA     the test's own data directory (ctest sets it)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export WEFT_BUILD=${WEFT_BUILD:-$top/build/release}
export TB_DATA=${TB_DATA:-/var/tmp/weft-testbed-test}
data=$TB_DATA

tb() { "$top/deploy/testbed/testbed.sh" "$@"; }
mnt() { echo "$data/mnt/$1"; }
tb_addr() { tb addr "$1"; }
step() { echo "== $(date +%T) $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# The sanitizers' reports and crashes in any daemon's log fail the test.
check_logs() {
  local bad
  bad=$(grep -l -E "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|terminate called" \
    "$data"/log/*.log 2>/dev/null || true)
  [ -z "$bad" ] || { tail -40 $bad >&2; fail "a daemon reported a sanitizer error or crash: $bad"; }
}

finish() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "--- the test failed (exit $rc); last lines of every log:" >&2
    for f in "$data"/log/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  fi
  tb down >/dev/null 2>&1 || true
  exit $rc
}

# setup CLIENT...: a fresh test bed with every daemon up and CLIENTs mounted.
setup() {
  trap finish EXIT
  tb down >/dev/null 2>&1 || true
  rm -rf "$data"
  step "test bed up (data in $data)"
  tb start
  local c
  for c in "$@"; do tb mount "$c"; done
}

# fio_wait PID OUTPUT WHO: waits for a fio started in the background, shows its output, and
# fails the test unless it exited 0 and reported no error.
fio_wait() {
  local rc=0
  wait "$1" || rc=$?
  cat "$2"
  [ $rc -eq 0 ] || fail "$3's fio exited with $rc"
  grep -q "err= 0" "$2" || fail "$3's fio reported an error"
}

# fio_max OUTPUT SECTION: the slowest completion of SECTION (read, write or sync) in fio's
# text output, e.g. "max=7458.4k usec".
fio_max() {
  awk -v s="$2" '
    $1 == s":" { want = 1; next }
    want && s != "sync" && $1 == "clat" { unit = $2; gsub(/[():]/, "", unit); match($0, /max=[^,]*/)
      print substr($0, RSTART, RLENGTH) " " unit; exit }
    s == "sync" && $1 == "sync" { unit = $2; gsub(/[():]/, "", unit); match($0, /max=[^,]*/)
      print substr($0, RSTART, RLENGTH) " " unit; exit }' "$1"
}
