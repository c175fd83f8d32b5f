#!/usr/bin/env bash
# deduper.sh — stories/s through the deduper as a filter (storypipe-deduper
# --stdio, the same transform and Redis scripts as the service) against a
# local redis-server, next to redis-benchmark's pipelined SET NX rate on that
# same server in the same run; the ratio of the two; and the Redis memory the
# seen-state costs per story kept.
#
#   bench/deduper.sh           (after scripts/build.sh; needs redis-server,
#                               redis-benchmark and redis-cli: apt-get install
#                               redis-server redis-tools; installs nothing)
#
# Corpus: bench/dedup_corpus.py writes BENCH_STORIES (200000) distinct
# story lines into a temp dir, deterministic for BENCH_SEED, in the shape of
# real splitter output: the seed documents go through storypipe-fetcher |
# cleaner | splitter first, and their stories' sentences, shuffled (two words
# of each swapped for words of the seeds), make 80-300-word bodies, so
# SimHash and its bands see real word frequencies. About 10% are URL
# duplicates (an earlier story's URL with other tracking parameters), 5% near
# duplicates (an earlier story's body with one word changed), the rest new
# (12% of them without a URL). A sample of the lines (every 100th, or all
# with BENCH_VALIDATE=all) is checked against schemas/story.schema.json.
#
# Method: one redis-server (scripts/redis.sh: no persistence) on a free
# loopback port, stopped at the end. With 2 cores or more, redis-server runs
# pinned to core 1 and the deduper (and redis-benchmark, the client) to core
# 0 (taskset); with one core, nothing is pinned. The peer, redis-benchmark on
# an emptied server (FLUSHALL before each):
#   SET      redis-benchmark -n N -P 64 -q -t set
#   SET NX   redis-benchmark -n N -P 64 -q -r 100000000 SET key:__rand_int__ v NX EX 7776000
# runs first, then BENCH_REPEATS rounds, each followed by the peer again
# (the last one's after the memory below is measured on its state). A
# round: FLUSHALL, CONFIG RESETSTAT, and the whole corpus through
# `storypipe-deduper --stdio` (batches of 2048: each story's claims sent with
# HSETNX as it is described, in chunks of 128 down to 16 stories, the
# holders of claims taken already read, the changes written back 256
# decisions at a time: 2 or 3 pipelined round trips a batch, and one SET a
# commit; the next batch checked and its claims sent before this one is
# transformed and written), timed wall-clock around the process; the best round's wall time gives stories/s. Each round must
# exit 0 and account for every story (unique + duplicates lines = stories =
# the decisions counted in the stats hash), or the bench fails. Reported with
# it: the decisions (the stats hash, and the outputs' decision and reason
# fields), checked against what each story is (dedup_corpus.py --check:
# duplicates found, kept as new, originals called duplicates), CPU time per
# story of the deduper (and its kernel share) and of redis-server (INFO cpu), the Redis commands
# per story (INFO commandstats), and as a floor the same corpus through
# storypipe-passthrough (the same raw stage runtime checking and copying
# each story's JSON, no deduplication). The ratio: each round's deduper
# stories/s over the mean of the SET NX requests/s measured just before and
# just after it; the median of the rounds' ratios is what is compared with
# the target (the ratios over the SET NX before alone are shown too). Paired
# so: this VM's speed drifts by up to 2x over minutes, and the best deduper
# round over the best SET NX round, measured minutes apart (also shown),
# said as much about the drift as about the deduper; and bracketed so, as
# it also drifts within seconds: the same deduper measured 0.2944, 0.2159
# and 0.2386 of the SET NX just before it, in three rounds of one run.
# Outputs: the rounds' unique and duplicates files, and the floor's, go to a
# directory in /dev/shm (tmpfs) when it has room for 5 times the corpus,
# and the corpus with them; else they go beside the corpus (BENCH_OUT=DIR:
# in DIR), and each round's files are deleted before it starts. Written to a
# disk, the kernel writing one round's 440 MB back while the next writes its
# own made rounds up to twice as slow: that measured the disk, not the
# deduper. Read from a disk, the corpus was not all in the page cache at
# each round (this VM's kernel gives cached file pages back to the host,
# about 2 MB/s even when idle: 80 MB of the 423 MB were left after some
# minutes), so a round read part of it from the disk: the same mistake.
# In /dev/shm the output files are made once, as long as the corpus, and
# each round writes over them in place (read-write descriptors, the
# duplicates as --duplicates-file /dev/fd/4), then they are cut to what it
# wrote: a fresh tmpfs file's pages cost this VM up to 5 times more than
# pages written again (dd of the 443 MB corpus: 0.19 to 1.2 s into a new
# file, 0.16 s over an old one), up to 1 s a round that measured the VM's
# memory, not the deduper; a deduper on Kafka writes into librdkafka's
# buffers, reused.
# Memory, after the last round: (used_memory after - used_memory after the
# FLUSHALL) / stories decided new = bytes per seen story; DBSIZE; then a Lua
# script run inside Redis (binary-safe: the bucket keys are raw bytes) walks
# the prefix with SCAN and gives, per kind of key (common/seen.h: r records,
# u URL claims, c content claims, t title+summary claims, n near logs,
# w writers, stats): keys, entries (HLEN; a near log's bytes / 24), entries
# per bucket (median, 99th percentile, largest), OBJECT ENCODING counts,
# MEMORY USAGE summed, and the payload of the entries (listpack: field and
# value bytes + 2 each; a near log: its bytes): what is left of
# MEMORY USAGE is per-key overhead (key name, object and dict entry,
# listpack header). Compared with hash-max-listpack-entries as this server
# has it (CONFIG GET). A few sample keys are shown with MEMORY USAGE and
# OBJECT ENCODING.
# A benchmark, not a test: the exit status says whether it measured, not
# whether the targets were met.
#
# Environment: BENCH_STORIES [200000], BENCH_SEED [1], BENCH_REPEATS [5],
# BENCH_REQUESTS redis-benchmark's -n [1000000], BENCH_VALIDATE sample, all
# or none [sample], BENCH_FLOOR=0 skips the passthrough floor, BENCH_OUT the
# directory for the outputs [/dev/shm when it has room, else the temp dir],
# BENCH_CPUS "DEDUPER_CORE REDIS_CORE" or "none" [0 1 with 2+ cores],
# BENCH_TARGET_RATE stories/s [100000], BENCH_TARGET_RATIO [0.25],
# BENCH_TARGET_BYTES per seen story [200], STORYPIPE_BIN the build's bin/
# [build/bin], KEEP_TMP=1 keeps the temp dir (corpus, outputs, logs).
# Exit: 0 measured; 1 a run failed (or its counts do not add up); 64 bad
# settings; 69 redis-server, redis-benchmark, redis-cli, python3 or the build
# missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${STORYPIPE_BIN:-$ROOT/build/bin}
N=${BENCH_STORIES:-200000}
SEED=${BENCH_SEED:-1}
REPEATS=${BENCH_REPEATS:-5}
REQUESTS=${BENCH_REQUESTS:-1000000}
VALIDATE=${BENCH_VALIDATE:-sample}
TARGET_RATE=${BENCH_TARGET_RATE:-100000}
TARGET_RATIO=${BENCH_TARGET_RATIO:-0.25}
TARGET_BYTES=${BENCH_TARGET_BYTES:-200}
PREFIX=sp: # the deduper's default --key-prefix
BUCKET_BITS=12 BUCKETS=4096 # its default --bucket-bits
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || echo python3)
me=deduper.sh

for v in N SEED REPEATS REQUESTS TARGET_RATE TARGET_BYTES; do
  [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "$me: ${v/N/BENCH_STORIES} must be a positive integer" >&2; exit 64; }
done
[[ $TARGET_RATIO =~ ^[0-9]*[.]?[0-9]+$ ]] || { echo "$me: BENCH_TARGET_RATIO must be a number" >&2; exit 64; }
case $VALIDATE in sample | all | none) ;; *) echo "$me: BENCH_VALIDATE is sample, all or none" >&2; exit 64 ;; esac

# ---------------------------------------------------------------- tools
missing=()
for t in redis-server redis-benchmark redis-cli; do command -v "$t" >/dev/null || missing+=("$t (apt-get install redis-server redis-tools)"); done
command -v "$PYTHON" >/dev/null || missing+=("python3")
for b in fetcher cleaner splitter deduper; do
  [ -x "$BIN/storypipe-$b" ] || missing+=("$BIN/storypipe-$b (scripts/build.sh)")
done
if [ ${#missing[@]} -gt 0 ]; then
  printf '%s: missing: %s\n' "$me" "${missing[@]}" >&2
  exit 69
fi

CORES=$(nproc)
if [ -n "${BENCH_CPUS:-}" ]; then
  read -r CPU_D CPU_R <<<"$BENCH_CPUS"
  if [ "$CPU_D" = none ]; then CPU_D="" CPU_R=""
  elif ! [[ $CPU_D =~ ^[0-9]+$ && ${CPU_R:-x} =~ ^[0-9]+$ ]]; then echo "$me: BENCH_CPUS is \"DEDUPER_CORE REDIS_CORE\" or none" >&2; exit 64; fi
elif [ "$CORES" -ge 2 ]; then CPU_D=0 CPU_R=1
else CPU_D="" CPU_R=""; fi
if [ -n "$CPU_D" ] && ! { taskset -c "$CPU_D" true && taskset -c "$CPU_R" true; } 2>/dev/null; then
  echo "$me: cannot pin to cores $CPU_D and $CPU_R (taskset); unpinned" >&2
  CPU_D="" CPU_R=""
fi
pin() { # pin CORE CMD...: CMD on that core, or unpinned when CORE is ""
  local core=$1; shift
  if [ -n "$core" ]; then taskset -c "$core" "$@"; else "$@"; fi
}

T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-bench-deduper.XXXXXX")
O=$T # where the rounds write their outputs (see "Outputs" above)
IN_PLACE=0 # 1: over files made once, in /dev/shm
cleanup() {
  "$ROOT/scripts/redis.sh" stop "$T/redis" >/dev/null 2>&1 || true
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T${O:+ $O}"; else rm -rf "$T"; [ "$O" = "$T" ] || rm -rf "$O"; fi
}
trap cleanup EXIT
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
die() { echo "$me: $*" >&2; exit 1; }

# ---------------------------------------------------------------- the corpus
cd "$ROOT"
"$BIN/storypipe-fetcher" --stdio --file-root "$ROOT" <tests/fixtures/sources.jsonl 2>"$T/fetcher.log" |
  "$BIN/storypipe-cleaner" --stdio 2>"$T/cleaner.log" |
  "$BIN/storypipe-splitter" --stdio >"$T/seeds.jsonl" 2>"$T/splitter.log" || die "the seeds did not go through fetcher | cleaner | splitter (logs in $T)"
[ -s "$T/seeds.jsonl" ] || die "no seed stories"
declare -A C
while read -r k v; do C[$k]=$v; done < <("$PYTHON" "$ROOT/bench/dedup_corpus.py" --seeds "$T/seeds.jsonl" \
                                        --out "$T/corpus.jsonl" --truth "$T/truth.txt" --stories "$N" --seed "$SEED") || die "dedup_corpus.py failed"
CORPUS=$T/corpus.jsonl
if [ -z "${BENCH_OUT:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((5 * $(wc -c <"$CORPUS") / 1024)) ]; then
  O=$(mktemp -d /dev/shm/storypipe-bench-deduper.XXXXXX)
  mv "$CORPUS" "$O/corpus.jsonl" && CORPUS=$O/corpus.jsonl
  IN_PLACE=1
  for f in round.unique round.dups floor.out; do cp "$CORPUS" "$O/$f"; done
elif [ -n "${BENCH_OUT:-}" ]; then
  O=$(mktemp -d "$BENCH_OUT/storypipe-bench-deduper.XXXXXX") || exit 64
fi
[ "$(wc -l <"$CORPUS")" = "$N" ] && [ "${C[stories]:-}" = "$N" ] || die "the corpus is not what its generator says"
[ "$(cut -c33-48 "$CORPUS" | sort -u | wc -l)" = "$N" ] || die "the corpus has repeated story_ids"
BYTES=$(wc -c <"$CORPUS")
case $VALIDATE in
  sample) awk 'NR % 100 == 1' "$CORPUS" >"$T/sample.jsonl" ;;
  all) ln -s "$CORPUS" "$T/sample.jsonl" ;;
esac
schema="not checked"
if [ "$VALIDATE" != none ]; then
  "$PYTHON" tests/schema_check.py story "$T/sample.jsonl" >"$T/schema.log" 2>&1 || { tail -5 "$T/schema.log" >&2; die "the corpus is not valid against story.schema.json"; }
  schema="$(wc -l <"$T/sample.jsonl") lines ($VALIDATE) valid against schemas/story.schema.json"
fi

# ---------------------------------------------------------------- redis-server
PORT=$(pin "$CPU_R" "$ROOT/scripts/redis.sh" start "$T/redis") || exit 69
URL=redis://127.0.0.1:$PORT/0
rcli() { redis-cli -p "$PORT" "$@"; }
info() { rcli INFO "$1" | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }
rcpu() { rcli INFO cpu | tr -d '\r' | awk -F: '$1 == "used_cpu_user" || $1 == "used_cpu_sys" { s += $2 } END { printf "%.3f", s }'; }
LP_MAX=$(rcli CONFIG GET hash-max-listpack-entries | tail -1)
LP_VAL=$(rcli CONFIG GET hash-max-listpack-value | tail -1)

echo "deduper bench: $CORES cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(redis-server --version | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(v|malloc)=/) printf "%s ", $i }')(redis-server), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$CPU_D" ]; then echo "pinned: storypipe-deduper and redis-benchmark on core $CPU_D, redis-server on core $CPU_R (taskset; redis-server's $(taskset -cp "$(cat "$T/redis/redis.pid")" | sed 's/^pid [0-9]*.s //'))"
else echo "not pinned ($CORES core(s))"; fi
echo "corpus: $N stories (${C[originals]} originals, ${C[original_no_url]} of them without URL; ${C[url_dups]} URL duplicates; ${C[near_dups]} near duplicates) in ${C[documents]} documents, $BYTES bytes, body words ${C[words_min]}/${C[words_avg]}/${C[words_max]} (min/avg/max); seed $SEED, built from ${C[seed_sentences]} sentences of the ${C[seed_stories]} seed stories; $schema; read from $(df -P "$CORPUS" | awk 'NR == 2 { print $1 }')"

# ---------------------------------------------------------------- the deduper
# open_out FD FILE: FILE on descriptor FD, to be written over in place
# (IN_PLACE), else emptied; close_out FD FILE: FILE cut to where the writing
# on FD ended, and FD closed (see "Outputs" above)
open_out() { if [ "$IN_PLACE" = 1 ]; then eval "exec $1<>\"\$2\""; else eval "exec $1>\"\$2\""; fi; }
close_out() {
  truncate -s "$(awk '/^pos:/ { print $2 }' "/proc/$BASHPID/fdinfo/$1")" "$2"
  eval "exec $1>&-"
}
# run_dedup OUT: the corpus through the deduper on core CPU_D; prints
# "wall cpu rc sys" (seconds, the process's user+system CPU, exit status,
# its system CPU alone)
run_dedup() {
  local out=$1 t0 rc=0
  [ -z "$CPU_D" ] || taskset -cp "$CPU_D" "$BASHPID" >/dev/null
  open_out 3 "$out.unique"
  open_out 4 "$out.dups"
  t0=$EPOCHREALTIME
  "$BIN/storypipe-deduper" --stdio --redis "$URL" --duplicates-file /dev/fd/4 <"$CORPUS" >&3 2>"$out.log" || rc=$?
  local wall; wall=$(calc "$EPOCHREALTIME - $t0" 3)
  close_out 3 "$out.unique"
  close_out 4 "$out.dups"
  times >"$out.times"
  local cpu sys
  read -r cpu sys < <(awk 'NR == 2 { split($1, a, "m"); split($2, b, "m"); printf "%.3f %.3f\n", a[1]*60 + a[2] + b[1]*60 + b[2], b[1]*60 + b[2] }' "$out.times")
  echo "$wall $cpu $rc $sys"
}
# counts FILE FIELD: "value count" lines of a field of the outputs' dedup objects
counts() { grep -o "\"$2\":\"[a-z_]*\"" "$1" | sort | uniq -c | awk '{ split($2, a, "\""); printf "%s %s\n", a[4], $1 }'; }

bench_rps() { # the requests/s redis-benchmark -q prints last
  pin "$CPU_D" redis-benchmark -p "$PORT" -n "$REQUESTS" -P 64 -q "$@" 2>&1 | tr '\r' '\n' |
    awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "requests") v = $i } END { if (v == "") exit 1; print v }'
}

# the peer on an emptied server: SET, then SET NX (PEERS), the best of each kept
peer() {
  rcli FLUSHALL >/dev/null
  set_rps=$(bench_rps -t set) || die "redis-benchmark -t set failed"
  rcli FLUSHALL >/dev/null
  setnx_rps=$(bench_rps -r 100000000 SET key:__rand_int__ v NX EX 7776000) || die "redis-benchmark SET NX failed"
  awk "BEGIN { exit !($set_rps > $SET) }" && SET=$set_rps
  awk "BEGIN { exit !($setnx_rps > $SETNX) }" && SETNX=$setnx_rps
  PEERS+=("$setnx_rps")
  echo "redis-benchmark: SET $set_rps requests/s, SET NX EX $setnx_rps requests/s"
}

BEST="" BEST_R=0 SET=0 SETNX=0 PEERS=() WALLS=()
peer # before round 1; each round's is the one before it and the one after it
for ((r = 1; r <= REPEATS; r++)); do
  rcli FLUSHALL >/dev/null
  rcli CONFIG RESETSTAT >/dev/null
  MEM0=$(info memory used_memory)
  RCPU0=$(rcpu)
  [ "$IN_PLACE" = 1 ] || rm -f "$O"/round.* # a file being written back to disk is slow to overwrite
  read -r wall cpu rc sys < <(run_dedup "$O/round")
  RCPU1=$(rcpu)
  MEM1=$(info memory used_memory)
  [ "$rc" = 0 ] || { tail -3 "$O/round.log" >&2; die "round $r: storypipe-deduper exited $rc"; }
  nu=$(wc -l <"$O/round.unique") nd=$(wc -l <"$O/round.dups")
  [ $((nu + nd)) = "$N" ] || die "round $r: $nu unique + $nd duplicates lines for $N stories"
  declare -A S=()
  while read -r k v; do S[$k]=$v; done < <(rcli HGETALL "${PREFIX}stats" | paste - -)
  for k in new update replay duplicate_url duplicate_exact duplicate_near; do S[$k]=${S[$k]:-0}; done
  decided=$((S[new] + S[update] + S[replay] + S[duplicate_url] + S[duplicate_exact] + S[duplicate_near]))
  [ "$decided" = "$N" ] || die "round $r: the stats hash counts $decided decisions for $N stories"
  rcpu_s=$(calc "$RCPU1 - $RCPU0" 3)
  WALLS+=("$wall")
  echo "round $r: the deduper: $wall s, $(calc "$N / $wall" 0) stories/s; CPU: deduper $cpu s, redis-server $rcpu_s s"
  if [ -z "$BEST" ] || awk "BEGIN { exit !($wall < $BEST) }"; then
    BEST=$wall BEST_R=$r BEST_CPU=$cpu BEST_SYS=$sys BEST_RCPU=$rcpu_s
    CMDS=$(rcli INFO commandstats | tr -d '\r' | awk -F'[:,=]' '/^cmdstat_/ && $1 !~ /flushall|config|info|select|ping|hello|client/ { sub("cmdstat_", "", $1); printf "%s %s, ", $1, $3 }')
  fi
  [ "$r" = "$REPEATS" ] || peer # the last round's after the memory is measured (on its state)
done
RATE=$(calc "$N / $BEST" 0)
KEPT=${S[new]}

echo
echo "decisions (stats hash ${PREFIX}stats, every round): new ${S[new]}, update ${S[update]}, replay ${S[replay]}, duplicate_url ${S[duplicate_url]}, duplicate_exact ${S[duplicate_exact]}, duplicate_near ${S[duplicate_near]}"
echo "outputs: unique $nu lines (decision: $(counts "$O/round.unique" decision | tr '\n' ' ' | sed 's/ $//; s/ \([a-z]\)/, \1/g')), duplicates $nd lines (reason: $(counts "$O/round.dups" reason | tr '\n' ' ' | sed 's/ $//; s/ \([a-z]\)/, \1/g'))"
declare -A K
while read -r k v; do K[$k]=$v; done < <("$PYTHON" "$ROOT/bench/dedup_corpus.py" --check "$T/truth.txt" "$O/round.unique" "$O/round.dups") ||
  die "checking the decisions against the corpus failed"
echo "against what each story is (dedup_corpus.py --check): URL duplicates found ${K[url_found]} of ${C[url_dups]} ($(calc "100 * ${K[url_found]} / ${C[url_dups]}")%), kept as new ${K[url_dups_kept]};" \
  "near duplicates found ${K[near_found]} of ${C[near_dups]} ($(calc "100 * ${K[near_found]} / ${C[near_dups]}")%), kept as new ${K[near_dups_kept]} (SimHash beyond the threshold, or no band shared);" \
  "originals kept ${K[originals_kept]} of ${C[originals]}; false positives (an original called a duplicate): near ${K[near_false]}, url ${K[url_false]}, exact ${K[exact_false]}; duplicates of the wrong story ${K[wrong_family]}"
echo
echo "deduper: $RATE stories/s, $(calc "$BYTES / 1e6 / $BEST") MB/s of JSON (best of $REPEATS: round $BEST_R, $BEST s for $N stories)"
echo "  per story: deduper $(calc "$BEST_CPU * 1e6 / $N" 1) µs CPU ($(calc "$BEST_SYS * 1e6 / $N" 1) of it in the kernel: reading the corpus, writing the outputs, the sends to Redis), redis-server $(calc "$BEST_RCPU * 1e6 / $N" 1) µs CPU"
echo "  Redis commands per story: $(sed 's/, $//' <<<"$CMDS" | awk -v n="$N" -F', ' '{ t = 0; for (i = 1; i <= NF; i++) { split($i, a, " "); t += a[2]; printf "%s%s %.3f", (i > 1 ? ", " : ""), a[1], a[2] / n } printf "; all %.2f", t / n }')"
if [ "${BENCH_FLOOR:-1}" != 0 ] && [ -x "$BIN/storypipe-passthrough" ]; then
  t0=$EPOCHREALTIME
  open_out 3 "$O/floor.out"
  pin "$CPU_D" "$BIN/storypipe-passthrough" --stdio <"$CORPUS" >&3 2>"$O/floor.log" || die "storypipe-passthrough failed"
  fw=$(calc "$EPOCHREALTIME - $t0" 3)
  close_out 3 "$O/floor.out"
  echo "  floor: storypipe-passthrough (the same raw runtime checking and writing each story, no deduplication): $(calc "$N / $fw" 0) stories/s ($fw s)"
fi

# ---------------------------------------------------------------- memory
echo
echo "memory (after round $REPEATS):"
echo "  used_memory $MEM0 bytes after FLUSHALL, $MEM1 after: $((MEM1 - MEM0)) bytes for $KEPT stories kept (new) = $(calc "($MEM1 - $MEM0) / $KEPT" 0) bytes per seen story; DBSIZE $(rcli DBSIZE)"
read -r -d '' ANALYSE <<'LUA' || true
local prefix = ARGV[1]
local plen = #prefix
local pat = prefix:gsub('[%*%?%[%]\\]', '\\%0') .. '*'
local order = {'r', 'u', 'c', 't', 'n', 'w', 'stats', 'other'}
local K = {}
for _, k in ipairs(order) do
  K[k] = {keys = 0, entries = 0, max = 0, lp = 0, ht = 0, enc_other = 0, mem = 0, payload = 0, hist = {}, sample = nil}
end
local function lpentry(n) -- a string entry in a listpack: encoding, bytes, back-length
  if n <= 63 then return n + 2 elseif n <= 125 then return n + 3 else return n + 4 end
end
local function hex(s) return (s:gsub('.', function(ch) return string.format('%02x', ch:byte()) end)) end
local cursor = '0'
repeat
  local res = redis.call('SCAN', cursor, 'MATCH', pat, 'COUNT', 1000)
  cursor = res[1]
  for _, key in ipairs(res[2]) do
    local c = key:sub(plen + 1, plen + 1)
    local kind = 'other'
    if #key == plen + 5 and key:sub(plen + 1) == 'stats' then kind = 'stats'
    elseif #key == plen + 3 and (c == 'r' or c == 'u' or c == 'c' or c == 't') then kind = c
    elseif c == 'n' and (key:sub(plen + 2):match('^%d+$') or key:sub(plen + 2):match('^%d+:%d+$')) then kind = 'n'
    elseif #key == plen + 5 and c == 'w' then kind = 'w' end
    local k = K[kind]
    k.keys = k.keys + 1
    local enc = redis.call('OBJECT', 'ENCODING', key)
    if enc == 'listpack' then k.lp = k.lp + 1 elseif enc == 'hashtable' then k.ht = k.ht + 1 else k.enc_other = k.enc_other + 1 end
    local mem = redis.call('MEMORY', 'USAGE', key, 'SAMPLES', 0)
    k.mem = k.mem + mem
    local n = 0
    if redis.call('TYPE', key)['ok'] == 'hash' then
      local all = redis.call('HGETALL', key)
      n = #all / 2
      local p = 7 -- listpack header and end byte
      for i = 1, #all do p = p + lpentry(#all[i]) end
      k.payload = k.payload + p
    elseif kind == 'n' then
      local len = redis.call('STRLEN', key)
      n = math.floor(len / 24)
      k.payload = k.payload + len
    end
    k.entries = k.entries + n
    if n > k.max then k.max = n end
    k.hist[n] = (k.hist[n] or 0) + 1
    if k.sample == nil or (kind ~= 'stats' and k.keys == 1000) then
      local shown = kind == 'stats' and key or prefix .. c .. '<' .. hex(key:sub(plen + 2)) .. '>'
      k.sample = string.format('%s: %d entries, %s, MEMORY USAGE %d', shown, n, enc, mem)
    end
  end
until cursor == '0'
local out = {}
for _, name in ipairs(order) do
  local k = K[name]
  if k.keys > 0 then
    local seen, p50, p99 = 0, 0, 0
    for n = 0, k.max do
      seen = seen + (k.hist[n] or 0)
      if p50 == 0 and seen * 2 >= k.keys then p50 = n end
      if p99 == 0 and seen * 100 >= k.keys * 99 then p99 = n end
    end
    out[#out + 1] = string.format('%s %d %d %d %d %d %d %d %d %d %d', name, k.keys, k.entries, p50, p99, k.max, k.lp, k.ht,
                                  k.enc_other, k.mem, k.payload)
    out[#out + 1] = 'sample ' .. name .. ' ' .. k.sample
  end
end
return out
LUA
rcli --raw EVAL "$ANALYSE" 0 "$PREFIX" >"$T/analysis.txt" || die "the memory analysis script failed: $(cat "$T/analysis.txt")"
declare -A KNAME=([r]="r records" [u]="u URL claims" [c]="c content claims" [t]="t title+summary" [n]="n near logs" [w]="w writers" [stats]="stats" [other]="other")
printf '  %-18s %8s %9s %15s %14s %12s %10s %10s %10s\n' kind keys entries "per key 50/99/max" "listpack/other" "MEMORY USAGE" "per story" "payload" "overhead"
tk=0 tm=0 tp=0 over=0 biggest="" bigmem=0 maxb=0
while read -r kind keys entries p50 p99 max lp ht eo mem payload; do
  [ "$kind" != sample ] || continue
  printf '  %-18s %8d %9d %15s %14s %12d %10s %10s %10s\n' "${KNAME[$kind]}" "$keys" "$entries" "$p50/$p99/$max" "$lp/$((ht + eo))" "$mem" \
    "$(calc "$mem / $KEPT")" "$(calc "$payload / $KEPT")" "$(calc "($mem - $payload) / $KEPT")"
  tk=$((tk + keys)) tm=$((tm + mem)) tp=$((tp + payload)) over=$((over + ht + eo))
  if [ "$mem" -gt "$bigmem" ]; then bigmem=$mem biggest=$kind; fi
  case $kind in r | u | c | t) [ "$max" -le "$maxb" ] || maxb=$max ;; esac
done <"$T/analysis.txt"
printf '  %-18s %8d %9s %15s %14s %12d %10s %10s %10s\n' "all" "$tk" "" "" "" "$tm" "$(calc "$tm / $KEPT")" "$(calc "$tp / $KEPT")" "$(calc "($tm - $tp) / $KEPT")"
echo "  (per story: bytes / $KEPT stories kept; payload: the entries' field and value bytes as listpack stores them, + 2 each, or a near log's bytes; overhead: MEMORY USAGE - payload, i.e. per key: its name, object, dict entry, listpack header, allocation slack)"
echo "  not in MEMORY USAGE: $((MEM1 - MEM0 - tm)) bytes = $(calc "$((MEM1 - MEM0 - tm)) / $KEPT") per story (the keyspace's hash table, allocator size classes, scripts)"
sed -n 's/^sample /  sample /p' "$T/analysis.txt"
echo "  hash-max-listpack-entries $LP_MAX, hash-max-listpack-value $LP_VAL on this server (CONFIG GET); largest bucket $maxb entries; buckets not listpack: $over"
echo "  the number of buckets is fixed ($BUCKETS per kind: --bucket-bits $BUCKET_BITS), so entries per bucket grow with the stories kept;"
echo "  a bucket of more than hash-max-listpack-entries turns into a hashtable (~4x the memory per entry). When the first bucket"
echo "  gets there (stories kept within the TTL; --bucket-bits 16 multiplies these by 16): r, u, c, t are picked by a uniform hash,"
echo "  so their sizes are Poisson: the mean at which one of $BUCKETS buckets passes the limit:"
# poisson_mean L: the mean at which $BUCKETS Poisson buckets have one above L
poisson_mean() {
  "$PYTHON" -c 'import math, sys
L = int(sys.argv[1])
def tail(lam):  # P(X > L)
    k, lp, s = L + 1, -lam + (L + 1) * math.log(lam) - math.lgamma(L + 2), 0.0
    while True:
        s += math.exp(lp)
        if k > lam and math.exp(lp) < 1e-18: return s
        k += 1
        lp += math.log(lam) - math.log(k)
lo, hi = 1e-3, float(L)
for _ in range(60):
    mid = (lo + hi) / 2
    lo, hi = (lo, mid) if int(sys.argv[2]) * tail(mid) > 1 else (mid, hi)
print("%.1f" % lo)' "$1" "$BUCKETS"
}
LAMS=$(poisson_mean "$LP_MAX")
[ "$LP_MAX" = 128 ] || LAM128=$(poisson_mean 128)
while read -r kind keys entries p50 p99 max _; do
  case $kind in r | u | c | t) ;; *) continue ;; esac
  [ "$max" -gt 0 ] || continue
  # a kind's entries per story kept, times the Poisson mean, times the buckets
  at() { calc "$2 * $BUCKETS * $KEPT / $entries / 1e6" 2; }
  printf '    %-18s largest %3d entries, mean %5.2f: %6s million stories at %d' "${KNAME[$kind]}" "$max" "$(calc "$entries / $keys" 2)" \
    "$(at "$LP_MAX" "$LAMS")" "$LP_MAX"
  [ "$LP_MAX" = 128 ] || printf ', %s million at 128' "$(at 128 "$LAM128")"
  echo
done <"$T/analysis.txt"

# ---------------------------------------------------------------- redis-benchmark
echo
peer # after the last round
echo "redis-benchmark (-n $REQUESTS -P 64, best of $((REPEATS + 1)): before round 1, then after each round): SET $SET requests/s; SET key:__rand_int__ v NX EX 7776000 (-r 100000000) $SETNX requests/s"
echo "the rounds against their peer (SET NX requests/s just before and just after the round; ratio: the deduper's stories/s over their mean, and over each):"
RATIOS=() RATIOS_BEFORE=()
for ((r = 1; r <= REPEATS; r++)); do
  before=${PEERS[r - 1]} after=${PEERS[r]} rate=$(calc "$N / ${WALLS[r - 1]}" 0)
  RATIOS+=("$(calc "$rate / (($before + $after) / 2)" 4)")
  RATIOS_BEFORE+=("$(calc "$rate / $before" 4)")
  echo "  round $r: $rate stories/s; SET NX $before before, $after after: ratio ${RATIOS[-1]} (over before $(calc "$rate / $before" 4), over after $(calc "$rate / $after" 4))"
done

# ---------------------------------------------------------------- summary
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.4f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
RATIO_BEST=$(calc "$RATE / $SETNX" 4)
RATIO=$(median "${RATIOS[@]}")
BPS=$(calc "($MEM1 - $MEM0) / $KEPT" 0)
verdict() { awk "BEGIN { exit !($1) }" && echo meets || echo "is BELOW"; }
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "target >= $TARGET_RATE stories/s: $RATE stories/s $(verdict "$RATE >= $TARGET_RATE") it ($(calc "$RATE / $TARGET_RATE * 100")% of it)"
echo "target >= $TARGET_RATIO x pipelined SET NX: the median of the rounds' ratios (${RATIOS[*]}) is $RATIO, which $(verdict "$RATIO >= $TARGET_RATIO") it (over the SET NX before each round alone: median $(median "${RATIOS_BEFORE[@]}"); best round over best SET NX: $RATE / $SETNX = $RATIO_BEST)"
if [ "$BPS" -lt "$TARGET_BYTES" ]; then
  echo "target < $TARGET_BYTES bytes per seen story: $BPS meets it"
else
  echo "target < $TARGET_BYTES bytes per seen story: $BPS is OVER by $((BPS - TARGET_BYTES)) bytes ($(calc "$BPS / $TARGET_BYTES" 2)x); the largest structure: ${KNAME[$biggest]} ($(calc "$bigmem / $KEPT") bytes per story); per-key overhead $(calc "($tm - $tp) / $KEPT") bytes per story over $tk keys vs entries' payload $(calc "$tp / $KEPT")"
fi
echo "deduper: $RATE stories/s; $RATIO x redis-benchmark's pipelined SET NX (median of the rounds, each against the SET NX just before and after it; best over best: $RATIO_BEST x $SETNX/s); $BPS bytes of Redis per seen story"
