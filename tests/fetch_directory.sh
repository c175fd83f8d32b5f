#!/usr/bin/env bash
# fetch_directory.sh — a directory source (newsletters dropped as files),
# with the fetcher as a filter (--stdio: one poll a run) and a throw-away
# redis-server keeping what it saw:
#   1. the first poll: a document for every ready file (.eml files as
#      e-mail: charsets decoded, Message-ID ids; text files as text); files
#      being written (.name, name.tmp, name~) skipped; a file that is not
#      UTF-8 and a broken e-mail dead-lettered, each naming its file;
#   2. the next poll: nothing, not even the dead letters again;
#   3. one file changed, one added, one moved in by a rename: three
#      documents; a copy of a known file under another name has the same
#      doc_id (the deduper downstream recognises it);
#   4. a missing directory: a dead letter (not_found); a directory outside
#      --file-root through a symlink: its files are refused (forbidden).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
redis_env_start
mkdir -p "$T/root/inbox" "$T/outside"
echo '{"schema_version":1,"id":"inbox","kind":"directory","path":"inbox","name":"Newsletters"}' >"$T/sources.jsonl"
$PY tests/schema_check.py source "$T/sources.jsonl" >/dev/null || fail "the source record does not match the schema"
# poll N: one run; documents in $T/docs.N, dead letters in $T/dlq.N, exit status in $T/rc.N
poll() {
  local rc=0
  "$STORYPIPE_BIN/storypipe-fetcher" --stdio --file-root "$T/root" --dlq-file "$T/dlq.$1" <"$T/sources.jsonl" \
    >"$T/docs.$1" 2>>"$T/fetcher.log" || rc=$?
  echo "$rc" >"$T/rc.$1"
  [ ! -s "$T/docs.$1" ] || $PY tests/schema_check.py raw "$T/docs.$1" >/dev/null || fail "poll $1: documents do not match the raw schema"
}

# 1. the first poll
cp tests/fixtures/eml/latin1.eml tests/fixtures/eml/gb2312.eml tests/fixtures/eml/alternative_qp.eml \
  tests/fixtures/eml/garbage.eml "$T/root/inbox/"
printf 'Morning digest\n\nThe harbour reopened on Monday after repairs.\n' >"$T/root/inbox/digest.txt"
printf 'caf\xe9 au lait\n' >"$T/root/inbox/latin1.txt"
printf 'half written' >"$T/root/inbox/.incoming"
printf 'half written' >"$T/root/inbox/next.txt.tmp"
printf 'editor backup' >"$T/root/inbox/digest.txt~"
poll 1
[ "$(cat "$T/rc.1")" -eq 65 ] || fail "poll 1: exit $(cat "$T/rc.1"), want 65 (dead letters)"
[ "$(wc -l <"$T/docs.1")" -eq 4 ] || fail "poll 1: $(wc -l <"$T/docs.1") documents, want 4: $(jq -c '{doc_id, title}' "$T/docs.1")"
[ "$(jq -r '"\(.reason) \(.detail)"' "$T/dlq.1" | sort | tr '\n' '|')" = \
  "invalid_mime inbox/garbage.eml: not an RFC 5322 message: no header fields|invalid_utf8 inbox/latin1.txt is not UTF-8 text|" ] ||
  fail "poll 1 dead letters: $(jq -c '{reason, detail}' "$T/dlq.1")"
jq -se 'map(select(.content_type == "text/plain" and (.body | test("harbour reopened")))) | length == 1' "$T/docs.1" >/dev/null ||
  fail "the text file's document"
jq -se 'map(select(.source.id == "inbox")) | length == 4' "$T/docs.1" >/dev/null || fail "documents without their source"
# the e-mails: decoded to UTF-8 (ISO-8859-1, GB2312, quoted-printable)
jq -r .title "$T/docs.1" | grep -q 'Les élections régionales' && jq -r .title "$T/docs.1" | grep -q '北京举行' || fail "charsets not decoded: $(jq -r .title "$T/docs.1")"
ok

# 2. the next poll: nothing
poll 2
[ "$(cat "$T/rc.2")" -eq 0 ] && [ ! -s "$T/docs.2" ] && [ ! -s "$T/dlq.2" ] ||
  fail "poll 2: $(wc -l <"$T/docs.2") documents, $(wc -l <"$T/dlq.2") dead letters, exit $(cat "$T/rc.2"), want none"
ok

# 3. changed, added, renamed in; a copy under another name
sleep 0.01
printf 'Update: the ferry resumes too.\n' >>"$T/root/inbox/digest.txt"
printf 'Evening digest\n\nThe museum opens a new wing.\n' >"$T/root/inbox/evening.txt"
printf 'Late digest\n\nThe bridge closes for a week.\n' >"$T/root/inbox/.late.txt"
mv "$T/root/inbox/.late.txt" "$T/root/inbox/late.txt"
poll 3
[ "$(wc -l <"$T/docs.3")" -eq 3 ] || fail "poll 3: $(wc -l <"$T/docs.3") documents, want 3"
jq -se 'map(.body) | (map(select(test("ferry resumes"))) | length == 1) and (map(select(test("new wing"))) | length == 1)
        and (map(select(test("bridge closes"))) | length == 1)' "$T/docs.3" >/dev/null || fail "poll 3: $(jq -c .body "$T/docs.3")"
cp "$T/root/inbox/latin1.eml" "$T/root/inbox/copy-of-latin1.eml"
poll 4
[ "$(wc -l <"$T/docs.4")" -eq 1 ] || fail "poll 4: $(wc -l <"$T/docs.4") documents, want 1"
jq -e --slurpfile d "$T/docs.1" '.doc_id as $id | [$d[] | select(.doc_id == $id)] | length == 1' "$T/docs.4" >/dev/null ||
  fail "a copy of an e-mail has a doc_id of its own"
ok

# 4. a missing directory; a symlink out of the file root
echo '{"schema_version":1,"id":"gone","kind":"directory","path":"no-such-dir"}' >"$T/sources.jsonl"
poll 5
[ "$(cat "$T/rc.5")" -eq 65 ] && [ "$(jq -r .reason "$T/dlq.5")" = not_found ] || fail "missing directory: $(cat "$T/dlq.5")"
printf 'secret\n' >"$T/outside/secret.txt"
ln -s "$T/outside" "$T/root/escape"
echo '{"schema_version":1,"id":"escape","kind":"directory","path":"escape"}' >"$T/sources.jsonl"
poll 6
[ ! -s "$T/docs.6" ] && [ "$(jq -r .reason "$T/dlq.6")" = forbidden ] || fail "symlink out of --file-root: $(cat "$T/docs.6" "$T/dlq.6")"
ok

log "fetch_directory: $pass groups of checks passed"
