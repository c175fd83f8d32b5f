#!/usr/bin/env bash
# stage-overhead.sh — what the stage runtime costs: messages/s through a
# pass-through stage (storypipe-passthrough) on a real Kafka broker, against
# kcat consuming and producing the same messages in the same run.
#
#   bench/stage-overhead.sh            (after: cmake -S . -B build && cmake --build build)
#
# One broker on loopback (tests/lib.sh), N messages of ~1 KB JSON produced
# once to an input topic with kcat, then, one after the other, on that input:
#
#   kcat          kcat -C (read_committed, to the end) | kcat -P into its own
#                 topic, keys kept; timed from start until kcat -P has had
#                 every message acknowledged and exits;
#   exactly-once  storypipe-passthrough --delivery exactly-once, own group and
#                 output topic; timed from process start until it has had N
#                 outputs acknowledged (its /metrics) and the last transaction
#                 is committed (the output's last stable offset has caught up
#                 with its high watermark: a read_committed consumer sees all);
#   at-least-once the same with --delivery at-least-once; timed until N outputs
#                 are acknowledged.
#
# rate = N / wall-clock seconds, start-up included, nothing subtracted; the
# stage's "steady" rate (from its first consumed input) is printed alongside,
# and the CPU time (user+system) per message of the stage process and of the
# two kcat processes, which is less sensitive to other load on the machine.
# Every output topic is then counted (messages and payload bytes, read
# committed) against the input. A benchmark, not a test: the exit status says
# whether the runs worked, not how fast they were.
#
# Environment:
#   BENCH_MESSAGES     N [200000]
#   BENCH_BYTES        approximate size of one message [1024]
#   BENCH_PARTITIONS   partitions of every topic [6]
#   BENCH_STAGE_OPTS   extra storypipe-passthrough flags for both modes,
#                      e.g. "-X producer.linger.ms=20"
#   BENCH_EOS_OPTS, BENCH_ALO_OPTS   extra flags for one mode only, e.g.
#                      BENCH_EOS_OPTS="--batch-size 10000" (fewer transactions)
#   BENCH_RUNS         which stage runs [exactly-once at-least-once exactly-once-dom at-least-once-dom]
#   BENCH_ROUNDS       rounds of all runs, each into new topics; medians
#                      are reported [1]
#   BENCH_TIMEOUT      seconds without progress before a run is failed [120]
#   STORYPIPE_BIN      the build's bin/ [build/bin]; KEEP_TMP=1 keeps the state
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/lib.sh"

N=${BENCH_MESSAGES:-200000}
MSG_BYTES=${BENCH_BYTES:-1024}
PARTS=${BENCH_PARTITIONS:-6}
STALL=${BENCH_TIMEOUT:-120}
RUNS=${BENCH_RUNS:-exactly-once at-least-once exactly-once-dom at-least-once-dom}
read -r -a STAGE_OPTS <<<"${BENCH_STAGE_OPTS:-}"
read -r -a EOS_OPTS <<<"${BENCH_EOS_OPTS:-}"
read -r -a ALO_OPTS <<<"${BENCH_ALO_OPTS:-}"
IN=bench.in
DLQ=bench.dlq

[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_MESSAGES must be a positive integer" >&2; exit 64; }
[[ $PARTS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_PARTITIONS must be a positive integer" >&2; exit 64; }
for tool in kcat curl awk; do
  command -v "$tool" >/dev/null || { echo "stage-overhead.sh: $tool not found" >&2; exit 69; }
done
[ -x "$STORYPIPE_BIN/storypipe-passthrough" ] ||
  { echo "stage-overhead.sh: $STORYPIPE_BIN/storypipe-passthrough missing; build first" >&2; exit 69; }

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) + 0.5 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# 1234567 -> 1,234,567
commas() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'; }

# One metric's value from a /metrics text, e.g. metric "$text" messages_produced_total
metric() { awk -v m="storypipe_$2" 'index($1, m) == 1 && (substr($1, length(m) + 1, 1) == "{" ) { s += $2 } END { printf "%d", s }' <<<"$1"; }

# Sum of the end offsets of TOPIC's partitions: the high watermark, or with
# "committed" the last stable offset (what a read_committed consumer can reach).
end_offsets() {
  local topic=$1 iso=read_uncommitted args=() p
  [ "${2:-}" = committed ] && iso=read_committed
  for ((p = 0; p < PARTS; p++)); do args+=(-t "$topic:$p:-1"); done
  kcat -Q -b "$STORYPIPE_BROKERS" -X "isolation.level=$iso" "${args[@]}" 2>/dev/null |
    awk '$3 == "offset" { s += $4; n++ } END { if (n == 0) exit 1; printf "%d", s }'
}

# "messages bytes" in TOPIC, read committed.
topic_totals() {
  kcat -C -b "$STORYPIPE_BROKERS" -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%S\n' 2>>"$T/kcat.log" |
    awk '{ n++; b += $1 } END { printf "%d %d", n, b }'
}

# Start storypipe-passthrough in the background; its pid in STAGE_PID and its
# metrics port in STAGE_PORT. Args: LOG-NAME, then flags.
stage_start() {
  local name=$1; shift
  STAGE_PORT=$("$ROOT/scripts/free-port.sh")
  "$STORYPIPE_BIN/${STAGE_BIN:-storypipe-passthrough}" -b "$STORYPIPE_BROKERS" --input-topic "$IN" --dlq-topic "$DLQ" \
    --partitions "$PARTS" --metrics-port "$STAGE_PORT" --metrics-addr 127.0.0.1 --instance-id bench \
    "$@" >"$T/$name.out" 2>"$T/$name.log" &
  STAGE_PID=$!
  SVC_PID[$name]=$STAGE_PID # env_stop stops it if this script dies
}

stage_stop() {
  local name=$1 rc=0
  kill -TERM "$STAGE_PID" 2>/dev/null || true
  wait "$STAGE_PID" || rc=$?
  unset "SVC_PID[$name]"
  [ "$rc" -eq 0 ] || fail "storypipe-passthrough ($name) exited with $rc; see $T/$name.log"
}

scrape() { curl -fsS --max-time 2 "http://127.0.0.1:$STAGE_PORT/metrics" 2>/dev/null || true; }

# Create the topics a stage with output OUT uses, with PARTS partitions, by
# running the stage until it is ready (it creates its topics at start) with
# the input still empty, then stopping it.
create_topics() {
  local out=$1 i
  stage_start setup --delivery at-least-once --group bench-setup --output-topic "$out"
  for i in $(seq 1 300); do
    curl -fsS --max-time 1 "http://127.0.0.1:$STAGE_PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$STAGE_PID" 2>/dev/null || break
    sleep 0.1
  done
  stage_stop setup
}

# Run storypipe-passthrough in MODE (exactly-once | at-least-once) into OUT
# until N outputs are acknowledged (and, for exactly-once, committed).
# Sets RUN_SECS, RUN_STEADY_SECS, RUN_CPU (its user+system seconds) and RUN_METRICS.
run_stage() {
  local run=$1 out=$2 group=$3; shift 3
  local mode=${run%-dom} t0 t1 tfirst="" text produced=0 consumed=0 last=-1 last_change=$SECONDS
  STAGE_BIN=storypipe-passthrough
  [ "$run" = "$mode" ] || STAGE_BIN=storypipe-passthrough-dom
  log "$run: $STAGE_BIN -> $out"
  t0=$(now)
  stage_start "$run" --delivery "$mode" --group "$group" --output-topic "$out" "$@"
  while :; do
    text=$(scrape)
    produced=$(metric "$text" messages_produced_total)
    consumed=$(metric "$text" messages_consumed_total)
    [ -z "$tfirst" ] && [ "$consumed" -gt 0 ] && tfirst=$(now)
    if [ "$produced" -ge "$N" ]; then
      [ "$mode" != exactly-once ] && break
      # all acknowledged; done when no transaction is open on the output
      [ "$(end_offsets "$out" committed)" = "$(end_offsets "$out")" ] && break
    fi
    kill -0 "$STAGE_PID" 2>/dev/null || fail "$run: $STAGE_BIN died; see $T/$run.log"
    if [ "$produced" != "$last" ]; then last=$produced; last_change=$SECONDS; fi
    [ $((SECONDS - last_change)) -lt "$STALL" ] ||
      fail "$run: no progress for ${STALL}s ($consumed consumed, $produced produced of $N)"
    sleep 0.05
  done
  t1=$(now)
  RUN_METRICS=$(scrape)
  RUN_CPU=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$STAGE_PID/stat")
  stage_stop "$run"
  RUN_SECS=$(elapsed "$t0" "$t1")
  RUN_STEADY_SECS=$(elapsed "${tfirst:-$t0}" "$t1")
  log "$run: $N in ${RUN_SECS}s"
}

check_topic() {
  local what=$1 topic=$2 got
  got=$(topic_totals "$topic")
  [ "$got" = "$N $IN_BYTES" ] ||
    fail "$what: $topic holds $got (messages bytes), want $N $IN_BYTES"
}

env_start

# --- input -------------------------------------------------------------------
# Line i: "id<TAB>{"schema_version":1,"id":"id","seq":i,"text":"..."}" with the
# text words drawn from a fixed list (seeded: the same input every run), ASCII,
# no escapes, so the stage's re-serialisation is byte-for-byte the input.
log "generating $N messages of ~$MSG_BYTES bytes"
awk -v n="$N" -v size="$MSG_BYTES" 'BEGIN {
  srand(42)
  nw = split("storm council market election river bridge school hospital budget police " \
             "minister festival harbour railway museum weather vote court strike energy " \
             "farmers mayor museum airport football report inquiry housing water tax", w, " ")
  for (i = 1; i <= n; i++) {
    id = sprintf("m%09d", i)
    head = sprintf("{\"schema_version\":1,\"id\":\"%s\",\"seq\":%d,\"text\":\"", id, i)
    text = ""
    while (length(head) + length(text) + 2 < size) text = text w[int(rand() * nw) + 1] " "
    text = substr(text, 1, size - length(head) - 2)
    printf "%s\t%s%s\"}\n", id, head, text
  }
}' >"$T/input.tsv"
IN_BYTES=$(awk -F '\t' '{ b += length($2) } END { printf "%d", b }' "$T/input.tsv")

ROUNDS=${BENCH_ROUNDS:-1}
log "creating topics ($PARTS partitions each, $ROUNDS round(s))"
for ((r = 1; r <= ROUNDS; r++)); do
  create_topics "bench.peer.out.$r"
  for mode in exactly-once at-least-once; do create_topics "bench.out.$mode.$r"; done
done

log "producing the input with kcat"
t0=$(now)
kcat -P -b "$STORYPIPE_BROKERS" -t "$IN" -K $'\t' -l "$T/input.tsv" 2>>"$T/kcat.log" ||
  fail "kcat could not produce the input; see $T/kcat.log"
INPUT_SECS=$(elapsed "$t0" "$(now)")
[ "$(end_offsets "$IN")" = "$N" ] || fail "input topic holds $(end_offsets "$IN") messages, want $N"

# "3m1.250s" (bash times) -> seconds
tsecs() { awk -v t="$1" 'BEGIN { split(t, a, /[ms]/); printf "%.2f", a[1] * 60 + a[2] }'; }

# One round: the kcat peer, then the stage in both modes, each into its own
# topic. Appends "mode seconds steady-seconds cpu-seconds note" lines to $T/results.
run_round() {
  local r=$1 t0 ct mode extra dl note
  log "round $r: kcat: consume $IN | produce bench.peer.out.$r"
  t0=$(now)
  # the subshell's `times`: user and system time of both kcat processes
  ct=$( (kcat -C -b "$STORYPIPE_BROKERS" -t "$IN" -o beginning -e -q -X isolation.level=read_committed \
           -f '%k\t%s\n' 2>>"$T/kcat.log" |
         kcat -P -b "$STORYPIPE_BROKERS" -t "bench.peer.out.$r" -K $'\t' 2>>"$T/kcat.log") &&
        times) || fail "the kcat pipeline failed; see $T/kcat.log"
  PEER_SECS=$(elapsed "$t0" "$(now)")
  read -r cu cs <<<"$(tail -1 <<<"$ct")"
  log "round $r: kcat: $N in ${PEER_SECS}s"
  check_topic kcat "bench.peer.out.$r"
  echo "kcat $PEER_SECS $PEER_SECS $(awk -v a="$(tsecs "$cu")" -v b="$(tsecs "$cs")" 'BEGIN { printf "%.2f", a + b }') -" >>"$T/results"

  for run in $RUNS; do
    mode=${run%-dom}
    extra=("${STAGE_OPTS[@]}")
    if [ "$mode" = exactly-once ]; then extra+=("${EOS_OPTS[@]}"); else extra+=("${ALO_OPTS[@]}"); fi
    run_stage "$run" "bench.out.$run.$r" "bench-$run-$r" ${extra[@]+"${extra[@]}"}
    dl=$(metric "$RUN_METRICS" dead_letters_total)
    [ "$dl" = 0 ] || fail "$run: $dl inputs dead-lettered; see $T/$run.log"
    note="consumed=$(metric "$RUN_METRICS" messages_consumed_total)"
    if [ "$mode" = exactly-once ]; then
      note+=",transactions=$(metric "$RUN_METRICS" transactions_committed_total)"
      note+=",aborted=$(metric "$RUN_METRICS" transactions_aborted_total)"
    fi
    check_topic "$run" "bench.out.$run.$r"
    echo "$run $RUN_SECS $RUN_STEADY_SECS $RUN_CPU $note" >>"$T/results"
  done
}

: >"$T/results"
for ((r = 1; r <= ROUNDS; r++)); do run_round "$r"; done

# --- report --------------------------------------------------------------------
# median of a mode's column (2: seconds, 3: steady seconds, 4: cpu seconds)
median() {
  awk -v m="$1" -v c="$2" '$1 == m { v[n++] = $c } END {
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    printf "%s", n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$T/results"
}
rounds_of() { awk -v m="$1" -v n="$N" '$1 == m { printf "%s%d", sep, n / $2 + 0.5; sep = " " }' "$T/results"; }
us_per_msg() { awk -v s="$1" -v n="$N" 'BEGIN { printf "%.1f", s * 1e6 / n }'; }

PEER_SECS=$(median kcat 2)
peer_rate=$(rate "$N" "$PEER_SECS")
avg=$((IN_BYTES / N))
echo
echo "stage-overhead: N=$(commas "$N") messages (~$avg B JSON, keyed by id), $PARTS partitions, 1 Kafka broker on loopback"
echo "machine: nproc=$(nproc), $(uname -sm); kcat $(kcat -V 2>&1 | awk '/^Version/ { print $2; exit }'), librdkafka $(kcat -V 2>&1 | awk '/^Version/ { for (i = 1; i < NF; i++) if ($i == "librdkafka") { print $(i + 1); exit } }')"
echo "stage flags: ${BENCH_STAGE_OPTS:-(defaults)}${BENCH_EOS_OPTS:+; exactly-once: $BENCH_EOS_OPTS}${BENCH_ALO_OPTS:+; at-least-once: $BENCH_ALO_OPTS}"
echo "input produced by kcat in ${INPUT_SECS}s ($(commas "$(rate "$N" "$INPUT_SECS")") msg/s); rounds: $ROUNDS$([ "$ROUNDS" -gt 1 ] && echo " (medians shown)")"
echo
printf '%-18s %10s %8s %8s  %-7s %s
' "" "msg/s" "seconds" "CPU/msg" "vs kcat" "notes"
printf '%-18s %10s %8s %7sus  %-7s %s
' kcat "$(commas "$peer_rate")" "$PEER_SECS" "$(us_per_msg "$(median kcat 4)")" "1.00x" \
  "kcat -C | kcat -P, until all acknowledged$([ "$ROUNDS" -gt 1 ] && echo "; rounds: $(rounds_of kcat)")"
for mode in $RUNS; do
  secs=$(median "$mode" 2)
  r=$(rate "$N" "$secs")
  printf '%-18s %10s %8s %7sus  %-7s %s
' "$mode" "$(commas "$r")" "$secs" "$(us_per_msg "$(median "$mode" 4)")" \
    "$(ratio "$r" "$peer_rate")x" "steady $(commas "$(rate "$N" "$(median "$mode" 3)")") msg/s after start-up; $(awk -v m="$mode" '$1 == m { print $5; exit }' "$T/results")$([ "$ROUNDS" -gt 1 ] && echo "; rounds: $(rounds_of "$mode")")"
done
echo "(CPU/msg: user+system time of the stage process, or of both kcat processes, per message)"
echo "(exactly-once, at-least-once: storypipe-passthrough, a raw stage: envelope checked by the"
echo " scanner, bytes forwarded; *-dom: storypipe-passthrough-dom parses and re-serialises with jansson)"
echo
for mode in $RUNS; do
  r=$(rate "$N" "$(median "$mode" 2)")
  echo "$mode: $(commas "$r") msg/s = $(ratio "$r" "$peer_rate")x kcat ($(commas "$peer_rate") msg/s)"
done
