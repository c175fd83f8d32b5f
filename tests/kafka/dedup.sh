#!/usr/bin/env bash
# dedup.sh — the deduper's decisions on a real broker and Redis (AOF on):
#  1. the seeds: 43 new stories;
#  2. a second copy of seed 000 whose URLs carry utm_source=newsletter and
#     whose texts have small edits (a word changed in each story, quotes
#     and line breaks changed): every story of the copy is a duplicate of
#     the original's (by URL, or where the section has no URL by its title
#     and summary or its near text), none is new;
#  3. the WordPress post edited after publication: an update of the same
#     story, revision 2;
#  4. news.stories replayed from the earliest offset: nothing new is
#     emitted, nothing is lost (every story is a replay of itself);
#  5. a story delivered twice, 1.5 s apart, while one transaction stays
#     open (--batch-ms 6000): two batches of the deduper, one transaction;
#     the second is a replay of what the first emitted, not emitted again.
. "$(dirname "$0")/../lib.sh"

REDIS_AOF=yes env_start
mport=$("$ROOT/scripts/free-port.sh")
for s in fetcher cleaner splitter; do svc_start $s; done
svc_start deduper --metrics-port "$mport" --metrics-addr 127.0.0.1
produce() { "$STORYPIPE_BIN/storypipe" produce -k id news.sources 2>>"$T/cli.log"; }
consumed() { curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^storypipe_messages_consumed_total/ {print $2}'; }

# 1. the seeds
produce < tests/fixtures/sources.jsonl
got=$(wait_count news.unique 43 120) || fail "seeds: $got of 43 stories in news.unique"

# 2. the copy of seed 000
$PY - > "$T/copy.jsonl" <<'PY'
import json
text = open("tests/fixtures/seeds/000_7ff9ec0222c0e5de.txt", encoding="utf-8").read()
out, edited = [], set()
for line in text.split("\n"):
    if line.startswith("News Source: "):
        u = line[len("News Source: "):]
        line = "News Source: " + u + ("&" if "?" in u else "?") + "utm_source=newsletter"
    elif len(line) > 300 and len(out) > 25 and line[:20] not in edited:
        # the first long paragraph of each section: one word changed, quotes and dashes retyped
        edited.add(line[:20])
        line = line.replace(" has ", " had ", 1).replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    out.append(line)
print(json.dumps({"schema_version": 1, "id": "cmew-036-copy", "kind": "inline", "format": "text",
                  "name": "China Media and Entertainment Weekly (forwarded)", "content": "\r\n".join(out)}))
PY
produce < "$T/copy.jsonl"
got=$(wait_count news.duplicates 10 90) || fail "the copy of seed 000: $got of 10 stories in news.duplicates"
sleep 3
consume news.duplicates > "$T/dups.jsonl"
consume news.unique > "$T/unique.jsonl"
[ "$(wc -l < "$T/unique.jsonl")" -eq 43 ] || fail "the copy made news stories: $(wc -l < "$T/unique.jsonl") in news.unique"
[ "$(wc -l < "$T/dups.jsonl")" -eq 10 ] || fail "$(wc -l < "$T/dups.jsonl") duplicates, want 10"
# each points at the original story at the same position of seed 000
jq -r 'select(.source.id == "cmew-036") | "\(.position) \(.story_id)"' "$T/unique.jsonl" | sort > "$T/orig.txt"
jq -r '"\(.position) \(.dedup.duplicate_of)"' "$T/dups.jsonl" | sort > "$T/dup_of.txt"
cmp -s "$T/orig.txt" "$T/dup_of.txt" || fail "duplicates point elsewhere: $(diff "$T/orig.txt" "$T/dup_of.txt" | head -5)"
[ "$(jq -r 'select(.url != null) | .dedup.reason' "$T/dups.jsonl" | sort -u)" = url ] || fail "stories with a URL: not by url"
# without a URL: the same title and summary (exact), or near text
jq -r 'select(.url == null) | .dedup.reason' "$T/dups.jsonl" | grep -vqx -e exact -e near &&
  fail "stories without a URL: $(jq -c 'select(.url == null) | .dedup' "$T/dups.jsonl")"
log "copy of seed 000: duplicates by $(jq -r .dedup.reason "$T/dups.jsonl" | sort | uniq -c | tr -s ' \n' ' ')"

# 3. the WordPress post, edited after publication
$PY - > "$T/wp-edit.jsonl" <<'PY'
import json
post = json.load(open("tests/fixtures/seeds/003_9d9fcb9bef2a428f.txt"))
post["modified"] = post["modified_gmt"] = "2026-02-24T08:00:00"
post["content"]["rendered"] = post["content"]["rendered"].replace("Tom Cruise and Brad Pitt", "Tom Cruise and Brad Pitt (in AI form)", 1)
print(json.dumps({"schema_version": 1, "id": "newsbeep-493939", "kind": "inline", "format": "wordpress_json",
                  "name": "newsbeep.com", "content": json.dumps(post)}))
PY
produce < "$T/wp-edit.jsonl"
got=$(wait_count news.unique 44 90) || fail "the edited post: $got of 44 in news.unique"
consume news.unique > "$T/unique.jsonl"
orig=$(jq -r 'select(.source.id == "newsbeep-493939" and .dedup.revision == 1) | .story_id' "$T/unique.jsonl")
upd=$(jq -c 'select(.source.id == "newsbeep-493939" and .dedup.revision == 2) | [.story_id, .dedup.decision]' "$T/unique.jsonl")
[ "$upd" = "[\"$orig\",\"update\"]" ] || fail "the edited post: $upd (original $orig)"
log "the edited WordPress post: an update of $orig, revision 2"

# 4. replay news.stories from the earliest offset
stories=$(count news.stories)
sleep 2 # the last transaction's confirmations
svc_stop deduper
"$STORYPIPE_BIN/storypipe" replay --group storypipe-deduper --topic news.stories --to-earliest --execute \
  >"$T/replay.out" 2>>"$T/cli.log" || fail "storypipe replay: $(cat "$T/replay.out")"
svc_start deduper --metrics-port "$mport" --metrics-addr 127.0.0.1
end=$((SECONDS + 90))
until [ "$(consumed || echo 0)" -ge "$stories" ] || [ $SECONDS -ge $end ]; do sleep 1; done
[ "$(consumed)" -ge "$stories" ] || fail "the replay consumed $(consumed) of $stories stories"
sleep 3
[ "$(count news.unique)" -eq 44 ] || fail "the replay emitted stories: news.unique has $(count news.unique)"
[ "$(count news.duplicates)" -eq 10 ] || fail "the replay emitted duplicates: $(count news.duplicates)"
consume news.unique > "$T/unique.jsonl"
consume news.duplicates > "$T/dups.jsonl"
$PY tests/schema_check.py unique "$T/unique.jsonl" || fail "news.unique schema"
$PY tests/schema_check.py duplicate "$T/dups.jsonl" || fail "news.duplicates schema"
svc_alive deduper || fail "the deduper exited"
log "replay of $stories stories from the earliest offset: nothing new, nothing lost"

# 5. the same story twice within one open transaction
svc_stop deduper
svc_start deduper --metrics-port "$mport" --metrics-addr 127.0.0.1 --batch-ms 6000
jq -nc 'first(inputs | select(.source.id == "cmew-036")) | del(.dedup)
        | .story_id = "00000000000e3c05" | .url = "https://example.com/twice" | .canonical_url = .url
        | .title = "Delivered twice" | .summary = "A story of its own, delivered twice in one transaction."
        | .body = (.body | split(" ") | reverse | join(" "))' \
  "$T/unique.jsonl" > "$T/twice.jsonl"
before=$(consumed || echo 0)
"$STORYPIPE_BIN/storypipe" produce -k story_id news.stories < "$T/twice.jsonl" 2>>"$T/cli.log"
end=$((SECONDS + 30))
until [ "$(consumed || echo 0)" -gt "$before" ] || [ $SECONDS -ge $end ]; do sleep 0.2; done
sleep 1.5
"$STORYPIPE_BIN/storypipe" produce -k story_id news.stories < "$T/twice.jsonl" 2>>"$T/cli.log"
got=$(wait_count news.unique 45 60) || fail "the story delivered twice: $got of 45 in news.unique"
sleep 8 # the transaction of the second delivery, and a margin
[ "$(consumed)" -ge $((before + 2)) ] || fail "the deduper consumed $(($(consumed) - before)) of 2 deliveries"
n=$(consume news.unique | jq -r 'select(.story_id == "00000000000e3c05") | .dedup.decision' | sort | uniq -c | tr -s ' ' | xargs)
[ "$n" = "1 new" ] || fail "the story delivered twice in one transaction: news.unique has ${n:-none} (want 1 new)"
svc_alive deduper || fail "the deduper exited"
log "a story delivered twice in one open transaction: emitted once"
echo "5 passed, 0 failed"
