#!/usr/bin/env bash
# redis.sh — a throw-away redis-server on a free loopback port, for tests and
# the demo.
#
#   scripts/redis.sh start DIR [--aof]   start it with its files in DIR; prints its port
#   scripts/redis.sh stop DIR            stop the server started in DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

start() {
  local dir=${1:?usage: redis.sh start DIR [--aof]} aof=no port
  [ "${2:-}" = --aof ] && aof=yes
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  port=$("$here/free-port.sh")
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly "$aof" --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "$port" > "$dir/port"; echo "$port"; return 0; }
    sleep 0.05
  done
  echo "redis.sh: redis-server did not start; see $dir/redis.log" >&2
  exit 69
}

stop() {
  local dir=${1:?usage: redis.sh stop DIR} pid
  [ -f "$dir/redis.pid" ] || return 0
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$dir/redis.pid"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 64 ;;
esac
