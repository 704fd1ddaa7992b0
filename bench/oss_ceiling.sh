#!/usr/bin/env bash
# The OSS data path beside its ceiling, fio (io_uring, O_DIRECT) on the same directory, measured
# alternately point by point in one sitting so that the ratios hold on a noisy machine.
#
#   bench/oss_ceiling.sh DIR [BUILD_DIR] [RUNS] [DEPTHS] [WORKLOADS] [EXTRA_OSS_BENCH_ARGS...]
#     defaults: build/release, 3 runs, "1 8 32", "write-seq read-seq read-rand write-rand"
#
# Per run, workload and depth: fio for 3 s, then oss_bench (one OSS over RPC on loopback, same
# block size and calls in flight) for 3 s. Prints every pair, then per point the medians of
# MB/s (1 MiB) or IOPS (4 KiB), the ratio oss_bench / fio of those medians, and each run's own
# ratio (fio and oss_bench back to back) with their median: the first may pair different runs.
set -euo pipefail
dir=${1:?usage: oss_ceiling.sh DIR [BUILD_DIR] [RUNS] [DEPTHS] [WORKLOADS] [ARGS...]}
build=${2:-build/release}
runs=${3:-3}
depths=${4:-1 8 32}
workloads=${5:-write-seq read-seq read-rand write-rand}
shift $(( $# < 5 ? $# : 5 ))
extra=("$@")
bench=$build/bench/oss_bench
[ -x "$bench" ] || { echo "no $bench: build first (cmake --build $build --target oss_bench)" >&2; exit 2; }
command -v fio >/dev/null || { echo "fio missing: apt-get install fio" >&2; exit 2; }
mkdir -p "$dir"

fio_point() {  # WORKLOAD DEPTH -> MB/s for 1 MiB, IOPS for 4 KiB
  local rw bs
  case $1 in
    write-seq) rw=write bs=1M ;; read-seq) rw=read bs=1M ;;
    read-rand) rw=randread bs=4k ;; write-rand) rw=randwrite bs=4k ;;
  esac
  fio --name=f --filename="$dir/fio.dat" --ioengine=io_uring --direct=1 --rw="$rw" --bs="$bs" \
    --iodepth="$2" --size=256M --runtime=3 --time_based --output-format=json |
    python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
d = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
print("%.1f" % (d["bw_bytes"] / 1e6) if sys.argv[1].endswith("seq") else "%.0f" % d["iops"])' "$1"
}

oss_point() {  # WORKLOAD DEPTH -> MB/s for 1 MiB, IOPS for 4 KiB
  "$bench" --dir "$dir" --runs 1 --seconds 3 --modes "$1" --inflight "$2" "${extra[@]}" |
    awk -v w="$1" '/^median/ {
      for (i = 1; i <= NF; i++) { if ($i == "IOPS") iops = $(i-1); if ($i == "MB/s") mb = $(i-1) }
      print (w ~ /seq$/) ? mb : iops }'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A F O R
echo "load: $(uptime)"
for i in $(seq "$runs"); do
  for w in $workloads; do
    for d in $depths; do
      f=$(fio_point "$w" "$d")
      o=$(oss_point "$w" "$d")
      echo "run $i $w depth $d: fio $f oss_bench $o"
      F[$w.$d]+="$f "
      O[$w.$d]+="$o "
      R[$w.$d]+="$(awk -v f="$f" -v o="$o" 'BEGIN { printf "%.2f", (f > 0 ? o / f : 0) }') "
    done
  done
done
echo "load: $(uptime)"
for w in $workloads; do
  unit=IOPS; [[ $w == *seq ]] && unit=MB/s
  for d in $depths; do
    fm=$(printf '%s\n' ${F[$w.$d]} | median)
    om=$(printf '%s\n' ${O[$w.$d]} | median)
    rm=$(printf '%s\n' ${R[$w.$d]} | median)
    # Two ratios: of the medians, and the median of each run's own ratio (fio and oss_bench
    # measured back to back); the first may pair numbers from different runs.
    awk -v w="$w" -v d="$d" -v f="$fm" -v o="$om" -v u="$unit" -v rm="$rm" -v runs="${R[$w.$d]}" \
      'BEGIN { printf "median %-10s depth %2s: fio %9s %s  oss_bench %9s %s  ratio %.2f  per run %s(median %s)\n", w, d, f, u, o, u, o / f, runs, rm }'
  done
done
