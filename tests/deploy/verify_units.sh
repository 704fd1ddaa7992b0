#!/usr/bin/env bash
# The systemd units pass `systemd-analyze verify` (with ExecStart pointing at this build's
# binaries), and the example configurations under deploy/etc load in the daemons.
#   verify_units.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze missing"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/units"
for b in src/mgs/weft-mgs src/mds/weft-mds src/oss/weft-oss; do
  ln -s "$build/$b" "$tmp/bin/$(basename "$b")"
done
sub() { sed "s|@WEFT_BINDIR@|$tmp/bin|g" "$1" > "$2"; }
sub "$src/deploy/systemd/weft-mgs.service.in" "$tmp/units/weft-mgs.service"
sub "$src/deploy/systemd/weft-mds@.service.in" "$tmp/units/weft-mds@mdt0.service"
sub "$src/deploy/systemd/weft-oss@.service.in" "$tmp/units/weft-oss@ost0.service"
cd "$tmp/units"
out=$(systemd-analyze verify ./weft-mgs.service ./weft-mds@mdt0.service ./weft-oss@ost0.service 2>&1) || {
  echo "systemd-analyze verify failed:"; echo "$out"; exit 1; }
# Anything it says about our units is a finding (it also talks about unrelated system units).
if echo "$out" | grep -E "weft-(mgs|mds|oss)" >/dev/null; then
  echo "systemd-analyze verify complained:"; echo "$out"; exit 1
fi
echo "units verified"

# The example configurations load: a daemon given one and then a bad flag must complain about
# the flag, not about the file.
check_config() {  # BINARY CONFIG EXPECTED_TEXT ARGS...
  local bin=$1 config=$2 want=$3 out rc=0
  shift 3
  out=$(timeout 20 "$bin" --config "$config" "$@" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || { echo "$bin --config $config $* did not fail"; exit 1; }
  echo "$out" | grep -q -- "$want" ||
    { echo "$(basename "$bin") with $config: unexpected error: $out"; exit 1; }
}
check_config "$tmp/bin/weft-mgs" "$src/deploy/etc/mgs.toml" mgs.listen --mgs.listen=not-a-nid
check_config "$tmp/bin/weft-mds" "$src/deploy/etc/mdt0.toml" /nonexistent/mdt0 \
  --target /nonexistent/mdt0
check_config "$tmp/bin/weft-oss" "$src/deploy/etc/ost0.toml" /nonexistent/ost0 \
  --target /nonexistent/ost0
echo "example configurations load"
