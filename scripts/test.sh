#!/usr/bin/env bash
# test.sh — the whole test suite, from nothing: installs what is missing,
# builds, runs every test (unit, --stdio, and against a real Kafka broker and
# redis-server that the tests start on free loopback ports), then builds again
# with AddressSanitizer + UBSan and runs the suite once more, and runs every
# libFuzzer target (clang, ASan + UBSan) for a bounded time.
#
#   scripts/test.sh              everything
#   scripts/test.sh -L unit      only tests with that ctest label (unit, cli, kafka)
#   SANITIZE=0 scripts/test.sh   skip the sanitizer pass
#   FUZZ=0 scripts/test.sh       skip the fuzz targets (tests/fuzz/run.sh, each
#                                FUZZ_SECONDS [60] under ASan + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
scripts/kafka.sh fetch   # the broker's jars, cached after the first run

scripts/build.sh build
(cd build && ctest --output-on-failure "$@")

if [ "${SANITIZE:-1}" = 1 ]; then
  scripts/build.sh build-asan -DSTORYPIPE_SANITIZE=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure "$@")
fi

if [ "${FUZZ:-1}" = 1 ] && [ $# -eq 0 ]; then
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS FUZZ_SECONDS="${FUZZ_SECONDS:-60}" tests/fuzz/run.sh
fi
