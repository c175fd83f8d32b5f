#!/usr/bin/env bash
# pipeline.sh — 1,000 documents (plus the seed documents, 43 stories, and 50 documents
# that reuse earlier URLs) through all four services on a real Kafka broker
# and Redis, exactly-once: every story arrives in news.unique once, every
# reused URL in news.duplicates, and every emitted message validates
# against schemas/. The same input through the --stdio pipeline gives the
# same stories.
. "$(dirname "$0")/../lib.sh"

env_start
N=1000 DUPS=50
$PY tests/gen_sources.py $N --dup $DUPS --prefix e2e > "$T/generated.jsonl"
cat tests/fixtures/sources.jsonl "$T/generated.jsonl" > "$T/sources.jsonl"
SEEDS=43 # the seeds' stories: 10 + 12 + 9 + 1 + 11, none with another's URL
WANT_UNIQUE=$((N + SEEDS))

"$STORYPIPE_BIN/storypipe" topics create --partitions 4 2>>"$T/cli.log"
for s in fetcher cleaner splitter deduper; do svc_start $s --metrics-port 0; done
"$STORYPIPE_BIN/storypipe" produce -k id news.sources < "$T/sources.jsonl" 2>>"$T/cli.log"

got=$(wait_count news.unique $WANT_UNIQUE 180) || fail "news.unique has $got of $WANT_UNIQUE messages"
wait_count news.duplicates $DUPS 60 >/dev/null || fail "news.duplicates has fewer than $DUPS messages"
sleep 3 # anything extra would arrive now
for t in raw clean stories unique duplicates dlq; do consume news.$t > "$T/$t.jsonl"; done

[ "$(wc -l < "$T/unique.jsonl")" -eq $WANT_UNIQUE ] || fail "news.unique has $(wc -l < "$T/unique.jsonl") messages, want $WANT_UNIQUE"
[ "$(wc -l < "$T/duplicates.jsonl")" -eq $DUPS ] || fail "news.duplicates has $(wc -l < "$T/duplicates.jsonl"), want $DUPS"
[ ! -s "$T/dlq.jsonl" ] || fail "dead letters for valid input: $(head -c 400 "$T/dlq.jsonl")"
$PY tests/check_unique.py --unique "$T/unique.jsonl" --duplicates "$T/duplicates.jsonl" \
  --sources "$T/sources.jsonl" --stories "$T/stories.jsonl" --exactly-once --expect-dups $DUPS || fail "unique check"

# every message each stage emitted validates against its schema
$PY tests/schema_check.py raw "$T/raw.jsonl" || fail "news.raw schema"
$PY tests/schema_check.py clean "$T/clean.jsonl" || fail "news.clean schema"
$PY tests/schema_check.py story "$T/stories.jsonl" || fail "news.stories schema"
$PY tests/schema_check.py unique "$T/unique.jsonl" || fail "news.unique schema"
$PY tests/schema_check.py duplicate "$T/duplicates.jsonl" || fail "news.duplicates schema"

# the WordPress seed's clean document: its text is what `storypipe-cleaner
# --html` makes of content.rendered, its title is decoded, its metadata kept
seed=tests/fixtures/seeds/003_9d9fcb9bef2a428f.txt
jq -c 'select(.source.id == "newsbeep-493939")' "$T/clean.jsonl" > "$T/wp-clean.json"
[ "$(wc -l < "$T/wp-clean.json")" -eq 1 ] || fail "news.clean has $(wc -l < "$T/wp-clean.json") documents of the WordPress seed"
jq -r .content.rendered "$seed" | "$STORYPIPE_BIN/storypipe-cleaner" --html - > "$T/wp-want.txt"
jq -j .text "$T/wp-clean.json" > "$T/wp-got.txt" && echo >> "$T/wp-got.txt"
cmp -s "$T/wp-want.txt" "$T/wp-got.txt" || fail "the WordPress seed's clean text differs from --html's"
[ "$(jq -r .title "$T/wp-clean.json")" = "$(jq -r .title.rendered "$seed")" ] ||
  fail "WordPress title: $(jq -r .title "$T/wp-clean.json")"
[ "$(jq -r '.wordpress.id, .published_at, .url' "$T/wp-clean.json" | tr '\n' ' ')" = \
  "493939 2026-02-23T10:59:38Z https://www.newsbeep.com/ca/493939/ " ] || fail "WordPress metadata: $(jq -c '{wordpress, published_at, url}' "$T/wp-clean.json")"
[ "$(jq .word_count "$T/wp-clean.json")" -eq "$(wc -w < "$T/wp-got.txt")" ] || fail "word_count"

# the --stdio pipeline runs the same transforms: same story ids
redis-cli -p "$REDIS_PORT" -n 1 flushdb >/dev/null
"$STORYPIPE_BIN/storypipe-fetcher" --stdio < "$T/sources.jsonl" 2>>"$T/stdio.log" |
  "$STORYPIPE_BIN/storypipe-cleaner" --stdio 2>>"$T/stdio.log" |
  "$STORYPIPE_BIN/storypipe-splitter" --stdio 2>>"$T/stdio.log" |
  "$STORYPIPE_BIN/storypipe-deduper" --stdio --redis "redis://127.0.0.1:$REDIS_PORT/1" \
    --duplicates-file "$T/stdio-dups.jsonl" 2>>"$T/stdio.log" > "$T/stdio-unique.jsonl"
cmp <(jq -r .story_id "$T/stories.jsonl" | sort) \
    <(cat "$T/stdio-unique.jsonl" "$T/stdio-dups.jsonl" | jq -r .story_id | sort) ||
  fail "--stdio and Kafka mode disagree on the stories"
for s in fetcher cleaner splitter deduper; do svc_alive $s || fail "$s exited"; done
log "pipeline: $WANT_UNIQUE unique + $DUPS duplicates, schemas valid, stdio == kafka"
echo "1 passed, 0 failed"
