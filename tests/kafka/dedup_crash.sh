#!/usr/bin/env bash
# dedup_crash.sh — the deduper killed (SIGKILL) between its Redis write and
# its Kafka commit, three times over, on a real broker and Redis.
#
# The test hook STORYPIPE_TEST_CRASH_AFTER=N makes the deduper kill itself
# right after the N-th batch's decisions are written to Redis, before those
# stories' transaction commits. The restarted deduper (same instance id, so
# it fences the dead one's transaction) meets those stories again: their
# records are pending, so they are emitted again with their first decision.
# With transactions of 300 stories (each a batch of its own: batches go up
# to SP_BATCH_MAX, 1024), each kill leaves some stories committed and some
# decided but not. A run that decides all its input in fewer batches than
# its crash point fails the test (it would wait forever otherwise). In the end
# news.unique (read_committed) holds every story exactly once,
# and Redis counted each story new once and the re-decided ones as replays.
. "$(dirname "$0")/../lib.sh"

REDIS_AOF=yes env_start
N=2000
$PY tests/gen_sources.py "$N" --prefix dc > "$T/sources.jsonl"
for s in fetcher cleaner splitter; do svc_start $s; done
"$STORYPIPE_BIN/storypipe" produce -k id news.sources < "$T/sources.jsonl" 2>>"$T/cli.log"
got=$(wait_count news.stories "$N" 180) || fail "news.stories has $got of $N"

for k in 3 2 2; do
  STORYPIPE_TEST_CRASH_AFTER=$k svc_start deduper --instance-id dc --batch-size 300
  for _ in $(seq 1 600); do kill -0 "${SVC_PID[deduper]}" 2>/dev/null || break; sleep 0.2; done
  kill -0 "${SVC_PID[deduper]}" 2>/dev/null && fail "the deduper was not killed after batch $k within 120 s"
  rc=0
  wait "${SVC_PID[deduper]}" || rc=$?
  unset "SVC_PID[deduper]"
  [ "$rc" -eq 137 ] || fail "the deduper exited $rc, not killed by the hook (137)"
  log "killed after batch $k: $(count news.unique) stories committed in news.unique so far"
done
grep -c '"event":"test_crash"' "$T/deduper.log" | grep -qx 3 || fail "the hook did not fire three times"
svc_start deduper --instance-id dc
got=$(wait_count news.unique "$N" 180) || fail "news.unique has $got of $N after the restarts"
sleep 3
consume news.unique > "$T/unique.jsonl"
consume news.stories > "$T/stories.jsonl"
$PY tests/check_unique.py --unique "$T/unique.jsonl" --sources "$T/sources.jsonl" --stories "$T/stories.jsonl" \
  --exactly-once || fail "delivery check"
[ "$(jq -r .dedup.decision "$T/unique.jsonl" | sort -u)" = new ] || fail "decisions: $(jq -r .dedup.decision "$T/unique.jsonl" | sort | uniq -c)"
stats=$(redis-cli -p "$REDIS_PORT" hgetall sp:stats | paste - - | tr '\t' '=' | tr '\n' ' ')
new=$(redis-cli -p "$REDIS_PORT" hget sp:stats new)
replays=$(redis-cli -p "$REDIS_PORT" hget sp:stats replay)
[ "$new" -eq "$N" ] || fail "Redis counted $new new stories, want $N ($stats)"
[ "${replays:-0}" -gt 0 ] || fail "no story was decided twice: the crashes fell nowhere ($stats)"
svc_alive deduper || fail "the deduper exited"
log "3 kills between the Redis write and the Kafka commit: $N stories once each; Redis: $stats"
echo "1 passed, 0 failed"
