#!/usr/bin/env bash
# fetcher.sh — documents/s the fetcher gets out of a local web server
# serving WordPress REST API pages, against the server's capacity as wrk
# measures it on the same pages, in the same run; and our share of it.
#
#   bench/fetcher.sh          (after scripts/build.sh; needs wrk, redis-server,
#                              python3, curl: apt-get install wrk redis-server)
#
# Pages: tests/http_fixture.py (a WordPress-like REST API) makes
# BENCH_POSTS posts, and two servers serve them, each measured in turn:
#   memory   bench/wp_server (libmicrohttpd, 2 threads): the fixture's pages
#            saved as the fetcher asks for them (per_page=100,
#            orderby=modified, order=asc, the fetcher's _fields) and served
#            from memory with X-WP-Total and X-WP-TotalPages (400 past the
#            last page): the fastest a server can be, the hardest peer
#   fixture  tests/http_fixture.py itself (Python, threads): each page built
#            per request from its posts, as WordPress builds them (which
#            takes far longer still: PHP and MySQL)
#
# Method, BENCH_REPEATS rounds, best of each side:
#   wrk (peer)  wrk -t2 -cCONN -d BENCH_SECONDS, a Lua script cycling over
#               the pages; its requests/s x 100 posts a page is the
#               documents/s the server can give.
#   fetcher     storypipe-fetcher --stdio with BENCH_SOURCES wordpress
#               sources on that server (each paged through from its
#               start: Redis is flushed before every round), --host-concurrency CONN (the same number of
#               connections as wrk's); every document written to stdout
#               as a raw document (counted: must be SOURCES x POSTS).
#               Timed wall-clock around the process, start-up included
#               (a few ms). The fetcher's work per page: one HTTP
#               transfer, the JSON page parsed, each post turned into a
#               raw document, Redis told what was seen.
# Reported per server: both rates, MB/s of JSON, and the ratio fetcher /
# wrk; the target is >= 0.5 (BENCH_TARGET). A benchmark, not a test: the exit status
# says whether the runs worked, not how fast they were.
#
# Environment: BENCH_POSTS [2000], BENCH_SOURCES [8], BENCH_CONN [8],
# BENCH_SECONDS [5], BENCH_REPEATS [3], BENCH_TARGET [0.5], STORYPIPE_BIN
# [build/bin], KEEP_TMP=1 keeps the pages.
# Exit: 0 measured; 1 a run failed or a count is wrong; 64 bad settings;
# 69 wrk, redis-server, curl, python3 or the build missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${STORYPIPE_BIN:-$ROOT/build/bin}
POSTS=${BENCH_POSTS:-2000}
SOURCES=${BENCH_SOURCES:-8}
CONN=${BENCH_CONN:-8}
SECONDS_=${BENCH_SECONDS:-5}
REPEATS=${BENCH_REPEATS:-3}
TARGET=${BENCH_TARGET:-0.5}
for v in POSTS SOURCES CONN SECONDS_ REPEATS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "fetcher.sh: BENCH_${v%_} must be a positive integer" >&2; exit 64; }
done
[ "$POSTS" -ge 100 ] || { echo "fetcher.sh: BENCH_POSTS must be >= 100" >&2; exit 64; }
missing=()
for t in wrk redis-server curl python3; do command -v "$t" >/dev/null || missing+=("$t"); done
for b in storypipe-fetcher wp_server; do [ -x "$BIN/$b" ] || missing+=("$BIN/$b (scripts/build.sh)"); done
[ ${#missing[@]} -eq 0 ] || { echo "fetcher.sh: missing: ${missing[*]}" >&2; exit 69; }

T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-bench-fetcher.XXXXXX")
FIX_PID= SRV_PID=
cleanup() {
  [ -n "$FIX_PID" ] && kill "$FIX_PID" 2>/dev/null
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
  "$ROOT/scripts/redis.sh" stop "$T/redis" >/dev/null 2>&1 || true
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
now_ns() { date +%s%N; }

# ---------------------------------------------------------------- the pages
fport=$("$ROOT/scripts/free-port.sh")
python3 "$ROOT/tests/http_fixture.py" --port "$fport" --posts "$POSTS" --no-validators >"$T/fixture.out" 2>/dev/null &
FIX_PID=$!
for _ in $(seq 1 100); do grep -q listening "$T/fixture.out" 2>/dev/null && break; sleep 0.1; done
mkdir "$T/pages"
FIELDS=id,date_gmt,modified_gmt,guid,link,slug,title,content,excerpt,categories,tags
pages=$(( (POSTS + 99) / 100 ))
for ((p = 1; p <= pages; p++)); do
  curl -sf "http://127.0.0.1:$fport/wp-json/wp/v2/posts?per_page=100&page=$p&orderby=modified&order=asc&_fields=$FIELDS" \
    -o "$T/pages/$p.json" || { echo "fetcher.sh: the fixture did not give page $p" >&2; exit 1; }
done
echo "$POSTS" >"$T/pages/total"
BYTES=$(cat "$T/pages"/*.json | wc -c)

mport=$("$ROOT/scripts/free-port.sh")
"$BIN/wp_server" "$mport" "$T/pages" >"$T/server.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 50); do grep -q serving "$T/server.out" 2>/dev/null && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/wp-json/wp/v2/posts?page=$((pages + 1))")" = 400 ] ||
  { echo "fetcher.sh: wp_server did not start: $(cat "$T/server.out")" >&2; exit 1; }

RPORT=$("$ROOT/scripts/redis.sh" start "$T/redis") || exit 69
REDIS=redis://127.0.0.1:$RPORT/0
cat >"$T/pages.lua" <<LUA
local i = 0
request = function()
  i = i % $pages + 1
  return wrk.format(nil, "/wp-json/wp/v2/posts?per_page=100&page=" .. i .. "&orderby=modified&order=asc&_fields=$FIELDS")
end
LUA

echo "fetcher bench: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), best of $REPEATS, load $(cut -d' ' -f1 /proc/loadavg)"
echo "pages: $pages pages of 100 WordPress posts (tests/http_fixture.py, the fetcher's _fields), $BYTES bytes ($(calc "$BYTES / $pages / 1000") kB a page)"
echo "peer: $(wrk --version 2>&1 | head -n1 | awk '{print $1, $2}'), 2 threads, $CONN connections, ${SECONDS_} s; fetcher: $SOURCES sources x $POSTS posts, --host-concurrency $CONN"

# ---------------------------------------------------------------- measuring
# measure NAME PORT: rounds on stderr, then "NAME WRK_DOCS_PER_S OURS_DOCS_PER_S"
measure() {
  local name=$1 port=$2 best_wrk=0 best_ours=0 r rps wrk_docs docs t0 t1 ours s
  for ((s = 1; s <= SOURCES; s++)); do
    echo "{\"schema_version\":1,\"id\":\"bench-$s\",\"kind\":\"wordpress\",\"url\":\"http://127.0.0.1:$port\",\"allow_private\":true}"
  done >"$T/sources.jsonl"
  for ((r = 1; r <= REPEATS; r++)); do
    wrk -t2 -c"$CONN" -d"${SECONDS_}s" -s "$T/pages.lua" "http://127.0.0.1:$port" >"$T/wrk.out" 2>&1 || { cat "$T/wrk.out" >&2; exit 1; }
    grep -q "Non-2xx" "$T/wrk.out" && { echo "fetcher.sh: wrk got errors:" >&2; cat "$T/wrk.out" >&2; exit 1; }
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$T/wrk.out")
    wrk_docs=$(calc "$rps * 100" 0)
    redis-cli -p "$RPORT" flushall >/dev/null
    t0=$(now_ns)
    docs=$("$BIN/storypipe-fetcher" --stdio --redis "$REDIS" --host-concurrency "$CONN" --host-rate 100000 \
      <"$T/sources.jsonl" 2>"$T/fetcher.log" | wc -l) || { echo "fetcher.sh: the fetcher failed:" >&2; tail -5 "$T/fetcher.log" >&2; exit 1; }
    t1=$(now_ns)
    [ "$docs" -eq $((SOURCES * POSTS)) ] || { echo "fetcher.sh: $docs documents, want $((SOURCES * POSTS))" >&2; tail -5 "$T/fetcher.log" >&2; exit 1; }
    ours=$(calc "$docs / (($t1 - $t0) / 1e9)" 0)
    echo "$name round $r: wrk $(calc "$rps" 0) pages/s = $wrk_docs documents/s; fetcher $docs documents in $(calc "($t1 - $t0) / 1e6" 0) ms = $ours documents/s" >&2
    [ "$wrk_docs" -gt "$best_wrk" ] && best_wrk=$wrk_docs
    [ "$ours" -gt "$best_ours" ] && best_ours=$ours
  done
  echo "$name $best_wrk $best_ours"
}
results=("$(measure memory "$mport")")
results+=("$(measure fixture "$fport")")

echo
printf '%-27s %12s %8s %15s %8s %7s\n' server "wrk docs/s" "MB/s" "fetcher docs/s" "MB/s" ratio
for line in "${results[@]}"; do
  read -r name w o <<<"$line"
  case $name in memory) label="memory (bench/wp_server)" ;; *) label="fixture (http_fixture.py)" ;; esac
  printf '%-27s %12s %8s %15s %8s %7s\n' "$label" "$w" "$(calc "$w / 100 * $BYTES / $pages / 1e6")" \
    "$o" "$(calc "$o / 100 * $BYTES / $pages / 1e6")" "$(calc "$o / $w" 2)"
done
echo "target: fetcher/wrk >= $TARGET"
