#!/usr/bin/env bash
# fetch_faults.sh — the fetcher against a misbehaving web server
# (tests/http_fixture.py's /fault/ endpoints), on a real broker and Redis.
# One wordpress_post source per fault; each ends in a document (the fault
# recovered within the retries) or in one dead letter whose reason names
# the class of error, with a per-source metric either way, and the fetcher
# never crashes:
#
#   429 + Retry-After 3 s (2 attempts 200 ms apart would fail: the wait is
#   honoured) -> document    503 then ok, 500 then ok -> document
#   500 five times -> server_error    slow server -> timeout
#   17 MB body -> too_large   redirect loop -> too_many_redirects
#   3 redirects -> document   gzip body -> document   invalid JSON and an
#   HTML page -> invalid_response    401 -> unauthorized
#   basic auth, password from the environment -> document (never logged)
#   connection dropped -> network   no allow_private on a loopback address
#   -> forbidden_address, without a single request reaching the server
. "$(dirname "$0")/../lib.sh"

env_start
fixture_start --posts 8
B=$FIXTURE_URL

# id|url|auth: one source per line
# the fixture's post ids, oldest first (WordPress-like: not 1..N)
ids=$(curl -sf "$B/wp-json/wp/v2/posts?per_page=8&orderby=id&order=asc&_fields=id" | jq -r '[.[].id] | join(" ")')
$PY - "$B" $ids >"$T/sources.jsonl" <<'PY'
import json, sys
b = sys.argv[1]
post = dict(enumerate(sys.argv[2:], 1))
rows = [
    ("ok-429", "/fault/429?retry_after=3&key=a&post=%s" % post[1], None),
    ("ok-503", "/fault/503-then-ok?fails=1&key=b&post=%s" % post[2], None),
    ("ok-500", "/fault/500-then-ok?fails=1&key=c&post=%s" % post[3], None),
    ("bad-500", "/fault/500-then-ok?fails=5&key=d&post=%s" % post[3], None),
    ("bad-slow", "/fault/slow?seconds=20", None),
    ("bad-big", "/fault/big?mb=17", None),
    ("bad-loop", "/fault/redirect-loop", None),
    ("ok-redirect", "/fault/redirect?n=3&post=%s" % post[4], None),
    ("ok-gzip", "/fault/gzip?post=%s" % post[5], None),
    ("bad-json", "/fault/invalid-json?kind=truncated", None),
    ("bad-html", "/fault/invalid-json?kind=html", None),
    ("bad-401", "/fault/401", None),
    ("ok-auth", "/fault/auth?user=bot&pass=s3cret-Pw&post=%s" % post[6], {"user": "bot", "password_env": "FIXTURE_PASSWORD"}),
    ("bad-drop", "/fault/drop", None),
]
for sid, path, auth in rows:
    rec = {"schema_version": 1, "id": sid, "kind": "wordpress_post", "url": b + path, "allow_private": True}
    if auth:
        rec["auth"] = auth
    print(json.dumps(rec))
# the SSRF guard: the same server, not allowed
print(json.dumps({"schema_version": 1, "id": "bad-private", "kind": "wordpress_post", "url": b + "/wp-json/wp/v2/posts/" + post[7]}))
PY
$PY tests/schema_check.py source "$T/sources.jsonl" >/dev/null || fail "test sources do not match the schema"

mport=$("$ROOT/scripts/free-port.sh")
FIXTURE_PASSWORD=s3cret-Pw svc_start fetcher --metrics-port "$mport" --metrics-addr 127.0.0.1 \
  --http-attempts 2 --http-backoff-ms 200 --http-timeout-ms 2000
"$STORYPIPE_BIN/storypipe" topics create >/dev/null 2>>"$T/cli.log" || fail "topics create"
"$STORYPIPE_BIN/storypipe" sources add "$T/sources.jsonl" >/dev/null 2>>"$T/cli.log" || fail "sources add"

want_docs=6 want_dlq=9
got=$(wait_count news.raw $want_docs 90) || fail "$got of $want_docs documents in news.raw"
got=$(wait_count news.dlq $want_dlq 90) || fail "$got of $want_dlq dead letters in news.dlq"
sleep 3
consume news.raw >"$T/raw.jsonl"
consume news.dlq >"$T/dlq.jsonl"
svc_alive fetcher || fail "the fetcher died"

got=$(jq -r .source.id "$T/raw.jsonl" | sort | tr '\n' ' ')
[ "$got" = "ok-429 ok-500 ok-503 ok-auth ok-gzip ok-redirect " ] || fail "documents from: $got"
$PY tests/schema_check.py raw "$T/raw.jsonl" >/dev/null || fail "documents do not match schemas/raw.schema.json"
# each document is the post its fault answered with
set -- $ids
for pair in ok-429:$1 ok-503:$2 ok-500:$3 ok-redirect:$4 ok-gzip:$5 ok-auth:$6; do
  jq -se --arg s "${pair%:*}" --argjson p "${pair#*:}" 'map(select(.source.id == $s)) | length == 1 and
      (.[0].wordpress.id == $p and (.[0].body | length) > 100)' "$T/raw.jsonl" >/dev/null || fail "${pair%:*}: not post ${pair#*:}: $(jq -c --arg s "${pair%:*}" 'select(.source.id == $s) | {wordpress, url}' "$T/raw.jsonl")"
done

want="bad-401 unauthorized,bad-500 server_error,bad-big too_large,bad-drop network,bad-html invalid_response,bad-json invalid_response,bad-loop too_many_redirects,bad-private forbidden_address,bad-slow timeout,"
got=$(jq -r '"\(.input.key) \(.reason)"' "$T/dlq.jsonl" | sort | tr '\n' ',')
[ "$got" = "$want" ] || fail "dead letters: $got, want $want"
$PY tests/schema_check.py dlq "$T/dlq.jsonl" >/dev/null || fail "dead letters do not match schemas/dlq.schema.json"
jq -se 'map(select(.reason == "forbidden_address")) | length == 1 and (.[0].detail | test("refused to connect to 127\\.0\\.0\\.1"))' "$T/dlq.jsonl" >/dev/null ||
  fail "the forbidden_address dead letter does not say why: $(jq -r 'select(.reason == "forbidden_address") | .detail' "$T/dlq.jsonl")"

# requests the server saw: the guard sent none; retries as configured
n() { curl -sf "$B/_admin/count?path=$1" | jq .count; }
[ "$(n /wp-json/wp/v2/posts/$7)" -eq 0 ] || fail "the SSRF guard let $(n /wp-json/wp/v2/posts/$7) requests through"
[ "$(n /fault/429)" -eq 2 ] || fail "429: $(n /fault/429) requests, want 2 (one refused, one after Retry-After)"
[ "$(n /fault/500-then-ok)" -eq 4 ] || fail "500-then-ok: $(n /fault/500-then-ok) requests, want 2 + 2"
[ "$(n /fault/redirect-loop)" -le 6 ] || fail "redirect loop: $(n /fault/redirect-loop) requests followed"

# metrics: per source, documents and errors by class
curl -sf "http://127.0.0.1:$mport/metrics" >"$T/metrics.txt" || fail "no /metrics"
metric() { awk -v m="$1" '$1 == m {print $2}' "$T/metrics.txt"; }
for s in ok-429 ok-503 ok-500 ok-redirect ok-gzip ok-auth; do
  [ "$(metric "storypipe_fetch_documents_total{source=\"$s\"}")" = 1 ] || fail "metric documents of $s: $(grep "\"$s\"" "$T/metrics.txt")"
done
while IFS=, read -r s cls; do
  [ "$(metric "storypipe_fetch_errors_total{source=\"$s\",class=\"$cls\"}")" = 1 ] ||
    fail "metric errors of $s ($cls): $(grep "\"$s\"" "$T/metrics.txt")"
  [ "$(metric "storypipe_fetch_last_success_seconds{source=\"$s\"}")" = 0 ] || fail "$s: a last success"
done <<'EOF'
bad-500,server_error
bad-slow,timeout
bad-big,too_large
bad-loop,too_many_redirects
bad-json,invalid_response
bad-401,unauthorized
bad-drop,network
bad-private,forbidden_address
EOF

# credentials are never logged
# (the fixture's URL names the password it wants: the fetcher must not log that URL either)
grep -l -e 's3cret-Pw' -e "$(printf 'bot:s3cret-Pw' | base64)" "$T/fetcher.log" "$T/dlq.jsonl" "$T/metrics.txt" &&
  fail "the password was written out"

svc_stop fetcher
log "fetch_faults: 6 faults recovered into documents, 9 ended in dead letters with their class; metrics per source"
