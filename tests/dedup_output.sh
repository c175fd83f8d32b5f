#!/usr/bin/env bash
# dedup_output.sh — what storypipe-deduper writes, byte for byte where it
# matters: it copies each story as it came and appends canonical_url and
# dedup, cutting out the story's own canonical_url and dedup members
# wherever they are (first, last, the first two, next to each other, with
# white space, as an escaped key), so the output has each key once and
# every other member unchanged, in order; duplicates go to --duplicates-file; stories it
# cannot decide (no body, a bad story_id) are dead letters with their
# reason (exit 65). A throw-away redis-server.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
redis_env_start
unset STORYPIPE_DEDUP_PREFIX STORYPIPE_DEDUP_TTL_DAYS STORYPIPE_URL_TRACKING

body() { # body N: N words of a story
  python3 -c 'import sys; print(" ".join("word%d" % (i * 7919 % 1000 + int(sys.argv[2])) for i in range(int(sys.argv[1]))))' "$1" "${2:-0}"
}
B1=$(body 80 1) B2=$(body 80 2000) B3=$(body 80 4000) B4=$(body 80 6000) B5=$(body 80 8000) B6=$(body 80 10000) B7=$(body 80 12000)
S='"schema_version":1,"doc_id":"d000000000000001","position":0,"outlet":null,"photo_credit":null,"published_at":null,"language":null,"doc_url":null,"wordpress":null,"source":{},"splitter":{"rule":"single","version":1}'
cat >"$T/in.jsonl" <<EOF
{"canonical_url":"https://old.example/x","story_id":"00000000000000a1",$S,"title":"A","summary":null,"body":"$B1","url":"https://Example.com/a?utm_source=x&b=2&a=1#top","dedup":{"decision":"new"}}
{ "story_id" : "00000000000000a2" , $S , "title":null,"summary":null, "body" : "$B2" , "url" : "https://example.com/b" , "dedup" : {"x":[1,{"y":"}"}]} , "canonical_url" : null }
{"canonical\\u005furl":"https://x.example/","story_id":"00000000000000a3",$S,"title":null,"summary":null,"body":"$B3","url":null}
{"story_id":"00000000000000a4",$S,"title":null,"summary":null,"body":"$B3 again","url":"https://example.com/a?a=1&b=2&utm_medium=y","dedup":null,"canonical_url":"https://z.example/"}
{"canonical_url":null,"dedup":{},"story_id":"00000000000000a6",$S,"title":null,"summary":null,"body":"$B4","url":"https://example.com/c"}
{"story_id":"00000000000000a7",$S,"title":null,"summary":null,"body":"$B5","url":"https://example.com/d","canonical_url":null}
{"story_id":"00000000000000a8",$S,"title":null,"summary":null,"body":"$B6","url":"https://example.com/e","canonical_url":null,"extra":[1,{"k":"v"}]}
{"story_id":"00000000000000a9",$S,"title":null,"summary":null,"body":"$B7","url":"https://example.com/f","canonical_url":null}
{"story_id":"00000000000000a5",$S,"title":null,"summary":null,"url":null,"canonical_url":null}
{"story_id":"NOT-AN-ID",$S,"title":null,"summary":null,"body":"x","url":null,"canonical_url":null}
EOF
# line breaks a line can hold (\r: Kafka's messages can have \n too) as
# white space between tokens: a7 between its members and after a key; a8
# only inside a member that is an array (of an object); a9 only before its
# closing brace. They come out on one line without them
sed -i -e '/"00000000000000a7"/{s/,"title"/,\r"title"/;s/"url":/"url"\r:/}' \
  -e '/"00000000000000a8"/s/{"k"/{\r"k"/' -e '/"00000000000000a9"/s/}$/\r}/' "$T/in.jsonl"
[ "$(grep -c $'\r' "$T/in.jsonl")" = 3 ] || fail "the input has no carriage returns"
rc=0
"$STORYPIPE_BIN/storypipe-deduper" --stdio --duplicates-file "$T/dups.jsonl" --dlq-file "$T/dlq.jsonl" \
  <"$T/in.jsonl" >"$T/unique.jsonl" 2>"$T/log" || rc=$?
[ "$rc" = 65 ] || fail "exit $rc, want 65 (dead letters): $(tail -3 "$T/log")"
python3 - "$T/in.jsonl" "$T/unique.jsonl" "$T/dups.jsonl" "$T/dlq.jsonl" <<'PY' || fail "outputs: see above"
import json, sys
def once(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "a key twice: %s" % keys
    return dict(pairs)
ins = [(json.loads(l), [k for k, _ in json.loads(l, object_pairs_hook=lambda p: p)]) for l in open(sys.argv[1], newline="\n")]
out = {}
for f in sys.argv[2:4]:
    for l in open(f, newline="\n"):
        o = json.loads(l, object_pairs_hook=once)
        keys = list(json.loads(l, object_pairs_hook=lambda p: p))
        out[o["story_id"]] = (o, [k for k, _ in keys], f)
want = {"00000000000000a1": ("new", "https://example.com/a?a=1&b=2"),
        "00000000000000a2": ("new", "https://example.com/b"),
        "00000000000000a3": ("new", "https://x.example/"),  # no url: its canonical_url, canonicalised
        "00000000000000a4": ("duplicate", "https://example.com/a?a=1&b=2"),
        "00000000000000a6": ("new", "https://example.com/c"),
        "00000000000000a7": ("new", "https://example.com/d"),
        "00000000000000a8": ("new", "https://example.com/e"),
        "00000000000000a9": ("new", "https://example.com/f")}
assert set(out) == set(want), sorted(out)
for given, order in ins[:8]:
    o, keys, f = out[given["story_id"]]
    kept = [k for k in order if k not in ("canonical_url", "dedup")]
    assert keys == kept + ["canonical_url", "dedup"], keys
    for k in kept:
        assert o[k] == given[k], k
    decision, canon = want[o["story_id"]]
    assert o["dedup"]["decision"] == decision and o["canonical_url"] == canon, (o["dedup"], o["canonical_url"])
    assert ("dups" in f) == (decision == "duplicate")
d = out["00000000000000a4"][0]["dedup"]
assert d["duplicate_of"] == "00000000000000a1" and d["reason"] == "url" and d["distance"] == 0, d
dlq = [json.loads(l) for l in open(sys.argv[4])]
assert sorted(x["reason"] for x in dlq) == ["invalid_value", "missing_field"], dlq
for l in open(sys.argv[2], newline="\n"):
    assert "\r" not in l, "a carriage return in an output line: %r" % l[:80]
print("ok: 8 stories, 2 dead letters")
PY
echo "PASS dedup_output"
