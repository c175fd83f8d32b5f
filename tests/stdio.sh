#!/usr/bin/env bash
# stdio.sh — the services as Unix filters (--stdio): the seed documents
# through all four, outputs valid against schemas/, dead letters on stderr or
# --dlq-file with exit code 65, and a deduper that waits for Redis when it is
# down instead of dropping or mis-deciding stories.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-stdio.XXXXXX")
trap '"$ROOT/scripts/redis.sh" stop "$T/redis"; rm -rf "$T"' EXIT
pass=0
ok() { pass=$((pass + 1)); }
port=$("$ROOT/scripts/redis.sh" start "$T/redis")

stage() { "$STORYPIPE_BIN/storypipe-$1" --stdio "${@:2}" 2>>"$T/$1.log"; }
stage fetcher < tests/fixtures/sources.jsonl > "$T/raw.jsonl"
stage cleaner < "$T/raw.jsonl" > "$T/clean.jsonl"
stage splitter < "$T/clean.jsonl" > "$T/stories.jsonl"
stage deduper --redis "redis://127.0.0.1:$port/0" --duplicates-file "$T/dups.jsonl" < "$T/stories.jsonl" > "$T/unique.jsonl"
n=$(wc -l < tests/fixtures/sources.jsonl)
for f in raw clean; do [ "$(wc -l < "$T/$f.jsonl")" -eq "$n" ] || fail "$f: $(wc -l < "$T/$f.jsonl") lines, want $n"; done
# the seeds' stories: 10 + 12 (bulletins), 9 (brief), 1 (article), 11 (insights), all unique
for f in stories unique; do [ "$(wc -l < "$T/$f.jsonl")" -eq 43 ] || fail "$f: $(wc -l < "$T/$f.jsonl") lines, want 43"; done
ok
$PY tests/schema_check.py raw "$T/raw.jsonl" >/dev/null || fail "raw schema"
$PY tests/schema_check.py clean "$T/clean.jsonl" >/dev/null || fail "clean schema"
$PY tests/schema_check.py story "$T/stories.jsonl" >/dev/null || fail "story schema"
$PY tests/schema_check.py unique "$T/unique.jsonl" >/dev/null || fail "unique schema"
ok
# the WordPress post keeps its metadata through every stage
jq -se 'map(select(.wordpress != null)) | length == 1 and .[0].wordpress.id == 493939 and
        .[0].url == "https://www.newsbeep.com/ca/493939/" and .[0].published_at == "2026-02-23T10:59:38Z"' \
  "$T/unique.jsonl" >/dev/null || fail "WordPress metadata lost"
ok
# the same stories again: each is a replay of itself, never a duplicate of
# itself, and is not emitted again; with --reemit it is, as a replay
stage deduper --redis "redis://127.0.0.1:$port/0" --duplicates-file "$T/dups2.jsonl" < "$T/stories.jsonl" > "$T/unique2.jsonl"
[ ! -s "$T/dups2.jsonl" ] || fail "a replayed story was called a duplicate of itself"
[ ! -s "$T/unique2.jsonl" ] || fail "replays were emitted again: $(jq -r .dedup.decision "$T/unique2.jsonl" | sort | uniq -c)"
stage deduper --reemit --redis "redis://127.0.0.1:$port/0" --duplicates-file "$T/dups2.jsonl" < "$T/stories.jsonl" > "$T/unique2.jsonl"
[ "$(wc -l < "$T/unique2.jsonl")" -eq 43 ] && [ "$(jq -r .dedup.decision "$T/unique2.jsonl" | sort -u)" = replay ] ||
  fail "--reemit: $(jq -r .dedup.decision "$T/unique2.jsonl" | sort | uniq -c)"
ok

# dead letters: a bad line among good ones goes to --dlq-file, the rest flows, exit 65
{ head -2 tests/fixtures/sources.jsonl; echo '{"schema_version":1,"id":"x"'; echo '[1,2]';
  printf '{"schema_version":1,"id":"bad\xff","kind":"inline","content":"x"}\n';
  echo '{"schema_version":2,"id":"v2","kind":"inline","content":"x"}'; tail -1 tests/fixtures/sources.jsonl; } > "$T/mixed.jsonl"
rc=0
"$STORYPIPE_BIN/storypipe-fetcher" --stdio --dlq-file "$T/dlq.jsonl" < "$T/mixed.jsonl" > "$T/mixed-raw.jsonl" 2>>"$T/fetcher.log" || rc=$?
[ "$rc" -eq 65 ] || fail "exit code $rc with dead letters, want 65"
[ "$(wc -l < "$T/mixed-raw.jsonl")" -eq 3 ] || fail "valid lines around bad ones were affected"
[ "$(jq -r .reason "$T/dlq.jsonl" | tr '\n' ' ')" = "invalid_json not_object invalid_utf8 unknown_schema_version " ] ||
  fail "dead-letter reasons: $(jq -r .reason "$T/dlq.jsonl" | tr '\n' ' ')"
[ "$(jq -r .input.line "$T/dlq.jsonl" | tr '\n' ' ')" = "3 4 5 6 " ] || fail "dead-letter line numbers"
$PY tests/schema_check.py dlq "$T/dlq.jsonl" >/dev/null || fail "dlq schema"
# original bytes are kept exactly, invalid UTF-8 included
[ "$(jq -r 'select(.reason=="invalid_utf8") | .original_base64' "$T/dlq.jsonl" | base64 -d | od -An -tx1 | tr -d ' \n' | grep -c ff)" -eq 1 ] || fail "original bytes not kept"
ok
# --dlq-file /dev/fd/N: the descriptor as given, not opened again: a file
# opened read-write is written over from its start and not emptied (what
# bench/deduper.sh does with its outputs); a descriptor not open: exit 69
head -c 100000 /dev/zero | tr '\0' '#' > "$T/prefilled"
rc=0
"$STORYPIPE_BIN/storypipe-fetcher" --stdio --dlq-file /dev/fd/5 < "$T/mixed.jsonl" 5<>"$T/prefilled" > /dev/null 2>>"$T/fetcher.log" || rc=$?
[ "$rc" -eq 65 ] || fail "exit code $rc with dead letters on /dev/fd/5, want 65"
n=$(grep -c '^{' "$T/prefilled" || true)
[ "$(wc -c < "$T/prefilled")" -eq 100000 ] && [ "$n" -eq 4 ] || fail "/dev/fd/5: $(wc -c < "$T/prefilled") bytes, $n dead letters"
[ "$(head -4 "$T/prefilled" | jq -r .reason | tr '\n' ' ')" = "invalid_json not_object invalid_utf8 unknown_schema_version " ] ||
  fail "/dev/fd/5: dead letters not written from the start"
[ "$(tail -n +5 "$T/prefilled" | tr -d '#' | wc -c)" -eq 0 ] || fail "/dev/fd/5: the rest of the file changed"
rc=0
"$STORYPIPE_BIN/storypipe-fetcher" --stdio --dlq-file /dev/fd/9 < "$T/mixed.jsonl" > /dev/null 2>"$T/err.txt" 9>&- || rc=$?
[ "$rc" -eq 69 ] && grep -q '"event":"open_failed"' "$T/err.txt" || fail "--dlq-file /dev/fd/9 not open: rc=$rc"
ok
# without --dlq-file, dead letters go to stderr as JSON lines
rc=0
echo 'not json' | "$STORYPIPE_BIN/storypipe-cleaner" --stdio 2>"$T/err.txt" >/dev/null || rc=$?
[ "$rc" -eq 65 ] && grep -q '"reason":"invalid_json"' "$T/err.txt" || fail "stderr dead letter (rc=$rc)"
ok
# the line reader (common/stage_stdio.c reads a batch's lines in place, in
# one buffer moved and grown between batches): 45 MB of lines of 300 bytes
# to 700 KB across its 1 MiB reads, one of 20 MiB (longer than the buffer),
# blank lines, the last line without its newline; from a file, and from a
# pipe written in pieces of 1 byte to 3 MB (a batch ends where the input
# pauses). The passthrough stage writes each line it reads: every line comes
# out once, in order, the blank ones skipped
$PY - "$T/stories.jsonl" "$T/lines.jsonl" <<'PYEOF'
import json, random, sys
stories = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rnd = random.Random(7)
size = i = 0
with open(sys.argv[2], "w") as out:
    while size < 45 << 20:
        s = dict(stories[i % len(stories)], pad="x" * rnd.choice([0, 10, 1000, 100000, 700000]))
        if i == 100:
            s["pad"] = "y" * (20 << 20)
        line = json.dumps(s) + "\n" + ("\n" if i % 97 == 0 else "")
        out.write(line)
        size += len(line)
        i += 1
    out.write(json.dumps(stories[0]))
PYEOF
{ grep -v '^$' "$T/lines.jsonl"; } > "$T/lines.want"
passthrough() { "$STORYPIPE_BIN/storypipe-passthrough" --stdio --max-message-bytes $((64 << 20)) 2>>"$T/passthrough.log"; }
passthrough < "$T/lines.jsonl" > "$T/lines.out" || fail "passthrough of the line reader's input failed"
cmp -s "$T/lines.out" "$T/lines.want" || fail "the lines read from a file are not the lines written"
$PY -c '
import sys, time
data, out, i, n = open(sys.argv[1], "rb").read(), sys.stdout.buffer, 0, 0
while i < len(data):
    k = [1, 7, 4093, 65537, 3000000][n % 5]
    out.write(data[i:i + k]); out.flush()
    i, n = i + k, n + 1
    time.sleep(0.002)
' "$T/lines.jsonl" | passthrough > "$T/lines.out" || fail "passthrough of the piped input failed"
cmp -s "$T/lines.out" "$T/lines.want" || fail "the lines read from a pipe are not the lines written"
rm -f "$T"/lines.*
ok

# a batch's outputs do not wait for the next batch's input: from a pipe
# that pauses (in the middle of the second line), the first line is out
# before the rest of the second is written (the loop overlaps two batches
# only when the next one's first line is there to read)
mkfifo "$T/fifo"
passthrough < "$T/fifo" > "$T/paused.out" &
reader=$!
exec 3>"$T/fifo"
line2=$(sed -n 2p "$T/stories.jsonl")
{ head -1 "$T/stories.jsonl"; printf '%s' "${line2:0:100}"; } >&3
end=$((SECONDS + 10))
until [ -s "$T/paused.out" ] || [ $SECONDS -ge $end ]; do sleep 0.1; done
[ -s "$T/paused.out" ] || fail "the first line waited for the input to go on"
printf '%s\n' "${line2:100}" >&3
exec 3>&-
wait "$reader" || fail "passthrough from a paused pipe failed"
cmp -s "$T/paused.out" <(head -2 "$T/stories.jsonl") || fail "the paused pipe's lines came out otherwise"
ok

# stories met again in the next batch, which the loop checks (and whose
# claims it sends) before this one is transformed: a replay of a story of
# the batch before is not emitted again, a URL of it makes a duplicate
$PY - "$T/stories.jsonl" "$T/batches.jsonl" <<'PYEOF'
import json, sys
base = json.loads(open(sys.argv[1]).readline())
lines = []
for i in range(2100):  # a batch is 2048 lines
    s = dict(base, story_id="%016x" % (0xb000 + i), title="Story %d" % i, summary=None,
             url="https://batches.example/%d" % i, canonical_url=None,
             body=" ".join("w%d_%d" % (i, k) for k in range(60)))
    lines.append(s)
lines.append(lines[5])                                                    # a replay, in the next batch
lines.append(dict(lines[6], story_id="%016x" % 0xc000, body="other text"))  # lines[6]'s URL
with open(sys.argv[2], "w") as out:
    for s in lines:
        out.write(json.dumps(s) + "\n")
PYEOF
stage deduper --redis "redis://127.0.0.1:$port/1" --duplicates-file "$T/dups4.jsonl" < "$T/batches.jsonl" > "$T/unique4.jsonl"
[ "$(wc -l < "$T/unique4.jsonl")" -eq 2100 ] || fail "next batch: $(wc -l < "$T/unique4.jsonl") unique, want 2100"
[ "$(jq -r .dedup.decision "$T/unique4.jsonl" | sort -u)" = new ] || fail "next batch: not all new"
[ "$(jq -c '[.story_id, .dedup.reason, .dedup.duplicate_of]' "$T/dups4.jsonl")" = '["000000000000c000","url","000000000000b006"]' ] ||
  fail "next batch: duplicates $(head -c 300 "$T/dups4.jsonl")"
# and Redis's replies read in step: no batch had to be tried again
! grep -q '"event":"transform_retry"' "$T/deduper.log" || fail "next batch: a retry: $(grep -m1 transform_retry "$T/deduper.log")"
ok

# stdin a regular file (mapped, not read: stage_stdio.c reader_map()) or a
# pipe: the same lines out. From the offset the file was given at (bash's
# read leaves it past the first line); a last line without its newline
# that ends exactly on a page boundary (nothing mapped after it to read);
# a file already read to its end, and an empty one: nothing, exit 0.
pt() { "$STORYPIPE_BIN/storypipe-passthrough" --stdio 2>>"$T/passthrough.log"; }
head -5 "$T/stories.jsonl" > "$T/five.jsonl"
pt < "$T/five.jsonl" > "$T/pt-file.jsonl"
cat "$T/five.jsonl" | pt > "$T/pt-pipe.jsonl"
cmp -s "$T/five.jsonl" "$T/pt-file.jsonl" || fail "stdin a file: the lines changed"
cmp -s "$T/five.jsonl" "$T/pt-pipe.jsonl" || fail "stdin a pipe: the lines changed"
{ read -r _; pt; } < "$T/five.jsonl" > "$T/pt-offset.jsonl"
cmp -s <(tail -n +2 "$T/five.jsonl") "$T/pt-offset.jsonl" || fail "stdin a file at an offset: $(wc -l < "$T/pt-offset.jsonl") lines, want 4"
$PY - "$T/five.jsonl" "$T/page.jsonl" <<'PYEOF'
import json, sys
line = json.loads(open(sys.argv[1]).readline())
one = json.dumps(line)
rest = 8192 - (len(one) + 1)  # the second line pads the file to two 4 KiB pages, no newline after it
pad = dict(line, story_id="%016x" % 0xfeed, body="")
filler = len(json.dumps(pad))
pad["body"] = "x" * (rest - filler)
text = one + "\n" + json.dumps(pad)
assert len(text) == 8192, len(text)
open(sys.argv[2], "w").write(text)
PYEOF
pt < "$T/page.jsonl" > "$T/pt-page.jsonl"
[ "$(wc -l < "$T/pt-page.jsonl")" -eq 2 ] && cmp -s <(head -c 8192 "$T/pt-page.jsonl") "$T/page.jsonl" ||
  fail "a last line without its newline at a page's end: $(wc -c < "$T/pt-page.jsonl") bytes out"
: > "$T/empty.jsonl"
pt < "$T/empty.jsonl" > "$T/pt-empty.jsonl" || fail "an empty file: exit $?"
{ cat > /dev/null; pt; } < "$T/five.jsonl" > "$T/pt-end.jsonl" || fail "a file read to its end: exit $?"
[ ! -s "$T/pt-empty.jsonl" ] && [ ! -s "$T/pt-end.jsonl" ] || fail "lines out of an empty input"
ok

# Redis down: the deduper retries with backoff, then carries on when Redis is back
"$ROOT/scripts/redis.sh" stop "$T/redis"
port2=$("$ROOT/scripts/free-port.sh")
( sleep 3; redis-server --port "$port2" --bind 127.0.0.1 --save '' --dir "$T" >"$T/redis2.log" 2>&1 ) &
starter=$!
stage deduper --redis "redis://127.0.0.1:$port2/0" --duplicates-file "$T/dups3.jsonl" < "$T/stories.jsonl" > "$T/unique3.jsonl"
[ "$(wc -l < "$T/unique3.jsonl")" -eq 43 ] || fail "stories lost while Redis was down"
[ "$(jq -r .dedup.decision "$T/unique3.jsonl" | sort -u)" = new ] || fail "mis-decided after Redis came back"
grep -q '"event":"transform_retry"' "$T/deduper.log" || fail "no retry was logged while Redis was down"
redis-cli -p "$port2" shutdown nosave >/dev/null 2>&1 || true
wait "$starter" 2>/dev/null || true
ok
echo "$pass passed, 0 failed"
