#!/usr/bin/env bash
# Installs every package Weft needs to build, test and run, on Debian 12. Safe to run again:
# packages already present are left as they are. Must run as root (or through sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # the chosen libraries
  libfabric-dev libfabric-bin librocksdb-dev liburing-dev libprotobuf-dev protobuf-compiler
  libspdlog-dev libgtest-dev libgmock-dev libfuse3-dev fuse3
  # crc32c of RPC payloads (ISA-L's crc32_iscsi; bookworm packages no libcrc32c-dev)
  libisal-dev
  # configuration (TOML), command lines (CLI11), Prometheus over HTTP (cpp-httplib)
  libtomlplusplus-dev libcli11-dev libcpp-httplib-dev
  # benchmarks and tests
  fio curl procps util-linux iproute2
  # promtool, which checks the metrics endpoints in the tests (Debian packages it with the server)
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run this script as root" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Packages with a service (prometheus) must not start it: nothing here needs it running.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
rc=0
apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
[ $made_policy -eq 0 ] || rm -f "$policy"
[ $rc -eq 0 ] || { echo "setup: apt-get install failed (exit $rc)" >&2; exit $rc; }
echo "setup: done"
