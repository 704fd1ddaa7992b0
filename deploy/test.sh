#!/usr/bin/env bash
# The test command: installs what is missing, builds with AddressSanitizer,
# UndefinedBehaviorSanitizer and -Werror, and runs every test through ctest.
#   deploy/test.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/setup.sh
build=${WEFT_TEST_BUILD:-build/test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=ON -DWEFT_WERROR=ON
cmake --build "$build" -j "$(nproc)"
# The sanitizers: fail on the first error; leak checks on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j 2 "$@"
