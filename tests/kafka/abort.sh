#!/usr/bin/env bash
# abort.sh — Redis failures under exactly-once on a real broker.
#
# 1. Redis is stopped between transactions and restarted (AOF on) on the
#    same port: the deduper retries with backoff, then carries on.
# 2. Redis freezes (CLIENT PAUSE) in the middle of a transaction for longer
#    than the transaction timeout, so the coordinator aborts the transaction
#    under the deduper's feet and bumps its producer epoch. librdkafka 2.0
#    reports that as fatal (fenced): the deduper must exit 70 without
#    committing, and once restarted (as a supervisor would) redo the batch.
# Every story once in news.unique (read_committed), nothing lost. (The
# non-fatal abort-and-rewind path is tested with injected errors in
# fault_injection.sh.)
. "$(dirname "$0")/../lib.sh"

REDIS_AOF=yes env_start
N=1500
$PY tests/gen_sources.py "$N" --prefix ab > "$T/sources.jsonl"
head -n 500 "$T/sources.jsonl" > "$T/first.jsonl"
sed -n 501,1000p "$T/sources.jsonl" > "$T/second.jsonl"
tail -n 500 "$T/sources.jsonl" | split -l 25 -d - "$T/third."
mport=$("$ROOT/scripts/free-port.sh")

for s in fetcher cleaner splitter; do svc_start "$s"; done
DEDUP_ARGS=(--transaction-timeout-ms 4000 --batch-ms 1500 --metrics-port "$mport" --metrics-addr 127.0.0.1)
svc_start deduper "${DEDUP_ARGS[@]}"
"$STORYPIPE_BIN/storypipe" produce -k id news.sources < "$T/first.jsonl" 2>>"$T/cli.log"
got=$(wait_count news.unique 500 120) || fail "first part: $got of 500"

log "stopping Redis for longer than the 4 s transaction timeout"
"$ROOT/scripts/redis.sh" stop "$T/redis"
"$STORYPIPE_BIN/storypipe" produce -k id news.sources < "$T/second.jsonl" 2>>"$T/cli.log"
sleep 10
grep -q '"event":"transform_retry"' "$T/deduper.log" || fail "the deduper did not retry while Redis was down"
svc_alive deduper || fail "the deduper exited while Redis was down"
"$ROOT/scripts/redis.sh" start "$T/redis" --aof --port "$REDIS_PORT" >/dev/null
log "Redis is back on port $REDIS_PORT"

got=$(wait_count news.unique 1000 120) || fail "after the outage: $got of 1000"

log "freezing Redis for 9 s in the middle of a transaction (timeout 4 s)"
i=0
for chunk in "$T"/third.*; do
  "$STORYPIPE_BIN/storypipe" produce -k id news.sources < "$chunk" 2>>"$T/cli.log"
  i=$((i + 1))
  [ "$i" -eq 8 ] && redis-cli -p "$REDIS_PORT" client pause 9000 all >/dev/null
  sleep 0.2
done
# the supervisor: a deduper whose transaction the coordinator aborted must
# stop with 70 (fenced) and is started again. (Should the freeze have fallen
# between two transactions, nothing is fenced and it simply carries on.)
rc=0
for _ in $(seq 1 30); do
  svc_alive deduper || break
  [ "$(count news.unique)" -ge "$N" ] && break
  sleep 1
done
if ! svc_alive deduper; then
  wait "${SVC_PID[deduper]}" || rc=$?
  [ "$rc" -eq 70 ] || fail "the deduper exited $rc after its transaction was aborted, want 70"
  grep -q 'fenced' "$T/deduper.log" || fail "the deduper exited 70 without a fencing error in its log"
  log "the deduper exited 70 (fenced); restarting it"
  svc_start deduper "${DEDUP_ARGS[@]}"
else
  log "the freeze fell between transactions: nothing was fenced"
fi
got=$(wait_count news.unique "$N" 120) || fail "after the freeze: $got of $N"
sleep 3
consume news.unique > "$T/unique.jsonl"
$PY tests/check_unique.py --unique "$T/unique.jsonl" --sources "$T/sources.jsonl" --exactly-once ||
  fail "delivery check"
for s in fetcher cleaner splitter deduper; do svc_alive "$s" || fail "$s exited"; done
log "abort: Redis restart and a coordinator-aborted transaction; $N stories, each once"
echo "1 passed, 0 failed"
