#!/usr/bin/env bash
# wordpress.sh — the fetcher against a real WordPress (Debian's wordpress,
# MariaDB and php-cli, scripts/wordpress.sh), the whole pipeline running on
# a real broker and Redis:
#  1. a site with 250 posts: the first poll emits every post once;
#  2. the polls after it emit nothing;
#  3. two posts edited and one published: the next poll emits exactly
#     those three, and the deduper passes them on as 2 updates and 1 new;
#  4. a second site (200 posts, 10 a page, pages slowed down by the
#     fetcher's --host-rate): the fetcher is killed (SIGKILL) in the middle
#     of its pagination and started again; downstream of the deduper every
#     post of both sites is in news.unique once, nothing lost, nothing
#     repeated.
. "$(dirname "$0")/../lib.sh"

env_start
WP1=$("$ROOT/scripts/wordpress.sh" start "$T/wp1" 2>>"$T/wp.log") || fail "WordPress did not start: $(tail -5 "$T/wp.log")"
trap '"$ROOT/scripts/wordpress.sh" stop "$T/wp1" 2>/dev/null; "$ROOT/scripts/wordpress.sh" stop "$T/wp2" 2>/dev/null; env_stop' EXIT
"$ROOT/scripts/wordpress.sh" posts "$T/wp1" 250 >"$T/wp1.ids" 2>>"$T/wp.log" || fail "inserting posts"
WP2=$("$ROOT/scripts/wordpress.sh" start "$T/wp2" 2>>"$T/wp.log") || fail "the second WordPress did not start"
"$ROOT/scripts/wordpress.sh" posts "$T/wp2" 200 >"$T/wp2.ids" 2>>"$T/wp.log" || fail "inserting posts"
log "WordPress sites at $WP1 (250 posts) and $WP2 (200 posts)"

"$STORYPIPE_BIN/storypipe" topics create >/dev/null 2>>"$T/cli.log" || fail "topics create"
FETCH_OPTS=(--poll-interval 2 --host-rate 4)
m1=$("$ROOT/scripts/free-port.sh")
svc_start fetcher "${FETCH_OPTS[@]}" --metrics-port "$m1" --metrics-addr 127.0.0.1
for s in cleaner splitter deduper; do svc_start $s; done
add() { "$STORYPIPE_BIN/storypipe" sources add >/dev/null 2>>"$T/cli.log" || fail "sources add"; }
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
polls() { metric "$1" "storypipe_fetch_polls_total{source=\"$2\"}"; }
# wait_polls PORT SOURCE N: until N more polls of SOURCE have finished
wait_polls() {
  local start end=$((SECONDS + 60))
  start=$(polls "$1" "$2")
  while [ $SECONDS -lt $end ]; do
    [ "$(polls "$1" "$2")" -ge $((${start:-0} + $3)) ] && return 0
    sleep 0.5
  done
  fail "$2: fewer than $3 polls in 60 s"
}
raw_ids() { consume news.raw | jq -r --arg s "$1" 'select(.source.id == $s) | .wordpress.id' | sort; }
# what each topic holds, for a failure's message
topics() { for t in raw clean stories unique duplicates dlq; do printf '%s=%s ' $t "$(count news.$t)"; done; }

# 1. the first poll: every post once
echo "{\"id\":\"wp1\",\"kind\":\"wordpress\",\"url\":\"$WP1\",\"allow_private\":true,\"per_page\":50}" | add
got=$(wait_count news.raw 250 120) || fail "first poll: $got of 250 posts in news.raw"
raw_ids wp1 >"$T/first.ids"
sort "$T/wp1.ids" | cmp -s - "$T/first.ids" || fail "first poll: the posts emitted are not the site's: $(diff <(sort "$T/wp1.ids") "$T/first.ids" | head -5)"
log "first poll: 250 posts, each once"

# 2. later polls: nothing
wait_polls "$m1" wp1 2
[ "$(count news.raw)" -eq 250 ] || fail "polls after the first emitted $(($(count news.raw) - 250)) documents"
log "two more polls: nothing emitted"

# 3. two edits and one new post: exactly those three
e1=$(sed -n 2p "$T/wp1.ids") e2=$(sed -n 200p "$T/wp1.ids")
"$ROOT/scripts/wordpress.sh" edit "$T/wp1" "$e1" >/dev/null 2>>"$T/wp.log" || fail "edit $e1"
"$ROOT/scripts/wordpress.sh" edit "$T/wp1" "$e2" >/dev/null 2>>"$T/wp.log" || fail "edit $e2"
new=$("$ROOT/scripts/wordpress.sh" publish "$T/wp1" 2>>"$T/wp.log") || fail "publish"
got=$(wait_count news.raw 253 60) || fail "after 2 edits and 1 new post: $((got - 250)) documents, want 3"
wait_polls "$m1" wp1 2
raw_ids wp1 >"$T/second.ids"
[ "$(wc -l <"$T/second.ids")" -eq 253 ] || fail "after 2 edits and 1 new post: $(($(wc -l <"$T/second.ids") - 250)) documents, want 3"
[ "$(comm -13 "$T/first.ids" "$T/second.ids" | sort -n | tr '\n' ' ')" = "$(printf '%s\n' "$e1" "$e2" "$new" | sort -n | tr '\n' ' ')" ] ||
  fail "the 3 documents are posts $(comm -13 "$T/first.ids" "$T/second.ids" | tr '\n' ' '), want $e1 $e2 (edited) $new (new)"
got=$(wait_count news.unique 253 60) || fail "news.unique: $got of 253"
consume news.unique >"$T/unique.jsonl"
[ "$(jq -r 'select(.dedup.decision == "update") | "\(.dedup.revision) \(.url)"' "$T/unique.jsonl" | sort | awk '{print $1}' | tr '\n' ' ')" = "2 2 " ] ||
  fail "the edits are not updates (revision 2): $(jq -c 'select(.dedup.decision != "new") | .dedup' "$T/unique.jsonl")"
log "2 edits and 1 new post: exactly 3 documents; the deduper made 2 updates and 1 new story"

# 4. the second site, the fetcher killed in the middle of its pages
echo "{\"id\":\"wp2\",\"kind\":\"wordpress\",\"url\":\"$WP2\",\"allow_private\":true,\"per_page\":10}" | add
end=$((SECONDS + 60)) docs=0
while [ $SECONDS -lt $end ]; do
  docs=$(metric "$m1" 'storypipe_fetch_documents_total{source="wp2"}')
  [ "${docs:-0}" -ge 40 ] && break
  sleep 0.2
done
svc_kill9 fetcher
[ "${docs:-0}" -ge 40 ] && [ "$docs" -lt 200 ] || fail "the fetcher was not stopped mid-pagination ($docs of 200 documents emitted)"
before=$(raw_ids wp2 | wc -l)
log "fetcher killed after emitting $docs of the second site's 200 posts ($before committed in news.raw)"
m2=$("$ROOT/scripts/free-port.sh")
svc_start fetcher@2 "${FETCH_OPTS[@]}" --metrics-port "$m2" --metrics-addr 127.0.0.1
got=$(wait_count news.unique 453 180) || {
  consume news.duplicates | jq -c '{url, dedup}' | head -3 >&2
  fail "after the restart: $got of 453 stories in news.unique; $(topics)"; }
for _ in $(seq 1 60); do [ -n "$(polls "$m2" wp2)" ] && break; sleep 1; done
wait_polls "$m2" wp2 2
wait_polls "$m2" wp1 1
sleep 3
raw_ids wp2 >"$T/wp2-raw.ids"
sort -u "$T/wp2.ids" | cmp -s - <(sort -u "$T/wp2-raw.ids") || fail "second site: posts missing from news.raw"
consume news.unique >"$T/unique.jsonl"
[ "$(wc -l <"$T/unique.jsonl")" -eq 453 ] || fail "news.unique holds $(wc -l <"$T/unique.jsonl") stories, want 453"
# every post of the second site once, by its link; the first site's as before
$PY - "$T/unique.jsonl" "$WP1" "$WP2" <<'PY' || fail "news.unique"
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
by_site = collections.defaultdict(list)
for r in rows:
    by_site[sys.argv[2] if r["url"].startswith(sys.argv[2] + "/") else sys.argv[3]].append(r)
bad = []
for site, want_new, want_upd in ((sys.argv[2], 251, 2), (sys.argv[3], 200, 0)):
    rs = by_site[site]
    dec = collections.Counter(r["dedup"]["decision"] for r in rs)
    if dec != collections.Counter({"new": want_new, **({"update": want_upd} if want_upd else {})}):
        bad.append("%s: decisions %s" % (site, dict(dec)))
    rep = [u for u, n in collections.Counter((r["url"], r["dedup"]["revision"]) for r in rs).items() if n > 1]
    if rep:
        bad.append("%s: %d stories repeated, e.g. %s" % (site, len(rep), rep[0]))
if bad:
    sys.exit("; ".join(bad))
PY
$PY tests/schema_check.py unique "$T/unique.jsonl" >/dev/null || fail "news.unique does not match its schema"
log "wordpress: restart mid-pagination: $(wc -l <"$T/wp2-raw.ids") documents of the second site in news.raw ($(($(wc -l <"$T/wp2-raw.ids") - 200)) fetched again), 200 stories in news.unique, each once"
