#!/usr/bin/env bash
# run.sh — build the libFuzzer targets (cmake/fuzz.cmake) with clang into
# build-fuzz/ and run each one for a bounded time under ASan + UBSan, starting
# from a scratch copy of its seed corpus (the repository is never written to).
# Any crash, leak, timeout, out-of-memory or failed check is a failure; the
# reproducer is kept in build-fuzz/fuzz-artifacts/TARGET/ and printed in base64.
#
#   tests/fuzz/run.sh                   every target, $FUZZ_SECONDS each
#   tests/fuzz/run.sh fuzz_html         only that target
#   FUZZ_SECONDS=600 tests/fuzz/run.sh  longer
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_TIMEOUT per input in seconds
# (default 10), FUZZ_MAX_LEN (default 65536), FUZZ_BUILD_DIR (default
# build-fuzz), FUZZ_CORPUS_OUT (a directory to keep the grown corpora in,
# one sub-directory per target), CC (default clang), FUZZ_ARGS (extra
# libFuzzer flags), FUZZ_SPLIT_KNOWN=index-title (fuzz_split tolerates its
# known finding, to look for others; see tests/fuzz/fuzz_split.c). Exits
# non-zero when a target fails or does not run.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
export CC=${CC:-clang}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_html fuzz_link fuzz_envelope fuzz_split fuzz_fetch fuzz_fingerprint)
declare -A corpus=([fuzz_html]=corpus_html [fuzz_link]=corpus_link [fuzz_envelope]=corpus_json
                   [fuzz_split]=corpus_split [fuzz_fetch]=corpus_fetch [fuzz_fingerprint]=corpus_fingerprint)
declare -A dict=([fuzz_html]=html.dict [fuzz_link]=link.dict [fuzz_envelope]=json.dict [fuzz_split]=split.dict
                 [fuzz_fetch]=fetch.dict [fuzz_fingerprint]=fingerprint.dict)
for t in "${targets[@]}"; do
  [ -n "${corpus[$t]:-}" ] || { echo "run.sh: unknown target $t (${!corpus[*]})" >&2; exit 64; }
done

if ! command -v "$CC" >/dev/null; then
  echo "run.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 69
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTORYPIPE_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
if ! grep -q '^STORYPIPE_HAVE_LIBFUZZER:INTERNAL=1' "$build/CMakeCache.txt"; then
  echo "run.sh: no fuzz targets in $build: CMakeLists.txt must include(cmake/fuzz.cmake), and the" \
       "compiler must be clang (CC=$CC; a build directory keeps its first compiler: rm -rf $build)" >&2
  exit 70
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Symbolized reports; leaks are findings; UBSan already aborts (-fno-sanitize-recover).
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}${symbolizer:+:external_symbolizer_path=$symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  art=$build/fuzz-artifacts/$t
  log=$build/fuzz-artifacts/$t.log
  rm -rf "$art" && mkdir -p "$art"
  mkdir -p "$work/$t"
  cp "$src/tests/fuzz/${corpus[$t]}"/* "$work/$t/"
  echo "== $t: ${seconds}s from $(ls "$work/$t" | wc -l) seeds (${corpus[$t]}, ${dict[$t]})"
  rc=0
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-65536}" -timeout="${FUZZ_TIMEOUT:-10}" \
    -dict="$src/tests/fuzz/${dict[$t]}" -print_final_stats=1 -artifact_prefix="$art/" \
    ${FUZZ_ARGS:-} "$work/$t" >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 || true)
  stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb):' "$log" |
          sed 's/^stat:://' | tr '\n' ' ' || true)
  findings=$(find "$art" -type f | sort)
  if [ "$rc" -eq 0 ] && [ -n "$done_line" ] && [ -z "$findings" ]; then
    passed=$((passed + 1))
    echo "$done_line"
    echo "$stats"
    summary+=("PASS $t: $(echo "$done_line" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]+') $stats")
  else
    failed=$((failed + 1))
    # the report: from the sanitizer's or the check's first line to the end
    awk '/^==[0-9]+==|^fuzz_[a-z]+:|^SUMMARY|deadly signal|ERROR: libFuzzer/ {p=1} p' "$log" | head -n 80
    [ -n "$done_line" ] && echo "$done_line"
    echo "$stats"
    echo "$t: FAILED (exit $rc), full log: $log"
    for f in $findings; do
      echo "reproducer $f ($(stat -c %s "$f") bytes), base64:"
      base64 -w 0 "$f" && echo
      echo "  replay: $bin $f"
    done
    summary+=("FAIL $t: exit $rc, $(echo "$findings" | grep -c . || true) reproducer(s) in $art")
  fi
  if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
    mkdir -p "$FUZZ_CORPUS_OUT/$t" && cp "$work/$t"/* "$FUZZ_CORPUS_OUT/$t/"
  fi
done

printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
