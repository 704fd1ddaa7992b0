#!/usr/bin/env bash
# An OSS cut off from the network (its link down) for 10 s while client1 writes and client2
# reads: the I/O stalls, then resumes, and no error reaches either program.
. "$(dirname "$0")/lib.sh"
setup client1 client2
m1=$(mnt client1) m2=$(mnt client2)

step "a 64 MiB file for client2 to read"
dd if=/dev/urandom of="$data/ref.dat" bs=1M count=64 status=none
cp "$data/ref.dat" "$m1/read.dat"

# Rate-limited so that both jobs are still running when the link goes down and comes back.
step "client1 writes 96 MiB (verified), client2 reads its file over and over (O_DIRECT)"
(cd "$m1" && fio --name=cutw --filename=write.dat --rw=write --bs=1M --size=96M \
  --ioengine=psync --rate=6m --verify=crc32c --do_verify=1 --verify_fatal=1 \
  --output="$data/write.out") &
wpid=$!
(cd "$m2" && fio --name=cutr --filename=read.dat --rw=read --bs=1M --direct=1 \
  --ioengine=psync --rate=6m --time_based --runtime=22 --output="$data/read.out") &
rpid=$!
sleep 4
step "cut oss3 off for 10 s"
t0=$(now_ms)
tb cut oss3
sleep 10
tb heal oss3
fio_wait $wpid "$data/write.out" "the writer"
t1=$(now_ms)
fio_wait $rpid "$data/read.out" "the reader"
echo "writer finished $(( (t1 - t0) / 1000 )) s after the cut; slowest write:" \
  "$(fio_max "$data/write.out" write), slowest read: $(fio_max "$data/read.out" read)"
step "what client2 read is what was written"
cmp "$data/ref.dat" "$m2/read.dat" || fail "read.dat differs after the cut"
check_logs
echo PASS
