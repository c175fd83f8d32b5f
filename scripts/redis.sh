#!/usr/bin/env bash
# redis.sh — a throw-away redis-server on a free loopback port, for tests and
# the demo.
#
#   scripts/redis.sh start DIR [--aof] [--port P]
#                                        start it with its files in DIR (on port P, or a
#                                        free one); prints its port
#   scripts/redis.sh stop DIR            stop the server started in DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

start() {
  local dir=${1:?usage: redis.sh start DIR [--aof] [--port P]} aof=no port=
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --aof) aof=yes ;;
      --port) port=$2; shift ;;
      *) echo "redis.sh: unknown option $1" >&2; exit 64 ;;
    esac
    shift
  done
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$("$here/free-port.sh")
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
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 64 ;;
esac
