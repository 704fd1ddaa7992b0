#!/usr/bin/env bash
# kill -9 of an OSS during fio writes that fsync every 1 MiB and verify; the OSS comes back
# after 5 s. fio must finish without an I/O error, and every byte it wrote (each one was
# fsync-acknowledged) must read back intact from the other client, which never cached it.
. "$(dirname "$0")/lib.sh"
setup client1 client2
m1=$(mnt client1) m2=$(mnt client2)
size=${TB_FIO_SIZE:-96M}
job=(--name=osskill --filename=fio.dat --rw=write --bs=1M --size="$size" --ioengine=psync
  --verify=crc32c --verify_fatal=1 --create_on_open=1 --fallocate=none)

step "fio on client1: $size in 1 MiB writes, fsync after each, then verify"
# Rate-limited, so that the writes are still going when the OSS dies and when it comes back.
(cd "$m1" && fio "${job[@]}" --fsync=1 --do_verify=1 --rate=12m --output="$data/fio.out") &
fio_pid=$!
# Kill once the writes are well under way.
for _ in $(seq 600); do
  [ "$(stat -c %s "$m1/fio.dat" 2>/dev/null || echo 0)" -ge $((16 << 20)) ] && break
  kill -0 $fio_pid 2>/dev/null || break
  sleep 0.1
done
kill -0 $fio_pid 2>/dev/null || fail "fio ended before the OSS could be killed: $(cat "$data/fio.out")"
step "kill -9 oss2 with $(($(stat -c %s "$m1/fio.dat") >> 20)) MiB written"
t0=$(now_ms)
tb kill oss2 KILL
sleep 5
step "restart oss2"
tb restart oss2
fio_wait $fio_pid "$data/fio.out" "client1"
t1=$(now_ms)
echo "fio finished $(( (t1 - t0) / 1000 )) s after the kill; slowest write:" \
  "$(fio_max "$data/fio.out" write), slowest fsync: $(fio_max "$data/fio.out" sync)"

step "verify the file from client2"
(cd "$m2" && fio "${job[@]}" --verify_only --output="$data/verify.out") &
fio_wait $! "$data/verify.out" "client2 (verifying what client1 wrote)"
echo "client2 verified $size"
check_logs
echo PASS
