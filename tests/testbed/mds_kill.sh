#!/usr/bin/env bash
# kill -9 of the MDS during a metadata storm from both clients (creates with O_EXCL, renames,
# unlinks). The MDS restarts after 2 s. Every operation must succeed once — a resent create
# that ran twice would fail with EEXIST, a resent rename or unlink with ENOENT — the tree must
# be exactly what the operations say, and the offline checker must find the MDT clean.
. "$(dirname "$0")/lib.sh"
setup client1 client2

# storm DIR TAG LOG STOPFILE: create TAG-i, rename every second one to TAG-i.r, unlink every
# third; one line per acknowledged operation with its time in ms.
storm() {
  local dir=$1 tag=$2 log=$3 stop=$4 i=0 name
  set -C  # noclobber: ">" opens with O_CREAT|O_EXCL
  while [ ! -e "$stop" ]; do
    i=$((i + 1))
    name="$dir/$tag-$i"
    : >"$name" || { echo "ERROR create $name" >>"$log"; return 1; }
    echo "$(now_ms) create $i" >>"$log"
    if ((i % 2 == 0)); then
      mv -T "$name" "$name.r" || { echo "ERROR rename $name" >>"$log"; return 1; }
      name="$name.r"
      echo "$(now_ms) rename $i" >>"$log"
    fi
    if ((i % 3 == 0)); then
      rm "$name" || { echo "ERROR unlink $name" >>"$log"; return 1; }
      echo "$(now_ms) unlink $i" >>"$log"
    fi
  done
  echo "$i" >"$log.count"
}

# expected TAG N: the names the storm leaves after N iterations.
expected() {
  local i
  for ((i = 1; i <= $2; i++)); do
    ((i % 3 == 0)) && continue
    if ((i % 2 == 0)); then echo "$1-$i.r"; else echo "$1-$i"; fi
  done | sort
}

stop=$data/stop
mkdir "$(mnt client1)/c1" "$(mnt client2)/c2" "$(mnt client1)/shared"
step "storm from both clients: own directories and a shared one"
pids=()
storm "$(mnt client1)/c1" a "$data/a.log" "$stop" & pids+=($!)
storm "$(mnt client2)/c2" b "$data/b.log" "$stop" & pids+=($!)
storm "$(mnt client1)/shared" c "$data/c.log" "$stop" & pids+=($!)
storm "$(mnt client2)/shared" d "$data/d.log" "$stop" & pids+=($!)
sleep 3
step "kill -9 mds ($(cat "$data"/?.log | wc -l) operations acknowledged so far)"
t_kill=$(now_ms)
tb kill mds KILL
sleep 2
step "restart mds"
tb restart mds
sleep 8
touch "$stop"
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
grep -h ERROR "$data"/?.log >&2 && fail "an operation failed in the storm"
[ $rc -eq 0 ] || fail "a storm worker failed"

for t in a b c d; do
  # The longest pause between two acknowledged operations: the stall the kill caused.
  gap=$(awk '{ if (p) { g = $1 - p; if (g > m) m = g } p = $1 } END { print m + 0 }' "$data/$t.log")
  echo "storm $t: $(cat "$data/$t.log.count") iterations, longest pause ${gap} ms"
  [ "$(awk -v k="$t_kill" '$1 > k' "$data/$t.log" | wc -l)" -gt 0 ] ||
    fail "storm $t did nothing after the kill"
done

step "compare the tree with the operations (from the other client too)"
sleep 2  # past entry_timeout, so each client sees the other's changes
check_dir() {  # check_dir DIR TAG...
  local dir=$1 t
  shift
  for t in "$@"; do expected "$t" "$(cat "$data/$t.log.count")"; done | sort >"$data/want"
  ls -1 "$dir" | sort >"$data/have"
  diff "$data/want" "$data/have" >&2 || fail "$dir is not what the operations say"
  echo "$dir: $(wc -l <"$data/have") entries as expected"
}
check_dir "$(mnt client2)/c1" a
check_dir "$(mnt client1)/c2" b
check_dir "$(mnt client1)/shared" c d
check_dir "$(mnt client2)/shared" c d

step "stop the MDS and check the MDT offline"
tb umount client1
tb umount client2
tb kill mds TERM
"$WEFT_BUILD/src/tools/weftctl" fsck --mdt "$data/mdt0" || fail "fsck found the MDT unclean (exit $?)"
check_logs
echo PASS
