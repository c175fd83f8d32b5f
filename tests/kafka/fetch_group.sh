#!/usr/bin/env bash
# fetch_group.sh — fetchers as a consumer group on news.sources, on a real
# broker and Redis, polling the WordPress-like fixture (tests/http_fixture.py):
#  1. two fetchers, 12 WordPress sources: the sources are shared out (each
#     polled by exactly one instance, both instances busy) and every post
#     reaches news.raw once per source;
#  2. one fetcher killed (SIGKILL): the other takes its sources over, and a
#     post published afterwards reaches news.raw once per source: nothing
#     missed, nothing emitted twice;
#  3. a source removed (`storypipe sources remove`): it is no longer polled.
. "$(dirname "$0")/../lib.sh"

env_start
fixture_start --posts 30
B=$FIXTURE_URL

"$STORYPIPE_BIN/storypipe" topics create >/dev/null 2>>"$T/cli.log" || fail "topics create"
ma=$("$ROOT/scripts/free-port.sh") mb=$("$ROOT/scripts/free-port.sh")
svc_start fetcher@a --instance-id a --metrics-port "$ma" --metrics-addr 127.0.0.1
svc_start fetcher@b --instance-id b --metrics-port "$mb" --metrics-addr 127.0.0.1
for i in $(seq -w 1 12); do
  echo "{\"id\":\"s$i\",\"kind\":\"wordpress\",\"url\":\"$B\",\"allow_private\":true,\"poll_interval_s\":2}"
done | "$STORYPIPE_BIN/storypipe" sources add >/dev/null 2>>"$T/cli.log" || fail "sources add"
# polled PORT: the sources an instance has polled, one a line
polled() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^storypipe_fetch_polls_total/ && $2 > 0 { split($1, a, "\""); print a[2] }' | sort; }
raw_check() { # raw_check WANT: news.raw holds WANT documents, each (source, post, revision) once
  consume news.raw | jq -r '"\(.source.id) \(.wordpress.id) \(.modified_at)"' | sort >"$T/raw.keys"
  [ "$(wc -l <"$T/raw.keys")" -eq "$1" ] || fail "news.raw: $(wc -l <"$T/raw.keys") documents, want $1"
  [ -z "$(uniq -d "$T/raw.keys")" ] || fail "emitted twice: $(uniq -d "$T/raw.keys" | head -3)"
}

# 1. shared out
got=$(wait_count news.raw 360 120) || fail "$got of 360 documents (12 sources x 30 posts)"
sleep 5 # a few more polls each
polled "$ma" >"$T/a.src"
polled "$mb" >"$T/b.src"
[ -s "$T/a.src" ] && [ -s "$T/b.src" ] || fail "one instance polled nothing: a: $(tr '\n' ' ' <"$T/a.src") b: $(tr '\n' ' ' <"$T/b.src")"
[ -z "$(comm -12 "$T/a.src" "$T/b.src")" ] || fail "sources polled by both instances: $(comm -12 "$T/a.src" "$T/b.src" | tr '\n' ' ')"
[ "$(sort -m "$T/a.src" "$T/b.src" | wc -l)" -eq 12 ] || fail "not every source polled: $(sort -m "$T/a.src" "$T/b.src" | tr '\n' ' ')"
raw_check 360
log "12 sources shared out: a polls $(wc -l <"$T/a.src"), b polls $(wc -l <"$T/b.src"); 360 documents, each once"

# 2. a killed, b takes over
svc_kill9 fetcher@a
sleep 1
curl -sf -X POST "$B/_admin/publish?title=After+the+failover" >/dev/null || fail "publish"
got=$(wait_count news.raw 372 90) || fail "after the failover: $((got - 360)) of 12 documents of the new post"
for _ in $(seq 1 30); do [ "$(polled "$mb" | wc -l)" -eq 12 ] && break; sleep 1; done
[ "$(polled "$mb" | wc -l)" -eq 12 ] || fail "b polls $(polled "$mb" | wc -l) sources, want all 12"
sleep 5
raw_check 372
log "instance a killed: b polls all 12 sources; the new post once per source"

# 3. a source removed
"$STORYPIPE_BIN/storypipe" sources remove s01 >/dev/null 2>>"$T/cli.log" || fail "sources remove"
sleep 8 # the tombstone read, and polls after it
curl -sf -X POST "$B/_admin/publish?title=After+the+removal" >/dev/null || fail "publish"
got=$(wait_count news.raw 383 60) || fail "after removing s01: $((got - 372)) of 11 documents of the next post"
sleep 6
raw_check 383
[ "$(grep -c '^s01 ' "$T/raw.keys")" -eq 31 ] || fail "the removed source was polled again"
svc_stop fetcher@b
log "fetch_group: sources shared, taken over after a kill, removed by a tombstone"
