#!/usr/bin/env bash
# sources_cli.sh — `storypipe sources add|list|remove` and `storypipe ingest`
# against the embedded broker (`storypipe broker`, librdkafka's mock
# cluster: no Java), which has the pipeline's topics from its start. The
# mock does not compact news.sources, which does not
# matter: `sources list` keeps the latest record per key itself.
#
#   sources add (3 records) -> list shows 3; add one changed -> list shows
#   the new version; remove one -> list shows 2; a file with a bad line is
#   refused whole (exit 65, the line named, nothing sent); usage 64,
#   unreadable file / missing topic / unreachable broker 69;
#   ingest --dry-run of a text file and an .eml gives the same ids twice;
#   ingest for real -> list holds them; ingesting again adds nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-sources.XXXXXX")
BROKER_PID=
cleanup() {
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
SP="$STORYPIPE_BIN/storypipe"
# rc WANT CMD...: CMD's stdout in $T/out, stderr in $T/err; its exit status must be WANT
rc() {
  local want=$1 got=0; shift
  "$@" >"$T/out" 2>"$T/err" || got=$?
  [ "$got" -eq "$want" ] || fail "$*: exit $got, want $want: $(head -c 600 "$T/out" "$T/err")"
}
list_ids() { "$SP" sources list --json 2>>"$T/cli.log" | jq -r .id | tr '\n' ' '; }
export LC_ALL=C

"$SP" broker --partitions 3 --bootstrap-file "$T/bootstrap" </dev/null >/dev/null 2>>"$T/broker.log" &
BROKER_PID=$!
for _ in $(seq 1 100); do [ -s "$T/bootstrap" ] && break; sleep 0.1; done
[ -s "$T/bootstrap" ] || fail "the embedded broker did not start: $(tail -3 "$T/broker.log")"
export STORYPIPE_BROKERS=$(cat "$T/bootstrap")
unset STORYPIPE_TOPIC_PREFIX
# the embedded broker creates the pipeline's topics itself (`storypipe topics
# create` needs a controller, which librdkafka's mock cluster does not offer)

# add: three sources, one of each family
cat >"$T/three.jsonl" <<'EOF'
# comments and blank lines are skipped
{"schema_version":1,"id":"seed-a","kind":"file","path":"tests/fixtures/seeds/000_7ff9ec0222c0e5de.txt","format":"text","name":"A"}

{"id":"site-b","kind":"wordpress","url":"https://news.example.org","poll_interval_s":600,"per_page":50,"auth":{"user":"bot","password_env":"WP_PASSWORD"}}
{"schema_version":1,"id":"mail-c","kind":"eml","content_base64":"RnJvbTogYUBleGFtcGxlLm9yZwpTdWJqZWN0OiBoaQoKYm9keQo="}
EOF
rc 0 "$SP" sources add "$T/three.jsonl"
grep -q '^added 3 sources to news.sources$' "$T/out" || fail "sources add: $(cat "$T/out")"
rc 0 "$SP" sources list
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "sources list after adding 3: $(cat "$T/out")"
grep -Eq '^mail-c +eml +\(content_base64, 38 bytes\) +-$' "$T/out" &&
  grep -Eq '^seed-a +file +tests/fixtures/seeds/000_7ff9ec0222c0e5de.txt +-$' "$T/out" &&
  grep -Eq '^site-b +wordpress +https://news.example.org +600s$' "$T/out" || fail "sources list: $(cat "$T/out")"
rc 0 "$SP" sources list --json
[ "$(jq -r .id "$T/out" | tr '\n' ' ')" = "mail-c seed-a site-b " ] || fail "sources list --json: $(cat "$T/out")"
jq -se 'map(select(.id == "site-b")) | length == 1 and .[0].schema_version == 1' "$T/out" >/dev/null || fail "schema_version not filled in"
$PY tests/schema_check.py source "$T/out" >/dev/null || fail "listed records do not match schemas/source.schema.json"
ok

# add again, changed: the latest record of a key is the source
echo '{"id":"site-b","kind":"feed","url":"https://news.example.org/feed/","poll_interval_s":60}' >"$T/changed.jsonl"
rc 0 "$SP" sources add - <"$T/changed.jsonl"
rc 0 "$SP" sources list --json
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "3 sources after a change, got: $(cat "$T/out")"
jq -se 'map(select(.id == "site-b")) | length == 1 and (.[0] | .kind == "feed" and .poll_interval_s == 60 and (has("auth") | not))' "$T/out" >/dev/null ||
  fail "the changed source: $(cat "$T/out")"
rc 0 "$SP" sources list
grep -Eq '^site-b +feed +https://news.example.org/feed/ +60s$' "$T/out" || fail "changed, sources list: $(cat "$T/out")"
ok

# remove: a tombstone; the key is gone from the list
rc 0 "$SP" sources remove seed-a
grep -qx 'removed seed-a' "$T/out" || fail "sources remove: $(cat "$T/out")"
[ "$(list_ids)" = "mail-c site-b " ] || fail "after remove: $(list_ids)"
[ "$("$SP" consume -e -K news.sources 2>/dev/null | grep -c $'^seed-a\t$')" -eq 1 ] || fail "no tombstone for seed-a on the topic"
ok

# bad input: refused whole, each bad line named, nothing sent (exit 65)
printf '%s\n' '{"id":"new-d","kind":"inline","content":"fine"}' \
  '{"id":"bad-e","kind":"file"}' \
  'not json' \
  '{"id":"bad-f","kind":"wordpress","url":"https://x.example","auth":{"user":"u","password":"hunter2"}}' \
  '{"id":"bad-g","kind":"feed","url":"ftp://x.example/feed"}' \
  '{"id":"bad-h","kind":"inline","content":"x","colour":"red"}' \
  '{"id":"bad-i","kind":"wordpress","url":"https://x.example","poll_interval_s":0}' \
  '{"id":"bad-j","kind":"eml","path":"a.eml","content_base64":"QQ=="}' >"$T/bad.jsonl"
rc 65 "$SP" sources add "$T/bad.jsonl"
for want in 'bad.jsonl:2: kind file needs path' 'bad.jsonl:3: not JSON' 'bad.jsonl:4: auth must not hold the password' \
  'bad.jsonl:5: url must be an http:// or https:// URL' "bad.jsonl:6: unknown field 'colour'" \
  'bad.jsonl:7: poll_interval_s must be an integer from 1 to 2592000' 'bad.jsonl:8: kind eml needs exactly one of' \
  '7 invalid records in .*: nothing was sent'; do
  grep -q "$want" "$T/err" || fail "sources add, bad input: no '$want' in: $(cat "$T/err")"
done
grep -q 'bad.jsonl:1:' "$T/err" && fail "a good line was reported bad: $(cat "$T/err")"
[ "$(list_ids)" = "mail-c site-b " ] || fail "a refused file sent records: $(list_ids)"
$PY tests/schema_check.py source "$T/bad.jsonl" >/dev/null 2>&1 && fail "schema_check accepts the bad records"
ok

# exit codes
rc 64 "$SP" sources
rc 64 "$SP" sources frobnicate
rc 64 "$SP" sources remove
rc 64 "$SP" sources add a b
rc 64 "$SP" sources add --json "$T/three.jsonl"
rc 64 "$SP" sources list extra
rc 64 "$SP" ingest
rc 64 "$SP" ingest --format pdf "$T/three.jsonl"
rc 78 "$SP" sources list -X no.such.property=1
rc 69 "$SP" sources add "$T/no-such-file.jsonl"
rc 69 "$SP" sources add --topic-prefix other. "$T/changed.jsonl"
grep -q "topic other.sources does not exist" "$T/err" || fail "missing topic: $(cat "$T/err")"
rc 0 "$SP" sources list --topic-prefix other.
[ ! -s "$T/out" ] || fail "sources of a missing topic: $(cat "$T/out")"
rc 69 timeout 60 "$SP" sources list -b 127.0.0.1:1 -X socket.connection.setup.timeout.ms=1000
rc 0 "$SP" sources add </dev/null
ok

# ingest --dry-run: stable ids, kinds by name and by content
printf 'Harbour reopens\n\nThe harbour reopened on Monday after repairs.\n' >"$T/story.txt"
printf 'From: Digest <digest@example.org>\r\nTo: reader@example.org\r\nSubject: Morning digest\r\nDate: Mon, 3 Feb 2025 08:00:00 +0000\r\nMessage-ID: <d1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nStory one.\r\n' >"$T/digest.eml"
cp "$T/digest.eml" "$T/digest-as-text.txt"
printf 'caf\xe9\n' >"$T/latin1.txt"
rc 0 "$SP" ingest --dry-run "$T/story.txt" "$T/digest.eml"
cp "$T/out" "$T/dry1.jsonl"
rc 0 "$SP" ingest --dry-run "$T/story.txt" "$T/digest.eml"
cmp -s "$T/out" "$T/dry1.jsonl" || fail "ingest --dry-run twice differs"
$PY tests/schema_check.py source "$T/dry1.jsonl" >/dev/null || fail "ingest records do not match the schema"
{ read -r text_id; read -r eml_id; } < <(jq -r .id "$T/dry1.jsonl")
[[ $text_id =~ ^ingest:[0-9a-f]{16}$ && $eml_id =~ ^ingest:[0-9a-f]{16}$ && $text_id != "$eml_id" ]] || fail "ids: $text_id $eml_id"
jq -se --rawfile t "$T/story.txt" --rawfile e "$T/digest.eml" '
    .[0].kind == "inline" and .[0].format == "auto" and .[0].content == $t and (.[0] | has("name") | not)
    and .[1].kind == "eml" and (.[1].content_base64 | @base64d) == $e and (.[1] | has("content") | not)' \
  "$T/dry1.jsonl" >/dev/null || fail "ingest records: $(cut -c1-300 "$T/dry1.jsonl")"
# the same bytes give the same id, whatever the file is called; headers make an e-mail
rc 0 "$SP" ingest --dry-run "$T/digest-as-text.txt"
jq -e --arg id "$eml_id" '.id == $id and .kind == "eml"' "$T/out" >/dev/null || fail "sniffed e-mail: $(cut -c1-200 "$T/out")"
rc 0 "$SP" ingest --dry-run - <"$T/story.txt"
jq -e --arg id "$text_id" '.id == $id' "$T/out" >/dev/null || fail "stdin: $(cut -c1-200 "$T/out")"
rc 0 "$SP" ingest --dry-run --format text --name "Morning digest" "$T/digest.eml"
jq -e --arg id "$eml_id" '.id == $id and .kind == "inline" and .format == "text" and .name == "Morning digest"' \
  "$T/out" >/dev/null || fail "--format text --name: $(cut -c1-200 "$T/out")"
rc 65 "$SP" ingest --dry-run "$T/story.txt" "$T/latin1.txt"
grep -q "latin1.txt: not UTF-8 text" "$T/err" && [ ! -s "$T/out" ] || fail "non-UTF-8 text: $(cat "$T/out" "$T/err")"
rc 0 "$SP" ingest --dry-run --format eml "$T/latin1.txt"
jq -e '.kind == "eml"' "$T/out" >/dev/null || fail "--format eml"
: >"$T/empty.txt"
rc 65 "$SP" ingest --dry-run "$T/empty.txt"
rc 69 "$SP" ingest --dry-run "$T/no-such-file.txt"
ok

# ingest for real: both are sources now; ingesting again changes nothing
rc 65 "$SP" ingest "$T/story.txt" "$T/latin1.txt"
[ "$(list_ids)" = "mail-c site-b " ] || fail "a refused ingest sent records: $(list_ids)"
rc 0 "$SP" ingest "$T/story.txt" "$T/digest.eml"
grep -Eq "^$text_id +inline +.*/story.txt$" "$T/out" && grep -Eq "^$eml_id +eml +.*/digest.eml$" "$T/out" ||
  fail "ingest: $(cat "$T/out")"
want=$(printf '%s\n' "$text_id" "$eml_id" mail-c site-b | sort | tr '\n' ' ')
[ "$(list_ids)" = "$want" ] || fail "after ingest: $(list_ids), want $want"
rc 0 "$SP" ingest "$T/digest-as-text.txt" "$T/story.txt"
[ "$(list_ids)" = "$want" ] || fail "after ingesting the same bytes again: $(list_ids), want $want"
rc 0 "$SP" sources list --json
jq -se --slurpfile d "$T/dry1.jsonl" '[.[] | select(.id | startswith("ingest:"))] == ($d | sort_by(.id))' "$T/out" >/dev/null ||
  fail "listed ingest records differ from the dry run"
rc 0 "$SP" sources remove "$text_id" "$eml_id"
[ "$(list_ids)" = "mail-c site-b " ] || fail "after removing the ingested: $(list_ids)"
ok

log "sources_cli: $pass groups of checks passed"
