#!/usr/bin/env bash
# rebalance.sh — scale a stage up and down in the middle of a run: a second
# cleaner joins (the group rebalances; the first commits what it has on
# revoke), then the first is stopped with SIGTERM (it commits and leaves),
# then it comes back. In exactly-once mode nothing is lost or doubled; in
# at-least-once mode nothing is lost. /metrics agrees with what arrived.
. "$(dirname "$0")/../lib.sh"

env_start
N=${REBALANCE_DOCS:-6000}
$PY tests/gen_sources.py "$N" --prefix rb > "$T/sources.jsonl"
split -n l/6 -d "$T/sources.jsonl" "$T/chunk."

run_mode() {
  local mode=$1 prefix=$2 db=$3 mport
  mport=$("$ROOT/scripts/free-port.sh")
  local args=(--delivery "$mode" --topic-prefix "$prefix" --partitions 6 --batch-size 100)
  svc_start fetcher "${args[@]}" --group "rb-$mode-fetcher" --instance-id f
  svc_start cleaner@a "${args[@]}" --group "rb-$mode-cleaner" --instance-id a
  svc_start splitter "${args[@]}" --group "rb-$mode-splitter" --instance-id s
  svc_start deduper "${args[@]}" --group "rb-$mode-deduper" --instance-id d \
    --redis "redis://127.0.0.1:$REDIS_PORT/$db" --metrics-port "$mport" --metrics-addr 127.0.0.1
  local i=0
  for chunk in "$T"/chunk.*; do
    "$STORYPIPE_BIN/storypipe" produce -k id "${prefix}sources" < "$chunk" 2>>"$T/cli.log"
    i=$((i + 1))
    case $i in
      2) log "$mode: a second cleaner joins"; svc_start cleaner@b "${args[@]}" --group "rb-$mode-cleaner" --instance-id b ;;
      4) log "$mode: the first cleaner is stopped (SIGTERM)"; svc_stop cleaner@a ;;
      5) log "$mode: the first cleaner comes back"; svc_start cleaner@a "${args[@]}" --group "rb-$mode-cleaner" --instance-id a ;;
    esac
    sleep 1
  done
  local got
  got=$(wait_count "${prefix}unique" "$N" 240) || fail "$mode: ${prefix}unique has $got of $N"
  sleep 3
  consume "${prefix}unique" > "$T/$mode-unique.jsonl"
  local eo=()
  [ "$mode" = exactly-once ] && eo=(--exactly-once)
  $PY tests/check_unique.py --unique "$T/$mode-unique.jsonl" --sources "$T/sources.jsonl" "${eo[@]}" ||
    fail "$mode: delivery check"
  grep -q '"event":"partitions_revoked"' "$T/cleaner@a.log" || fail "$mode: the first cleaner saw no revocation"
  # the deduper's own count of acknowledged outputs matches what arrived
  curl -sf "http://127.0.0.1:$mport/metrics" > "$T/$mode-metrics.txt" || fail "$mode: /metrics unreachable"
  local produced lines
  produced=$(awk '/^storypipe_messages_produced_total\{.*output="unique"/ {print $2}' "$T/$mode-metrics.txt")
  lines=$(wc -l < "$T/$mode-unique.jsonl")
  [ "$mode" = at-least-once ] || [ "$produced" -eq "$lines" ] || fail "$mode: /metrics says $produced produced, topic has $lines"
  [ "$produced" -ge "$N" ] || fail "$mode: /metrics says $produced produced, want >= $N"
  curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null || fail "$mode: /healthz"
  curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null || fail "$mode: /readyz"
  for s in fetcher cleaner@a cleaner@b splitter deduper; do svc_stop "$s"; done
  log "$mode: $N stories through a scale-up and a scale-down"
}

run_mode exactly-once eos. 1
run_mode at-least-once alo. 2
echo "2 passed, 0 failed"
