#!/usr/bin/env bash
# fetch_conditional.sh — WordPress polls with the fetcher as a filter
# (--stdio: one poll a run) against tests/http_fixture.py, which (unlike
# WordPress itself) gives collections an ETag and a Last-Modified:
#   1. a poll answered in one page is asked about again with If-None-Match
#      and If-Modified-Since; the site answers 304 and nothing is emitted;
#   2. a post published: the conditional request gets a 200 and the post,
#      once;
#   3. a source with per_page 3 keeps per_page 3 on every poll (it grows
#      back only as far as the source's own value after a server error),
#      and polls of several pages (a long --overlap) are never conditional:
#      page 1 unchanged says nothing of the later pages.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
redis_env_start
fixture_start --posts 8
# poll SOURCE-JSON: one poll; prints the documents emitted
poll() { echo "$1" | "$STORYPIPE_BIN/storypipe-fetcher" --stdio ${OVERLAP:+--overlap "$OVERLAP"} 2>>"$T/fetcher.log" | wc -l; }
# statuses: the fixture's answers (status codes) to post list requests after the first $mark
mark=0
requests() { grep -E 'GET /wp-json/wp/v2/posts\?' "$T/http.log" | tail -n +$((mark + 1)); }
statuses() { requests | awk '{print $(NF-2)}' | tr '\n' ' '; }
next_mark() { mark=$(grep -cE 'GET /wp-json/wp/v2/posts\?' "$T/http.log"); }

src='{"schema_version":1,"id":"c1","kind":"wordpress","url":"'$FIXTURE_URL'","allow_private":true}'
# 1. the first poll, then the cursor's poll (a new URL: modified_after), then the same URL again
[ "$(poll "$src")" -eq 8 ] || fail "first poll"
[ "$(poll "$src")" -eq 0 ] || fail "second poll emitted documents"
[ "$(poll "$src")" -eq 0 ] || fail "third poll emitted documents"
got=$(statuses)
[ "$got" = "200 200 304 " ] || fail "answers: $got, want 200 200 304 (the third poll conditional)"
next_mark
ok

# 2. a new post: the conditional request is answered in full, the post emitted once
curl -sf -X POST "$FIXTURE_URL/_admin/publish?title=Conditional" >/dev/null || fail "publish"
[ "$(poll "$src")" -eq 1 ] || fail "the new post was not emitted"
[ "$(poll "$src")" -eq 0 ] && [ "$(poll "$src")" -eq 0 ] || fail "the new post was emitted again"
got=$(statuses)
[ "$got" = "200 200 304 " ] || fail "answers after the new post: $got, want 200 (changed) 200 (new cursor) 304"
next_mark
ok

# 3. per_page 3, and an overlap of 10 days (every poll reads all 9 posts again): three pages a
# poll, per_page 3 every time, and never conditional
export OVERLAP=864000
src='{"schema_version":1,"id":"c2","kind":"wordpress","url":"'$FIXTURE_URL'","allow_private":true,"per_page":3}'
[ "$(poll "$src")" -eq 9 ] || fail "per_page 3: first poll"
[ "$(poll "$src")" -eq 0 ] && [ "$(poll "$src")" -eq 0 ] || fail "per_page 3: later polls emitted documents"
urls=$(requests)
[ -z "$(echo "$urls" | grep -v 'per_page=3&')" ] || fail "per_page changed: $(echo "$urls" | grep -v 'per_page=3&' | head -2)"
[ "$(echo "$urls" | wc -l)" -eq 9 ] || fail "per_page 3: $(echo "$urls" | wc -l) requests, want 3 polls x 3 pages"
[ -z "$(echo "$urls" | awk '$(NF-2) == 304')" ] || fail "a poll of several pages was conditional"
ok

log "fetch_conditional: $pass groups of checks passed"
