#!/usr/bin/env bash
# splitter.sh — the splitter on a real broker: the seed documents become
# their stories (10 + 12 + 9 + 1 + 11), every story validates against
# schemas/story.schema.json, story ids are unique and the same as --stdio
# gives; and a document the splitter cannot emit whole (one of its stories
# is larger than the producer may send) produces none of its stories, only
# a dead letter, while the documents around it are split as usual.
. "$(dirname "$0")/../lib.sh"

env_start
"$STORYPIPE_BIN/storypipe-fetcher" --stdio --file-root . < tests/fixtures/sources.jsonl 2>>"$T/stdio.log" |
  "$STORYPIPE_BIN/storypipe-cleaner" --stdio 2>>"$T/stdio.log" > "$T/seeds.jsonl"
[ "$(wc -l < "$T/seeds.jsonl")" -eq 5 ] || fail "the seeds gave $(wc -l < "$T/seeds.jsonl") clean documents"
# a bulletin of three sections whose second one is 3 MB of text
$PY - "$T/seeds.jsonl" > "$T/big.jsonl" <<'PY'
import json, sys
doc = json.loads(open(sys.argv[1]).readline())
body = "A long paragraph of the second section. " * 75000
doc["doc_id"] = "too-big-bulletin"
doc["text"] = ("(1) First title\nFirst body.\n(2) Second title\n" + body +
               "\n(3) Third title\nThird body.\n")
print(json.dumps(doc))
PY
{ head -n 2 "$T/seeds.jsonl"; cat "$T/big.jsonl"; tail -n 3 "$T/seeds.jsonl"; } > "$T/clean.jsonl"
WANT=$((10 + 12 + 9 + 1 + 11))

"$STORYPIPE_BIN/storypipe" topics create --partitions 3 2>>"$T/cli.log"
"$STORYPIPE_BIN/storypipe" produce -k doc_id news.clean < "$T/clean.jsonl" 2>>"$T/cli.log"
svc_start splitter -X producer.message.max.bytes=2000000
got=$(wait_count news.stories $WANT 90) || fail "news.stories has $got of $WANT stories"
wait_count news.dlq 1 30 >/dev/null || fail "no dead letter for the oversized bulletin"
sleep 2
consume news.stories > "$T/stories.jsonl"
consume news.dlq > "$T/dlq.jsonl"

[ "$(wc -l < "$T/stories.jsonl")" -eq $WANT ] || fail "$(wc -l < "$T/stories.jsonl") stories, want $WANT"
! grep -q '"too-big-bulletin"' "$T/stories.jsonl" || fail "a story of the oversized bulletin was emitted"
[ "$(wc -l < "$T/dlq.jsonl")" -eq 1 ] || fail "$(wc -l < "$T/dlq.jsonl") dead letters, want 1"
[ "$(jq -r .reason "$T/dlq.jsonl")" = output_too_large ] || fail "dead letter: $(jq -c '{reason, detail}' "$T/dlq.jsonl")"
$PY tests/schema_check.py story "$T/stories.jsonl" || fail "news.stories schema"
$PY tests/schema_check.py dlq "$T/dlq.jsonl" || fail "news.dlq schema"
for rule in bulletin:22 brief:9 insights:11 article:1; do
  n=$(jq -r .splitter.rule "$T/stories.jsonl" | grep -cx "${rule%%:*}" || true)
  [ "$n" -eq "${rule##*:}" ] || fail "$n stories by rule ${rule%%:*}, want ${rule##*:}"
done
[ "$(jq -r .story_id "$T/stories.jsonl" | sort -u | wc -l)" -eq $WANT ] || fail "story ids are not unique"
# positions 0..n-1 within each document
jq -r '"\(.doc_id) \(.position)"' "$T/stories.jsonl" | sort -k1,1 -k2n | awk '
  $1 != d { d = $1; want = 0 } $2 != want++ { bad = 1 } END { exit bad }' || fail "positions have gaps"
# the same documents through --stdio: the same story ids
grep -v '"too-big-bulletin"' "$T/clean.jsonl" | "$STORYPIPE_BIN/storypipe-splitter" --stdio 2>>"$T/stdio.log" > "$T/stdio.jsonl"
cmp <(jq -r .story_id "$T/stories.jsonl" | sort) <(jq -r .story_id "$T/stdio.jsonl" | sort) ||
  fail "--stdio and Kafka mode disagree on the story ids"
svc_alive splitter || fail "the splitter exited"
log "splitter: $WANT stories from 5 seeds, all-or-nothing for an oversized document"
echo "1 passed, 0 failed"
