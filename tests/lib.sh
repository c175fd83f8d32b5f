# tests/lib.sh — what the shell tests share: a real Kafka broker and a real
# redis-server on free loopback ports, started for one test and stopped when
# it exits, and helpers to run services and count messages.
#
#   . "$(dirname "$0")/lib.sh"      (needs STORYPIPE_BIN: the build's bin/)
#   env_start                        exports STORYPIPE_BROKERS, REDIS_URL, T (temp dir)
#   redis_env_start                  for a test without Kafka: T and a redis-server only
#                                    (STORYPIPE_REDIS_URL), both gone when the test exits
#   svc_start NAME[@TAG] [ARGS...]   starts storypipe-NAME, logs in $T/NAME[@TAG].log; pid in
#                                    SVC_PID[NAME[@TAG]] (a tag tells two instances apart)
#   fixture_start [ARGS...]          starts tests/http_fixture.py ARGS on a free port (stopped
#                                    with the rest); its base URL in FIXTURE_URL
#   count TOPIC                      committed messages in TOPIC
#   wait_count TOPIC N SECONDS       wait until TOPIC has >= N messages
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${STORYPIPE_BIN:=$ROOT/build/bin}"
PY=/usr/bin/python3
declare -A SVC_PID=()
FIXTURE_PID=

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
pass=0
ok() { pass=$((pass + 1)); } # a check passed (the count goes into the PASS line)

env_start() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-test.XXXXXX")
  trap env_stop EXIT
  REDIS_PORT=$("$ROOT/scripts/redis.sh" start "$T/redis" $([ "${REDIS_AOF:-no}" = yes ] && echo --aof))
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  STORYPIPE_BROKERS=$("$ROOT/scripts/kafka.sh" start "$T/kafka")
  export STORYPIPE_BROKERS REDIS_URL REDIS_PORT T
  log "kafka at $STORYPIPE_BROKERS, redis at $REDIS_URL, state in $T"
}

env_stop() {
  local rc=$?
  set +e
  for name in "${!SVC_PID[@]}"; do kill -TERM "${SVC_PID[$name]}" 2>/dev/null; done
  for name in "${!SVC_PID[@]}"; do wait "${SVC_PID[$name]}" 2>/dev/null; done
  [ -n "$FIXTURE_PID" ] && kill "$FIXTURE_PID" 2>/dev/null
  "$ROOT/scripts/kafka.sh" stop "$T/kafka"
  "$ROOT/scripts/redis.sh" stop "$T/redis"
  if [ "$rc" -ne 0 ]; then
    log "test failed (rc=$rc); last service logs:"
    for f in "$T"/*.log "$T"/redis/redis.log; do [ -f "$f" ] && { echo "== $f"; grep -v '"level":"info"' "$f" | tail -5; }; done >&2
  fi
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
  exit "$rc"
}

# Kafka settings for tests: a killed member leaves the group in 6 s, not 45.
TEST_KAFKA_OPTS=(-X consumer.session.timeout.ms=6000 -X consumer.heartbeat.interval.ms=1000)

redis_env_start() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-test.XXXXXX")
  trap redis_env_stop EXIT
  REDIS_PORT=$("$ROOT/scripts/redis.sh" start "$T/redis")
  export STORYPIPE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

redis_env_stop() {
  local rc=$?
  [ -n "$FIXTURE_PID" ] && kill "$FIXTURE_PID" 2>/dev/null
  "$ROOT/scripts/redis.sh" stop "$T/redis"
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
  exit "$rc"
}

svc_start() {
  local name=$1 bin=${1%@*}; shift
  local extra=()
  case $bin in deduper | fetcher) extra=(--redis "$REDIS_URL") ;; esac
  "$STORYPIPE_BIN/storypipe-$bin" "${extra[@]}" "${TEST_KAFKA_OPTS[@]}" "$@" >>"$T/$name.out" 2>>"$T/$name.log" &
  SVC_PID[$name]=$!
}

# Stop a service with SIGTERM; fails the test unless it exits 0.
fixture_start() {
  local port
  port=$("$ROOT/scripts/free-port.sh")
  $PY "$ROOT/tests/http_fixture.py" --port "$port" "$@" >"$T/http.out" 2>"$T/http.log" &
  FIXTURE_PID=$!
  for _ in $(seq 1 50); do grep -q listening "$T/http.out" && break; sleep 0.1; done
  FIXTURE_URL="http://127.0.0.1:$port"
  curl -sf "$FIXTURE_URL/wp-json/" >/dev/null || fail "the fixture server did not start: $(tail -3 "$T/http.log")"
}

svc_stop() {
  local rc=0
  kill -TERM "${SVC_PID[$1]}"
  wait "${SVC_PID[$1]}" || rc=$?
  unset "SVC_PID[$1]"
  [ "$rc" -eq 0 ] || fail "$1 exited $rc on SIGTERM"
}

svc_kill9() { kill -9 "${SVC_PID[$1]}" 2>/dev/null || true; wait "${SVC_PID[$1]}" 2>/dev/null || true; }

svc_alive() { kill -0 "${SVC_PID[$1]}" 2>/dev/null; }

consume() { "$STORYPIPE_BIN/storypipe" consume -e "$@" 2>>"$T/consume.log"; }

count() { consume "$1" | wc -l; }

wait_count() {
  local topic=$1 want=$2 secs=$3 n=0 end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    n=$(count "$topic")
    [ "$n" -ge "$want" ] && { echo "$n"; return 0; }
    sleep 1
  done
  echo "$n"
  return 1
}
