#!/usr/bin/env bash
# Every daemon's Prometheus endpoint and a client's, scraped across the test bed's network
# after some I/O: each passes `promtool check metrics`, and together they show what an
# operator watches — client read/write ops, bytes and latency, MDT and OST space and inodes,
# connected clients.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool is missing: apt-get install prometheus (deploy/setup.sh does)"
setup
tb mount client1 -o "metrics_port=9100,metrics_address=$(tb_addr client1)"
tb mount client2
m1=$(mnt client1)

step "some I/O through client1"
dd if=/dev/urandom of="$m1/file" bs=1M count=8 status=none conv=fsync
cat "$m1/file" >/dev/null
mkdir "$m1/dir" && touch "$m1/dir/a" "$m1/dir/b" && ls -l "$m1/dir" >/dev/null
cmp "$m1/file" "$(mnt client2)/file"  # client2 talks to the MDS and the OSTs too

# scrape HOST: client2 fetches HOST's endpoint over the test bed's network.
scrape() {
  tb exec client2 curl -sf --max-time 10 "http://$(tb_addr "$1"):9100/metrics" >"$data/$1.prom" ||
    fail "no metrics from $1 at $(tb_addr "$1"):9100"
  promtool check metrics <"$data/$1.prom" >"$data/$1.lint" 2>&1 ||
    { cat "$data/$1.lint" >&2; fail "promtool check metrics refused $1's metrics"; }
  echo "$1: $(grep -vc '^#' "$data/$1.prom") series, promtool clean"
}
# has HOST REGEX [MIN]: HOST serves a series matching REGEX whose value is at least MIN.
has() {
  local v
  v=$(grep -E "^$2( |\{)" "$data/$1.prom" | awk '{ s += $NF } END { if (NR) print s; else print "none" }')
  [ "$v" != none ] || fail "$1 serves no $2"
  awk -v v="$v" -v m="${3:-0}" 'BEGIN { exit !(v >= m) }' || fail "$1: $2 is $v, expected at least ${3:-0}"
  printf '  %-42s %s\n' "$2" "$v"
}

step "scrape every endpoint from client2"
for h in mgs mds oss1 oss2 oss3 oss4 client1; do scrape "$h"; done
has client1 weft_client_write_ops_total 1
has client1 weft_client_write_bytes_total $((8 << 20))
has client1 weft_client_read_ops_total 1
has client1 weft_client_read_bytes_total $((8 << 20))
has client1 weft_client_write_latency_seconds_count 1
has client1 weft_client_read_latency_seconds_count 1
has client1 weft_client_metadata_ops_total 1
has mds weft_mdt_capacity_bytes 1
has mds weft_mdt_bytes_free 1
has mds weft_mdt_files_used 4
has mds weft_rpc_connected_peers 2  # both clients
for h in oss1 oss2 oss3 oss4; do
  has "$h" weft_oss_capacity_bytes 1
  has "$h" weft_oss_bytes_free 1
  has "$h" weft_oss_files_free 1
  has "$h" weft_rpc_connected_peers 2
done
has mgs weft_mgs_targets 5
has mgs weft_rpc_connected_peers 7  # five targets and two clients
check_logs
echo PASS
