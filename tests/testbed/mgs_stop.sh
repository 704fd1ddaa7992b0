#!/usr/bin/env bash
# The MGS stopped: the existing mount keeps working (its MDS and OSTs are up), and a new mount
# waits for the MGS instead of failing, then works once it is back.
. "$(dirname "$0")/lib.sh"
setup client1
m1=$(mnt client1) m2=$(mnt client2)

step "stop the MGS"
tb kill mgs TERM
step "client1 carries on: create, write, read, rename, unlink, mkdir"
mkdir "$m1/after-mgs"
dd if=/dev/urandom of="$data/ref.dat" bs=1M count=16 status=none
cp "$data/ref.dat" "$m1/after-mgs/data"
cmp "$data/ref.dat" "$m1/after-mgs/data" || fail "read back differs while the MGS is down"
mv "$m1/after-mgs/data" "$m1/after-mgs/data2"
touch "$m1/after-mgs/gone" && rm "$m1/after-mgs/gone"
echo "client1 works without the MGS"

step "mount client2 while the MGS is down: the mount must wait"
t0=$(now_ms)
tb mount client2 &
mpid=$!
sleep 6
kill -0 $mpid 2>/dev/null || { wait $mpid; fail "the mount ended while the MGS was down (exit $?)"; }
mountpoint -q "$m2" && fail "client2 mounted without an MGS"
step "start the MGS again"
tb restart mgs
wait $mpid || fail "the mount failed once the MGS was back"
t1=$(now_ms)
echo "client2's mount waited $(( (t1 - t0) / 1000 )) s for the MGS"
cmp "$data/ref.dat" "$m2/after-mgs/data2" || fail "client2 reads different data"
tb wait-up
check_logs
echo PASS
