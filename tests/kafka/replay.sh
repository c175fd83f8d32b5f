#!/usr/bin/env bash
# replay.sh — reprocessing a topic after a fix with `storypipe replay`: a
# dry run changes nothing, --execute is refused while the stage runs, and
# with the stage stopped it moves the group back so that the restarted
# stage processes its input again (the same documents, the same doc_ids).
. "$(dirname "$0")/../lib.sh"

env_start
N=200
$PY tests/gen_sources.py "$N" --prefix rp > "$T/sources.jsonl"
"$STORYPIPE_BIN/storypipe-fetcher" --stdio < "$T/sources.jsonl" > "$T/raw.jsonl" 2>>"$T/fetcher.log"
"$STORYPIPE_BIN/storypipe" topics create --partitions 3 2>>"$T/cli.log"
"$STORYPIPE_BIN/storypipe" produce -k doc_id news.raw < "$T/raw.jsonl" 2>>"$T/cli.log"
svc_start cleaner
got=$(wait_count news.clean "$N" 60) || fail "first pass: $got of $N"
replay() { "$STORYPIPE_BIN/storypipe" replay --group storypipe-cleaner --topic news.raw "$@" 2>>"$T/cli.log"; }

# while the cleaner runs, --execute is refused
rc=0
replay --to-earliest --execute > "$T/refused.txt" || rc=$?
[ "$rc" -eq 69 ] || fail "replay --execute with the group running: exit $rc, want 69"
svc_stop cleaner

# the dry run shows the plan and changes nothing
replay --to-earliest > "$T/plan.txt" || fail "dry run failed"
grep -q "dry run" "$T/plan.txt" || fail "no dry-run notice"
[ "$(awk 'NR > 1 && $3 ~ /^[0-9]+$/ { s += $3 } END { print s }' "$T/plan.txt")" -eq 0 ] || fail "plan does not go to 0"
[ "$(awk 'NR > 1 && $2 ~ /^[0-9]+$/ { s += $2 } END { print s }' "$T/plan.txt")" -eq "$N" ] ||
  fail "plan shows $(awk 'NR > 1 && $2 ~ /^[0-9]+$/ { s += $2 } END { print s }' "$T/plan.txt") committed, want $N"
replay --to-earliest > "$T/plan2.txt"
cmp -s "$T/plan.txt" "$T/plan2.txt" || fail "a dry run changed the committed offsets"

# --shift-by is clamped to the partition's range; --to-latest is the end
replay --shift-by -100000 | awk 'NR > 1 && $3 ~ /^[0-9]+$/ && $3 != 0 { bad = 1 } END { exit bad }' ||
  fail "--shift-by is not clamped to the start"
replay --to-datetime 2000-01-01T00:00:00Z | awk 'NR > 1 && $3 ~ /^[0-9]+$/ && $3 != 0 { bad = 1 } END { exit bad }' ||
  fail "--to-datetime before the first message is not the start"
rc=0; replay --to-earliest --to-latest >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 64 ] || fail "two targets: exit $rc, want 64"

# apply, restart: every document is cleaned again
replay --to-earliest --execute > "$T/applied.txt" || fail "replay --execute failed: $(cat "$T/applied.txt")"
svc_start cleaner
got=$(wait_count news.clean $((2 * N)) 60) || fail "after replay: $got of $((2 * N))"
consume news.clean | jq -r .doc_id | sort | uniq -c | awk '$1 != 2 { bad++ } END { exit bad > 0 }' ||
  fail "the replay did not process every document exactly once more"
svc_stop cleaner
log "replay: dry run, refusal while running, clamping, and a full reprocess of $N documents"
echo "1 passed, 0 failed"
