#!/usr/bin/env bash
# cli.sh — what a person meets first: --help, --version, and exit codes that
# mean something, for every executable.
set -euo pipefail
BIN=${STORYPIPE_BIN:-build/bin}
pass=0 failed=0
check() { # check DESCRIPTION WANT_RC CMD...
  local what=$1 want=$2 rc=0; shift 2
  "$@" >/tmp/cli.$$.out 2>&1 || rc=$?
  if [ "$rc" -eq "$want" ]; then pass=$((pass + 1)); else
    failed=$((failed + 1)); echo "FAIL $what: exit $rc, want $want"; head -5 /tmp/cli.$$.out; fi
}
has() { # has DESCRIPTION PATTERN CMD...
  local what=$1 pat=$2; shift 2
  local out
  out=$("$@" 2>&1) || true # whole, before grep: grep -q stops reading at a match, and a writer still writing gets SIGPIPE
  if grep -qE -- "$pat" <<<"$out"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL $what: no /$pat/"; fi
}

for s in fetcher cleaner splitter deduper; do
  b=$BIN/storypipe-$s
  check "$s --help" 0 "$b" --help
  has "$s --help names the env vars" STORYPIPE_BROKERS "$b" --help
  has "$s --help documents -X" "-X KEY=VALUE" "$b" --help
  has "$s --help documents exit codes" "Exit codes" "$b" --help
  has "$s --version" "^storypipe-$s [0-9]+\.[0-9]+\.[0-9]+" "$b" --version
  check "$s -V" 0 "$b" -V
  check "$s unknown flag" 64 "$b" --no-such-flag
  check "$s stray argument" 64 "$b" stray
  check "$s bad --delivery" 64 "$b" --delivery sometimes
  check "$s bad --batch-size" 64 "$b" --batch-size 0
  check "$s bad -X" 64 "$b" -X novalue
  check "$s bad env" 64 env STORYPIPE_BATCH_SIZE=lots "$b"
  check "$s bad --log-level" 64 "$b" --log-level loud
  check "$s rejected librdkafka property" 78 "$b" -X no.such.property=1 --no-create-topics
  check "$s --stdio with empty input" 0 "$b" --stdio </dev/null
done
has "deduper --help lists --redis" "--redis URL" "$BIN/storypipe-deduper" --help
has "deduper --help lists --duplicates-file" "--duplicates-file" "$BIN/storypipe-deduper" --help
check "deduper bad --redis" 64 "$BIN/storypipe-deduper" --redis http://x --stdio </dev/null
check "deduper bad --ttl-days" 64 "$BIN/storypipe-deduper" --ttl-days 0 --stdio </dev/null

check "storypipe without a command" 64 "$BIN/storypipe"
check "storypipe --help" 0 "$BIN/storypipe" --help
has "storypipe --version" "^storypipe [0-9]" "$BIN/storypipe" --version
check "storypipe unknown command" 64 "$BIN/storypipe" frobnicate
for c in broker topics produce consume replay sources ingest; do
  check "storypipe $c --help" 0 "$BIN/storypipe" "$c" --help
  check "storypipe $c bad flag" 64 "$BIN/storypipe" "$c" --nope
done
check "storypipe produce without topic" 64 "$BIN/storypipe" produce
check "storypipe replay without a target" 64 "$BIN/storypipe" replay --group g --topic t
check "storypipe replay with a bad time" 64 "$BIN/storypipe" replay --group g --topic t --to-datetime yesterday
check "storypipe consume unreachable broker" 69 timeout 60 "$BIN/storypipe" consume -b 127.0.0.1:1 -X socket.connection.setup.timeout.ms=1000 some.topic
rm -f /tmp/cli.$$.out
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
