#!/usr/bin/env bash
# kafka.sh — a real single-node Apache Kafka broker (KRaft) for tests and the demo.
#
# Debian has no Kafka package, so the broker's jars come from Maven Central
# (org.apache.kafka:kafka_2.13) and are cached under $STORYPIPE_CACHE
# (default ~/.cache/storypipe); only the first run downloads.
#
#   scripts/kafka.sh fetch              download the jars (idempotent)
#   scripts/kafka.sh start DIR          start a broker on free loopback ports,
#                                       state in DIR; prints the bootstrap address
#   scripts/kafka.sh stop DIR           stop the broker started in DIR
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-3.9.1}
CACHE=${STORYPIPE_CACHE:-$HOME/.cache/storypipe}
LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
here=$(cd "$(dirname "$0")" && pwd)

fetch() {
  [ -f "$LIBS/.complete" ] && return 0
  command -v mvn >/dev/null || { echo "kafka.sh: mvn not found (apt-get install maven)" >&2; exit 69; }
  local pom; pom=$(mktemp -d)
  cat > "$pom/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>storypipe</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  mkdir -p "$LIBS"
  (cd "$pom" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" -Dstyle.color=never) >&2 # stdout carries only the address
  rm -rf "$pom"
  touch "$LIBS/.complete"
}

start() {
  local dir=${1:?usage: kafka.sh start DIR}
  fetch
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  local bport cport
  bport=$("$here/free-port.sh"); cport=$("$here/free-port.sh")
  while [ "$cport" = "$bport" ]; do cport=$("$here/free-port.sh"); done
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=4
message.max.bytes=33554432
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$dir/log4j.properties" <<L4J
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
  local cp="$LIBS/*" uuid
  uuid=$(java -cp "$cp" kafka.tools.StorageTool random-uuid)
  java -cp "$cp" -Dlog4j.configuration="file:$dir/log4j.properties" kafka.tools.StorageTool format -t "$uuid" -c "$dir/server.properties" >"$dir/format.log" 2>&1
  nohup java -Xms256m -Xmx512m -XX:+UseSerialGC -cp "$cp" -Dlog4j.configuration="file:$dir/log4j.properties" \
    kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 &
  echo $! > "$dir/pid"
  echo "127.0.0.1:$bport" > "$dir/bootstrap"
  local i
  for i in $(seq 1 120); do
    if grep -q 'Kafka Server started' "$dir/server.log" "$dir/stdout.log" 2>/dev/null; then
      cat "$dir/bootstrap"; return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.5
  done
  echo "kafka.sh: broker did not start; see $dir/server.log $dir/stdout.log" >&2
  tail -20 "$dir/stdout.log" >&2 || true
  stop "$dir"; exit 69
}

stop() {
  local dir=${1:?usage: kafka.sh stop DIR} pid
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case "${1:-}" in
  fetch) fetch ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 64 ;;
esac
