#!/usr/bin/env bash
# fault_injection.sh — failures a real broker will not produce on demand,
# injected with the embedded broker (`storypipe broker`, librdkafka's mock
# cluster), against the cleaner:
#
# 1. exactly-once: AddOffsetsToTxn fails with a permanent error, which makes
#    the transaction abortable: the stage must abort, rewind to the start of
#    the batch, redo it and carry on (the mock shows aborted records to
#    consumers, so only "nothing lost" is checked here; exactly-once itself
#    is checked on a real broker in kafka/crash.sh and kafka/abort.sh).
# 2. exactly-once: produce requests fail permanently: the transaction
#    cannot commit, so it is aborted and redone; the stage keeps running.
# 3. at-least-once: produce requests fail permanently, so outputs are not
#    delivered: the stage must stop (exit 70) without committing past the
#    first undelivered input, and a restart must redo it: nothing lost.
# 4. at-least-once backpressure: the broker answers every request 100 ms
#    late, so acknowledgements lag: the stage must never hold more than
#    --max-in-flight inputs unacknowledged (its storypipe_in_flight gauge,
#    sampled while the documents flow), however large a batch it may take.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-fault.XXXXXX")
BROKER_PID= CLEANER_PID=
cleanup() {
  [ -n "$CLEANER_PID" ] && kill "$CLEANER_PID" 2>/dev/null
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null
  wait 2>/dev/null
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
N=300

broker_start() { # a fresh embedded broker whose stdin is the FIFO $T/ctl
  rm -f "$T/ctl" "$T/bootstrap"
  mkfifo "$T/ctl"
  "$STORYPIPE_BIN/storypipe" broker --partitions 3 --bootstrap-file "$T/bootstrap" <"$T/ctl" >/dev/null 2>>"$T/broker.log" &
  BROKER_PID=$!
  exec 3>"$T/ctl" # keep the FIFO open for commands
  for _ in $(seq 1 100); do [ -s "$T/bootstrap" ] && break; sleep 0.1; done
  export STORYPIPE_BROKERS=$(cat "$T/bootstrap")
  "$STORYPIPE_BIN/storypipe" produce -k doc_id news.raw < "$T/raw.jsonl" 2>>"$T/cli.log"
}
broker_stop() { exec 3>&-; kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=; }
cleaner() { "$STORYPIPE_BIN/storypipe-cleaner" --no-create-topics --instance-id fault "${TEST_KAFKA_OPTS[@]}" "$@" \
              2>>"$T/cleaner.log" & CLEANER_PID=$!; }
clean_docs() { "$STORYPIPE_BIN/storypipe" consume -e news.clean 2>>"$T/cli.log" | jq -r .doc_id | sort -u | wc -l; }
wait_docs() {
  for _ in $(seq 1 "$1"); do [ "$(clean_docs)" -ge "$N" ] && return 0; sleep 1; done
  return 1
}

$PY tests/gen_sources.py "$N" --prefix fi > "$T/sources.jsonl"
"$STORYPIPE_BIN/storypipe-fetcher" --stdio < "$T/sources.jsonl" > "$T/raw.jsonl" 2>>"$T/fetcher.log"

# 1. exactly-once: abortable transaction errors
broker_start
echo "fail AddOffsetsToTxn 3" >&3
mport=$("$ROOT/scripts/free-port.sh")
cleaner --batch-ms 100 --metrics-port "$mport" --metrics-addr 127.0.0.1
wait_docs 90 || fail "exactly-once: $(clean_docs) of $N documents after injected transaction errors"
aborted=$(curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^storypipe_transactions_aborted_total/ {print $2}')
[ "${aborted:-0}" -ge 1 ] || fail "exactly-once: no transaction was aborted and rewound (aborted=$aborted)"
grep -q '"event":"transaction_aborted"' "$T/cleaner.log" || fail "no transaction_aborted log line"
kill -0 "$CLEANER_PID" || fail "exactly-once: the cleaner exited"
kill -TERM "$CLEANER_PID"; wait "$CLEANER_PID" || fail "exactly-once: the cleaner did not stop cleanly"; CLEANER_PID=
log "exactly-once: $aborted aborted transactions rewound and redone; all $N documents arrived"
broker_stop

# 2. exactly-once: outputs that cannot be delivered
broker_start
echo "fail Produce 3 10" >&3 # MSG_SIZE_TOO_LARGE: permanent, never retried
mport=$("$ROOT/scripts/free-port.sh")
cleaner --batch-ms 100 --metrics-port "$mport" --metrics-addr 127.0.0.1 --group fault-eos-produce
wait_docs 90 || fail "exactly-once: $(clean_docs) of $N documents after injected produce errors"
aborted=$(curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^storypipe_transactions_aborted_total/ {print $2}')
[ "${aborted:-0}" -ge 1 ] || fail "exactly-once: undelivered outputs aborted no transaction (aborted=$aborted)"
kill -0 "$CLEANER_PID" || fail "exactly-once: the cleaner exited on undelivered outputs"
kill -TERM "$CLEANER_PID"; wait "$CLEANER_PID" || fail "exactly-once: the cleaner did not stop cleanly"; CLEANER_PID=
log "exactly-once: undelivered outputs aborted $aborted transaction(s), redone; all $N documents arrived"
broker_stop

# 3. at-least-once: outputs that cannot be delivered
broker_start
echo "fail Produce 3 10" >&3 # MSG_SIZE_TOO_LARGE: permanent, never retried
cleaner --delivery at-least-once --group fault-alo
rc=0
for _ in $(seq 1 60); do kill -0 "$CLEANER_PID" 2>/dev/null || break; sleep 1; done
wait "$CLEANER_PID" || rc=$?
CLEANER_PID=
[ "$rc" -eq 70 ] || fail "at-least-once: the cleaner exited $rc when outputs could not be delivered, want 70"
grep -q '"event":"delivery_failed"' "$T/cleaner.log" || fail "no delivery_failed log line"
# restarted, as a supervisor would once the fault is gone: the input is
# redone. Gone for sure: the stage stops at its first undelivered output, so
# it may not have used all three injected failures (under load its first
# batch can come from one partition: one Produce request), and a restart
# meeting the rest would stop again.
echo "clear Produce" >&3
for _ in $(seq 1 50); do grep -q '"event":"fault_cleared"' "$T/broker.log" && break; sleep 0.1; done
grep -q '"event":"fault_cleared"' "$T/broker.log" || fail "the broker did not take \"clear Produce\""
cleaner --delivery at-least-once --group fault-alo
wait_docs 60 || fail "at-least-once: $(clean_docs) of $N documents after the restart"
kill -TERM "$CLEANER_PID"; wait "$CLEANER_PID" || fail "at-least-once: the restarted cleaner did not stop cleanly"
CLEANER_PID=
log "at-least-once: undelivered outputs stopped the stage (70); after a restart all $N documents arrived"
broker_stop

# 4. at-least-once: --max-in-flight bounds a batch, with slow acknowledgements
broker_start
echo "rtt 100" >&3
mport=$("$ROOT/scripts/free-port.sh")
cleaner --delivery at-least-once --group fault-alo-inflight --max-in-flight 7 --metrics-port "$mport" --metrics-addr 127.0.0.1
metric() { curl -sf "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m {print $2}'; }
peak=0 busy=0
for _ in $(seq 1 3000); do
  inflight=$(metric storypipe_in_flight) consumed=$(metric storypipe_messages_consumed_total)
  [ -n "$inflight" ] || { sleep 0.02; continue; }
  [ "$inflight" -gt "$peak" ] && peak=$inflight
  [ "$inflight" -gt 0 ] && busy=$((busy + 1))
  [ "${consumed:-0}" -ge "$N" ] && [ "$inflight" -eq 0 ] && break
  sleep 0.02
done
[ "$busy" -ge 5 ] || fail "at-least-once: inputs were in flight in only $busy samples: the test saw no backpressure"
[ "$peak" -le 7 ] || fail "at-least-once: $peak inputs unacknowledged at once with --max-in-flight 7"
wait_docs 60 || fail "at-least-once: $(clean_docs) of $N documents with slow acknowledgements"
kill -TERM "$CLEANER_PID"; wait "$CLEANER_PID" || fail "at-least-once: the cleaner did not stop cleanly"; CLEANER_PID=
log "at-least-once: acknowledgements 100 ms late: at most $peak inputs in flight (--max-in-flight 7, $busy busy samples); all $N documents arrived"
echo "4 passed, 0 failed"
