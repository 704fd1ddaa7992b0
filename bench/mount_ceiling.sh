#!/usr/bin/env bash
# Weft through its FUSE mount beside its ceilings, measured alternately in one sitting so that
# the ratios hold on a noisy machine: the raw disk (a directory of it), a FUSE passthrough
# mount of that directory (../shared/bench/passthrough.sh), and the Weft mount.
#
#   bench/mount_ceiling.sh WEFT_MOUNT BACKING_DIR [RUNS] [BUILD_DIR]
#
# WEFT_MOUNT: a mounted Weft file system (e.g. the quickstart's /mnt/weft); BACKING_DIR: a
# directory on the disk the OSTs live on. Environment: WEFT_FIO_SIZE (per job, default 2G),
# WEFT_FIO_RUNTIME (random jobs, default 10 s), WEFT_MD_FILES (per thread, default 10000),
# WEFT_UNTAR_FILES (default 20000), WEFT_PHASES (which to run, default "fio md untar": e.g.
# WEFT_PHASES=md for the metadata rows alone). Prints one line per measurement, then medians
# and ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
weft=${1:?usage: $0 WEFT_MOUNT BACKING_DIR [RUNS] [BUILD_DIR]}
backing=${2:?usage: $0 WEFT_MOUNT BACKING_DIR [RUNS] [BUILD_DIR]}
runs=${3:-3}
build=${4:-$here/../build/release}
export WEFT_FIO_SIZE=${WEFT_FIO_SIZE:-2G}
export WEFT_FIO_RUNTIME=${WEFT_FIO_RUNTIME:-10}
md_files=${WEFT_MD_FILES:-10000}
untar_files=${WEFT_UNTAR_FILES:-20000}
passthrough=${PASSTHROUGH_SH:-$here/../../shared/bench/passthrough.sh}
mdbench=$build/bench/fs_md_bench
mountpoint -q "$weft" || { echo "$weft is not mounted (run deploy/quickstart.sh)" >&2; exit 2; }
# passthrough_ll holds a descriptor for every inode the kernel knows, so it fails (EMFILE) once
# a phase has more files than its open-file limit, and stays broken until the kernel forgets
# them. Where the limit cannot be raised (a container without CAP_SYS_RESOURCE), the file
# counts are lowered to fit, for both mounts alike, and the kernel's inodes are dropped after
# each metadata phase.
fd_limit=$(bash -c 'ulimit -n 1048576 2>/dev/null; ulimit -n')
fit=$((fd_limit * 9 / 10))
if [ $((4 * md_files)) -gt "$fit" ]; then
  echo "mount_ceiling: open-file limit $fd_limit: $((fit / 4)) files per thread with 4 threads" >&2
fi
if [ "$untar_files" -gt "$fit" ]; then
  untar_files=$((fit / 1000 * 1000))
  echo "mount_ceiling: open-file limit $fd_limit: untar of $untar_files files" >&2
fi
forget_inodes() { sync; echo 2 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
[ -x "$mdbench" ] || { echo "no $mdbench: build first (cmake --build $build)" >&2; exit 2; }
command -v fio >/dev/null || { echo "fio missing: apt-get install fio" >&2; exit 2; }

raw=$backing/raw
pt_back=$backing/pt-backing
pt=$backing/pt-mnt
mkdir -p "$raw" "$pt_back" "$pt"
"$passthrough" mount "$pt_back" "$pt" >/dev/null
trap '"$passthrough" umount "$pt" 2>/dev/null || true' EXIT
wdir=$weft/mount_ceiling.$$
mkdir -p "$wdir"

# fio JOB NUMJOBS DIR -> MB/s or IOPS (the job's main figure)
fio_one() {
  local job=$1 nj=$2 dir=$3 out
  out=$(fio --directory="$dir" --numjobs="$nj" --output-format=json "$here/fio/$job.fio")
  rm -f "$dir"/"$job".* 2>/dev/null || true
  python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
job = sys.argv[1]
side = j["read"] if "read" in job else j["write"]
print(round(side["iops"]) if "4k" in job else round(side["bw_bytes"] / 1e6))' "$job" <<<"$out"
}

# The metadata benchmark: "create stat unlink" medians (ops/s) at THREADS, with at most as
# many files in all as the passthrough can hold open ($fit, above).
md_one() {
  local files=$md_files
  [ $(($2 * files)) -le "$fit" ] || files=$((fit / $2))
  "$mdbench" --dir "$1" --threads "$2" --files "$files" --runs 1 2>/dev/null |
    awk -v t="$2" '$2 == t {printf "%s ", $3}'
}

# Seconds to untar $untar_files small files into DIR, and to ls -lR them.
tarball=$backing/small-files.$untar_files.tar
if [ ! -f "$tarball" ]; then
  src=$backing/small-files
  mkdir -p "$src"
  for d in $(seq 0 $((untar_files / 1000 - 1))); do
    mkdir -p "$src/d$d"
    for f in $(seq 0 999); do echo "file $d/$f" > "$src/d$d/f$f"; done
  done
  tar cf "$tarball" -C "$backing" small-files
  rm -rf "$src"
fi
untar_one() {
  local t0 t1 t2
  t0=$(date +%s.%N)
  tar xf "$tarball" -C "$1"
  t1=$(date +%s.%N)
  ls -lR "$1/small-files" > /dev/null
  t2=$(date +%s.%N)
  rm -rf "$1/small-files"
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {printf "%.2f %.2f", b - a, c - b}'
}

declare -A results
record() { results[$1]+="$2 "; }
median() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

jobs=("seq-write-1m 1" "seq-write-1m 4" "seq-read-1m 1" "seq-read-1m 4" "rand-read-4k 1"
      "rand-write-4k 1")
phases=" ${WEFT_PHASES:-fio md untar} "
runs_phase() { [[ $phases == *" $1 "* ]]; }
runs_phase fio || jobs=()
for run in $(seq "$runs"); do
  for spec in "${jobs[@]}"; do
    read -r job nj <<<"$spec"
    for where in raw pt weft; do
      case $where in raw) d=$raw ;; pt) d=$pt ;; weft) d=$wdir ;; esac
      v=$(fio_one "$job" "$nj" "$d")
      echo "run $run: $job numjobs=$nj $where $v" >&2
      record "$job.$nj.$where" "$v"
    done
  done
  for t in 1 4; do
    runs_phase md || break
    for where in pt weft; do
      case $where in pt) d=$pt ;; weft) d=$wdir ;; esac
      read -r c s u <<<"$(md_one "$d" "$t")"
      echo "run $run: md threads=$t $where create $c stat $s unlink $u" >&2
      record "md-create.$t.$where" "$c"; record "md-stat.$t.$where" "$s"
      record "md-unlink.$t.$where" "$u"
      forget_inodes
    done
  done
  for where in pt weft; do
    runs_phase untar || break
    case $where in pt) d=$pt ;; weft) d=$wdir ;; esac
    read -r x l <<<"$(untar_one "$d")"
    echo "run $run: untar $untar_files files $where ${x}s, ls -lR ${l}s" >&2
    record "untar.$where" "$x"; record "lsR.$where" "$l"
    forget_inodes
  done
done

printf '%-22s %10s %10s %10s %8s  %s\n' "measurement" "raw" "passthru" "weft" "weft/pt" \
  "weft/pt of each run (median)"
for key in "seq-write-1m 1" "seq-write-1m 4" "seq-read-1m 1" "seq-read-1m 4" "rand-read-4k 1" \
           "rand-write-4k 1" "md-create 1" "md-create 4" "md-stat 1" "md-stat 4" "md-unlink 1" \
           "md-unlink 4" "untar" "lsR"; do
  read -r job nj <<<"$key"
  k=$job${nj:+.$nj}
  [ -n "${results[$k.pt]:-}" ] || continue  # a phase not run
  r=$(echo "${results[$k.raw]:-}" | median); p=$(echo "${results[$k.pt]}" | median)
  w=$(echo "${results[$k.weft]}" | median)
  ratio=$(awk -v p="$p" -v w="$w" -v t="$job" 'BEGIN {
    if (t == "untar" || t == "lsR") printf "%.2f", p / w; else printf "%.2f", w / p }')
  # Each run's own ratio, its passthrough and Weft measured back to back: the ratio of the
  # medians above may pair numbers from different runs.
  per=$(awk -v ps="${results[$k.pt]}" -v ws="${results[$k.weft]}" -v t="$job" 'BEGIN {
    n = split(ps, P, " "); split(ws, W, " ")
    for (i = 1; i <= n; i++) {
      if (P[i] <= 0 || W[i] <= 0) { printf "- "; continue }
      printf "%.2f ", (t == "untar" || t == "lsR") ? P[i] / W[i] : W[i] / P[i]
    } }')
  pm=$(echo "$per" | tr -d '-' | median)
  printf '%-22s %10s %10s %10s %8s  %s(%s)\n' "$job${nj:+ x$nj}" "${r:--}" "$p" "$w" "$ratio" \
    "$per" "$pm"
done
echo "(MB/s for 1m jobs, IOPS for 4k jobs, ops/s for md, seconds for untar and ls -lR;"
echo " weft/pt is the ratio of rates: for the timed rows passthrough time / weft time; the"
echo " ratio of the medians may pair different runs, each run's own ratio does not)"
rm -rf "$wdir"
