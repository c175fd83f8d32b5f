#!/usr/bin/env bash
# build.sh — configure and build into build/ (or $1), passing any further
# arguments to CMake (e.g. -DSTORYPIPE_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
