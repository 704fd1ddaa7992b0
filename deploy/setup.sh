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
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
