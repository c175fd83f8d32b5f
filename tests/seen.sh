#!/usr/bin/env bash
# seen.sh — `storypipe seen` on a real seen-state: the seeds through
# fetcher | cleaner | splitter | deduper (--stdio) into a throw-away
# redis-server, then `seen stats` counts them (43 records, 43 new, no
# duplicates), `seen lookup` finds a seed's URL also with a tracking parameter
# added, `seen forget` drops it (a story with that URL is then new, not a
# duplicate by URL), the layout the state records (--bucket-bits: another
# value is refused by seen and by the deduper), and the exit codes: 0 seen,
# 1 not seen, 64 usage, 69 Redis unreachable, 78 other bucket bits.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
redis_env_start
unset STORYPIPE_DEDUP_PREFIX STORYPIPE_DEDUP_TTL_DAYS STORYPIPE_URL_TRACKING
SEEN=("$STORYPIPE_BIN/storypipe" seen)
# rc WANT CMD...: CMD's output in $T/out, and its exit status must be WANT
rc() {
  local want=$1 got=0; shift
  "$@" >"$T/out" 2>"$T/err" || got=$?
  [ "$got" -eq "$want" ] || fail "$*: exit $got, want $want: $(head -c 300 "$T/out" "$T/err")"
}

"$STORYPIPE_BIN/storypipe-fetcher" --stdio --file-root . <tests/fixtures/sources.jsonl 2>>"$T/log" |
  "$STORYPIPE_BIN/storypipe-cleaner" --stdio 2>>"$T/log" | "$STORYPIPE_BIN/storypipe-splitter" --stdio 2>>"$T/log" |
  "$STORYPIPE_BIN/storypipe-deduper" --stdio --duplicates-file "$T/dups.jsonl" >"$T/unique.jsonl" 2>>"$T/log"
[ "$(wc -l <"$T/unique.jsonl")" -eq 43 ] && [ ! -s "$T/dups.jsonl" ] || fail "the seeds: $(wc -l <"$T/unique.jsonl") unique, want 43"
ok

# stats: the seeds' 43 stories, all new
rc 0 "${SEEN[@]}" stats --json
jq -e '.decisions.new == 43 and .decisions.total == 43 and .decisions.duplicate == 0 and .decisions.replay == 0
       and .kinds.r.entries == 43 and .records == 43 and .kinds.c.entries == 43 and .kinds.n.entries > 0 and .kinds.w.keys == 1
       and .kinds.u.entries == ([inputs | select(.canonical_url != null) | .canonical_url] | unique | length)
       and .rates.duplicate == 0 and .rates.new == 1 and .kinds.other.keys == 0 and .used_memory > 0
       and .bytes_per_record > 0' "$T/out" "$T/unique.jsonl" >/dev/null || fail "stats --json: $(cat "$T/out")"
# a near log of SimHash version 1 (sp:n<day>, common/seen.h), left to
# expire after an upgrade, counts as a near log too, not as another key
redis-cli -p "$REDIS_PORT" set sp:n20000 "$(printf '%024d' 0)" >/dev/null
rc 0 "${SEEN[@]}" stats --json
jq -e '.kinds.n.keys == 2 and .kinds.n.entries > 1 and .kinds.other.keys == 0' "$T/out" >/dev/null ||
  fail "stats --json, a version 1 near log: $(cat "$T/out")"
redis-cli -p "$REDIS_PORT" del sp:n20000 >/dev/null
rc 0 "${SEEN[@]}" stats
grep -Eq '^  r story records +[0-9]+ +43 ' "$T/out" && grep -Eq '^  new +43 +100\.00%' "$T/out" &&
  grep -q '^duplicate rate 0.00% ' "$T/out" && grep -q 'bytes per story record' "$T/out" || fail "stats: $(cat "$T/out")"
# another prefix holds nothing; the environment sets it, a flag overrides it
rc 0 env STORYPIPE_DEDUP_PREFIX=other: "${SEEN[@]}" stats --json
jq -e '.keys == 0 and .decisions.total == 0 and .rates.duplicate == null' "$T/out" >/dev/null || fail "stats, empty prefix: $(cat "$T/out")"
rc 0 env STORYPIPE_DEDUP_PREFIX=other: "${SEEN[@]}" stats --json --key-prefix sp:
jq -e '.decisions.new == 43' "$T/out" >/dev/null || fail "--key-prefix does not override the environment"
ok

# lookup: a seed story's URL, with a tracking parameter added, is still its own
read -r url canon owner < <(jq -r 'select(.url != null and .canonical_url != null) | "\(.url) \(.canonical_url) \(.story_id)"' \
  "$T/unique.jsonl" | head -1)
case $url in *\?*) tracked="$url&utm_source=x" ;; *) tracked="$url?utm_source=x" ;; esac
rc 0 "${SEEN[@]}" lookup "$tracked"
grep -qx "canonical_url  $canon" "$T/out" && grep -qx "story_id       $owner" "$T/out" && grep -q '^seen           20' "$T/out" ||
  fail "lookup $tracked: $(cat "$T/out")"
rc 0 "${SEEN[@]}" lookup --json "$tracked"
jq -e --arg c "$canon" --arg o "$owner" '.seen and .canonical_url == $c and .story_id == $o and .age_days == 0
       and .expired == false and (.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))' "$T/out" >/dev/null ||
  fail "lookup --json: $(cat "$T/out")"
rc 1 "${SEEN[@]}" lookup "https://example.com/never-seen"
grep -qx 'not seen: https://example.com/never-seen' "$T/out" || fail "lookup of an unseen URL: $(cat "$T/out")"
rc 1 "${SEEN[@]}" lookup --key-prefix other: "$url"
ok

# forget: the URL is no longer seen; a story with it was a duplicate by URL
# before, and is new after
story() { # story ID TITLE: a story of its own (text, title, summary) under the URL
  jq -c --arg id "$1" --arg t "$2" 'select(.story_id == "'"$owner"'") | del(.dedup) | .story_id = $id | .title = $t
    | .summary = ("About " + $t) | .body = ("A short story of its own, " + $t + ", for tests/seen.sh.")' "$T/unique.jsonl"
}
story 00000000000000a1 "before forgetting" | "$STORYPIPE_BIN/storypipe-deduper" --stdio --duplicates-file "$T/d1.jsonl" >/dev/null 2>>"$T/log"
jq -e --arg o "$owner" '.dedup.reason == "url" and .dedup.duplicate_of == $o' "$T/d1.jsonl" >/dev/null ||
  fail "a story with a seen URL is not a duplicate by URL: $(cat "$T/d1.jsonl")"
rc 0 "${SEEN[@]}" forget "$tracked"
grep -qx "forgot $canon (claimed by story $owner, seen 20[0-9-]*)" "$T/out" || fail "forget: $(cat "$T/out")"
rc 1 "${SEEN[@]}" lookup "$url"
grep -qx "not seen: $canon" "$T/out" || fail "lookup after forget: $(cat "$T/out")"
rc 1 "${SEEN[@]}" lookup --json "$url"
jq -e '.seen == false and (has("story_id") | not)' "$T/out" >/dev/null || fail "lookup --json after forget: $(cat "$T/out")"
rc 0 "${SEEN[@]}" forget --json "$url"
jq -e '.forgotten == false' "$T/out" >/dev/null || fail "forget of a forgotten URL: $(cat "$T/out")"
rc 0 "${SEEN[@]}" forget "$url"
grep -q '^not seen: .*(nothing to forget)$' "$T/out" || fail "forget twice: $(cat "$T/out")"
story 00000000000000a2 "after forgetting" | "$STORYPIPE_BIN/storypipe-deduper" --stdio --duplicates-file "$T/d2.jsonl" >"$T/u2.jsonl" 2>>"$T/log"
jq -e '.dedup.decision == "new"' "$T/u2.jsonl" >/dev/null && [ ! -s "$T/d2.jsonl" ] ||
  fail "after forget, a story with the URL is still a duplicate: $(cat "$T/d2.jsonl")"
rc 0 "${SEEN[@]}" lookup "$url"
grep -qx "story_id       00000000000000a2" "$T/out" || fail "the new story does not own the URL: $(cat "$T/out")"
rc 0 "${SEEN[@]}" stats --json
jq -e '.decisions.new == 44 and .decisions.duplicate_url == 1 and .records == 45' "$T/out" >/dev/null ||
  fail "stats after forget: $(cat "$T/out")"
ok

# the layout: the state records the --bucket-bits it was written with (a
# hash's bucket depends on them); a deduper or seen with others is refused
# (exit 78), not left to look for every claim in the wrong bucket
rc 0 "${SEEN[@]}" stats --json
jq -e '.bucket_bits == 12' "$T/out" >/dev/null || fail "stats --json: the layout: $(cat "$T/out")"
rc 0 "${SEEN[@]}" stats
grep -q '^seen-state under prefix "sp:" (SCAN), 12 bucket bits: 4096 buckets per kind$' "$T/out" || fail "stats: the layout: $(head -1 "$T/out")"
rc 78 "${SEEN[@]}" lookup --bucket-bits 13 "$url"
grep -q 'written with --bucket-bits 12, not 13' "$T/err" || fail "seen --bucket-bits 13: $(cat "$T/err")"
rc 78 env STORYPIPE_DEDUP_BUCKET_BITS=13 "${SEEN[@]}" stats
story 00000000000000a3 "other buckets" >"$T/a3.jsonl"
rc 78 "$STORYPIPE_BIN/storypipe-deduper" --stdio --bucket-bits 13 --duplicates-file "$T/d3.jsonl" <"$T/a3.jsonl"
[ ! -s "$T/out" ] && [ ! -s "$T/d3.jsonl" ] && grep -q "under key prefix 'sp:' .* was written with --bucket-bits 12, not 13" "$T/err" ||
  fail "deduper --bucket-bits 13 on a state of 12: $(cat "$T/out" "$T/err")"
# under a prefix of its own, 13 is recorded; seen reads it from there
rc 0 "${SEEN[@]}" stats --json --key-prefix b13:
jq -e '.bucket_bits == null and .keys == 0' "$T/out" >/dev/null || fail "stats of an empty prefix: the layout: $(cat "$T/out")"
rc 0 "$STORYPIPE_BIN/storypipe-deduper" --stdio --bucket-bits 13 --key-prefix b13: --duplicates-file "$T/d3.jsonl" <"$T/a3.jsonl"
jq -e '.dedup.decision == "new"' "$T/out" >/dev/null || fail "deduper --bucket-bits 13 under its own prefix: $(cat "$T/out" "$T/err")"
rc 0 "${SEEN[@]}" stats --json --key-prefix b13:
jq -e '.bucket_bits == 13 and .records == 1 and .kinds.other.keys == 0' "$T/out" >/dev/null || fail "stats, 13 bucket bits: $(cat "$T/out")"
rc 0 "${SEEN[@]}" lookup --key-prefix b13: "$url"
grep -qx "story_id       00000000000000a3" "$T/out" || fail "lookup under 13 recorded bucket bits: $(cat "$T/out")"
rc 0 "$STORYPIPE_BIN/storypipe-deduper" --stdio --bucket-bits 13 --key-prefix b13: --duplicates-file "$T/d3.jsonl" <"$T/a3.jsonl"
[ ! -s "$T/out" ] && [ ! -s "$T/d3.jsonl" ] || fail "deduper --bucket-bits 13, again: not a replay: $(cat "$T/out" "$T/d3.jsonl")"
ok

# usage and exit codes
rc 0 "${SEEN[@]}" --help
grep -q 'storypipe seen lookup' "$T/out" && grep -q 'STORYPIPE_REDIS_URL' "$T/out" && grep -q 'Exit codes' "$T/out" ||
  fail "seen --help: $(cat "$T/out")"
rc 0 "$STORYPIPE_BIN/storypipe" --help
grep -Eq '^  seen ' "$T/out" || fail "storypipe --help does not list seen"
rc 64 "${SEEN[@]}"
rc 64 "${SEEN[@]}" frobnicate
rc 64 "${SEEN[@]}" lookup
rc 64 "${SEEN[@]}" lookup "$url" extra
rc 64 "${SEEN[@]}" stats extra
rc 64 "${SEEN[@]}" --nope stats
rc 64 "${SEEN[@]}" lookup "not a url"
rc 64 "${SEEN[@]}" stats --redis http://127.0.0.1/
rc 64 "${SEEN[@]}" stats --ttl-days 0
rc 64 "${SEEN[@]}" stats --bucket-bits 3
rc 64 "${SEEN[@]}" stats --key-prefix "$(printf 'p%.0s' $(seq 65))"
rc 64 "${SEEN[@]}" lookup --url-tracking 'bad name' "$url"
rc 69 "${SEEN[@]}" stats --redis "redis://127.0.0.1:$("$ROOT/scripts/free-port.sh")/0"
ok
echo "$pass passed, 0 failed"
