#!/usr/bin/env bash
# crash.sh — kill -9 each service in turn in the middle of a 10,000-document
# run and restart it, in both delivery modes. Nothing may be lost; in
# exactly-once mode a read_committed consumer of news.unique must see no
# story twice, and no story may be mistaken for a duplicate of itself.
#
# The documents are produced in ten chunks while the services run, and the
# kills fall between chunks, so each service dies with work in flight.
. "$(dirname "$0")/../lib.sh"

env_start
N=${CRASH_DOCS:-10000}
CHUNKS=10
$PY tests/gen_sources.py "$N" --prefix crash > "$T/sources.jsonl"
split -n l/$CHUNKS -d "$T/sources.jsonl" "$T/chunk."
SERVICES=(fetcher cleaner splitter deduper)

run_mode() {
  local mode=$1 prefix=$2 db=$3
  local args=(--delivery "$mode" --topic-prefix "$prefix" --instance-id crash --batch-size 200
              --partitions 4 --redis "redis://127.0.0.1:$REDIS_PORT/$db")
  start() { local s=$1; local a=("${args[@]}"); [ "$s" = deduper ] || a=("${args[@]:0:10}");
            svc_start "$s" "${a[@]}" --group "crash-$mode-$s"; }
  log "$mode: $N documents, killing each service in turn"
  for s in "${SERVICES[@]}"; do start "$s"; done
  local i=0 victim
  for chunk in "$T"/chunk.*; do
    "$STORYPIPE_BIN/storypipe" produce -k id "${prefix}sources" < "$chunk" 2>>"$T/cli.log"
    i=$((i + 1))
    # chunks 2, 4, 6, 8: kill the next service while documents are flowing
    if [ $((i % 2)) -eq 0 ] && [ $((i / 2)) -le ${#SERVICES[@]} ]; then
      sleep 0.$((RANDOM % 8 + 1))
      victim=${SERVICES[$((i / 2 - 1))]}
      svc_alive "$victim" || fail "$mode: $victim had exited before its kill"
      log "$mode: kill -9 $victim after chunk $i ($(count "${prefix}unique") unique so far)"
      svc_kill9 "$victim"
      start "$victim"
    fi
    sleep 0.5
  done
  local got
  got=$(wait_count "${prefix}unique" "$N" 300) || fail "$mode: ${prefix}unique has $got of $N"
  sleep 3
  consume "${prefix}unique" > "$T/$mode-unique.jsonl"
  consume "${prefix}duplicates" > "$T/$mode-dups.jsonl"
  consume "${prefix}dlq" > "$T/$mode-dlq.jsonl"
  [ ! -s "$T/$mode-dlq.jsonl" ] || fail "$mode: dead letters for valid input"
  local eo=()
  [ "$mode" = exactly-once ] && eo=(--exactly-once)
  $PY tests/check_unique.py --unique "$T/$mode-unique.jsonl" --duplicates "$T/$mode-dups.jsonl" \
    --sources "$T/sources.jsonl" --expect-dups 0 "${eo[@]}" || fail "$mode: delivery check"
  for s in "${SERVICES[@]}"; do svc_alive "$s" || fail "$mode: $s exited"; done
  for s in "${SERVICES[@]}"; do svc_stop "$s"; done
}

run_mode exactly-once eos. 1
run_mode at-least-once alo. 2
log "crash: both modes lost nothing; exactly-once delivered each story once"
echo "2 passed, 0 failed"
