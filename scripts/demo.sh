#!/usr/bin/env bash
# demo.sh — storypipe on the sample inputs, from nothing: installs what is
# missing, builds, starts an embedded Kafka broker (`storypipe broker`) and a
# redis-server on free loopback ports, runs the four services on the seed
# documents in tests/fixtures and prints the unique stories. Everything it
# started is stopped when it ends.
#
#   scripts/demo.sh            embedded broker (nothing else to install)
#   DEMO_KAFKA=real scripts/demo.sh   a real Apache Kafka broker (needs Java + Maven)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/install-deps.sh $([ "${DEMO_KAFKA:-}" = real ] && echo --test)
scripts/build.sh build >/dev/null
BIN=$ROOT/build/bin
T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${DEMO_KAFKA:-}" = real ] && scripts/kafka.sh stop "$T/kafka"
  scripts/redis.sh stop "$T/redis"
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

rport=$(scripts/redis.sh start "$T/redis")
create=()
if [ "${DEMO_KAFKA:-}" = real ]; then
  export STORYPIPE_BROKERS=$(scripts/kafka.sh start "$T/kafka")
else
  create=(--no-create-topics) # the embedded broker has the topics already
  "$BIN/storypipe" broker --bootstrap-file "$T/bootstrap" >/dev/null 2>"$T/broker.log" &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$T/bootstrap" ] && break; sleep 0.1; done
  export STORYPIPE_BROKERS=$(cat "$T/bootstrap")
fi
export STORYPIPE_REDIS_URL="redis://127.0.0.1:$rport/0" STORYPIPE_INSTANCE_ID=demo
echo "storypipe demo: Kafka at $STORYPIPE_BROKERS, Redis at $STORYPIPE_REDIS_URL" >&2

for s in fetcher cleaner splitter deduper; do
  "$BIN/storypipe-$s" "${create[@]}" 2>"$T/$s.log" &
  pids+=($!)
done
"$BIN/storypipe" produce --key-field id news.sources < tests/fixtures/sources.jsonl 2>>"$T/cli.log"

# as many stories as the same documents give through the --stdio filters
want=$("$BIN/storypipe-fetcher" --stdio < tests/fixtures/sources.jsonl 2>/dev/null | "$BIN/storypipe-cleaner" --stdio 2>/dev/null |
       "$BIN/storypipe-splitter" --stdio 2>/dev/null | wc -l)
for _ in $(seq 1 30); do
  n=$("$BIN/storypipe" consume -e news.unique 2>>"$T/cli.log" | wc -l)
  [ "$n" -ge "$want" ] && break
  sleep 1
done
"$BIN/storypipe" consume -e news.unique 2>>"$T/cli.log" > "$T/unique.jsonl"
echo >&2
echo "Unique stories on news.unique:" >&2
jq -r '"- \(.title // (.body[0:72] + "…"))\n    story \(.story_id)  \(.dedup.decision)  source \(.source.id)  \(.url // "no URL")  \(.body | length) chars"' "$T/unique.jsonl"
n=$(wc -l < "$T/unique.jsonl")
echo >&2
echo "$n unique stories from $(wc -l < tests/fixtures/sources.jsonl) documents. (JSON: storypipe consume news.unique)" >&2
[ "$n" -ge "$want" ]
