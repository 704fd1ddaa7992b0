#!/usr/bin/env bash
# A full OST: writers get ENOSPC, not EIO; once files are deleted (and their objects
# destroyed), writes work again on the same mount.
export TB_OST_SIZE=${TB_OST_SIZE:-24m}
. "$(dirname "$0")/lib.sh"
setup client1
m1=$(mnt client1)

step "fill the file system (four OSTs of $TB_OST_SIZE each, the file striped over all)"
rc=0
dd if=/dev/zero of="$m1/big" bs=1M count=1024 conv=fsync status=none 2>"$data/dd.err" || rc=$?
cat "$data/dd.err"
[ $rc -ne 0 ] || fail "dd wrote 1 GiB into $TB_OST_SIZE OSTs"
grep -q "No space left on device" "$data/dd.err" || fail "the writer did not get ENOSPC"
grep -q "Input/output error" "$data/dd.err" && fail "the writer got EIO"
echo "full at $(( $(stat -c %s "$m1/big") >> 20 )) MiB: dd got ENOSPC"
tb exec client1 "$WEFT_BUILD/src/tools/weft" df -h "$m1" || true

step "a second writer also gets ENOSPC"
rc=0
dd if=/dev/zero of="$m1/more" bs=1M count=64 conv=fsync status=none 2>"$data/dd2.err" || rc=$?
cat "$data/dd2.err"
[ $rc -ne 0 ] || fail "a second 64 MiB fitted on full OSTs"
grep -q "No space left on device" "$data/dd2.err" || fail "the second writer did not get ENOSPC"

step "delete, then write again on the same mount"
rm -f "$m1/big" "$m1/more"
t0=$(now_ms)
ok=0
for _ in $(seq 60); do
  if dd if=/dev/zero of="$m1/again" bs=1M count=16 conv=fsync status=none 2>/dev/null; then ok=1; break; fi
  rm -f "$m1/again"
  sleep 1
done
[ $ok -eq 1 ] || fail "writes still fail 60 s after the files were deleted"
echo "writes work again $(( ($(now_ms) - t0) / 1000 )) s after the delete"
check_logs
echo PASS
