#!/usr/bin/env bash
# splitter.sh — digest-splitting throughput of the splitter's core
# (digest_split, in-process, one core) against awk finding the same corpus'
# record boundaries, in the same run; and our ratio to awk.
#
#   bench/splitter.sh          (after scripts/build.sh; awk: mawk or gawk, as installed)
#
# Corpus: split_bench (bench/split_bench.c) writes >= BENCH_CORPUS_MB * 10^6
# bytes of digest text to a temp dir, one document per file, varied round
# robin from the four plain-text seeds in tests/fixtures/seeds/: 000 and 001
# (numbered bulletins), 002 (a brief), 004 (an insight list). Each copy
# shuffles the seed's stories and keeps a random subset of them (bulletins
# renumbered, index and sections alike), and every third copy has CRLF line
# ends, so it is not the same bytes over and over. Before timing, every
# document is checked to be split by the rule of its seed (a variation that
# broke the structure would measure the fallback instead): exit 1 if not.
#
# Method: BENCH_REPEATS rounds, each pinned with taskset to one core:
#   digest_split  split_bench run: all files read into memory (not timed),
#                 one warm-up pass, then one pass calling digest_split (hints
#                 NULL) and digest_free on every document, timed around the
#                 pass (CLOCK_MONOTONIC); MB/s = corpus bytes / 10^6 / s.
#   awk (peer)    one awk process over the same files (LC_ALL=C), splitting
#                 them into records at "(N) Title" lines and blank lines and
#                 counting the records: a lower bound of what any splitter
#                 must do (read the text and find the boundaries). Timed
#                 wall-clock around the process, so its start-up and reading
#                 the files from the page cache are included (a few ms on
#                 tens of MB); digest_split's time has neither.
# Reported, best round of each: MB/s, stories/s (records/s for awk), and
# the ratio of our MB/s to awk's; the target is >= BENCH_TARGET MB/s. The
# same on CPU time (user+system: split_bench's thread over the pass, awk's
# process), which other load on the machine disturbs less, is printed too.
# A benchmark, not a test: the exit status says whether the runs worked,
# not how fast they were.
#
# Environment: BENCH_CORPUS_MB [64] (>= 50 for the standard number),
# BENCH_REPEATS rounds [5], BENCH_CPU core to pin to, or "none" [0],
# BENCH_TARGET MB/s [100], BENCH_AWK the peer [mawk if installed, else gawk],
# STORYPIPE_BIN the build's bin/ [build/bin], KEEP_TMP=1 keeps the corpus.
# Exit: 0 measured; 1 a run failed or the corpus is not what it should be;
# 64 bad arguments; 69 split_bench, awk, taskset or a seed missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${STORYPIPE_BIN:-$ROOT/build/bin}
MB=${BENCH_CORPUS_MB:-64}
REPEATS=${BENCH_REPEATS:-5}
CPU=${BENCH_CPU:-0}
TARGET=${BENCH_TARGET:-100}
SEEDS=$ROOT/tests/fixtures/seeds

[[ $MB =~ ^[0-9]+([.][0-9]+)?$ ]] && [ "${MB%%.*}" != 0 ] || { echo "splitter.sh: BENCH_CORPUS_MB must be a positive number" >&2; exit 64; }
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "splitter.sh: BENCH_REPEATS must be a positive integer" >&2; exit 64; }
[[ $TARGET =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "splitter.sh: BENCH_TARGET must be a number" >&2; exit 64; }
[[ $CPU == none || $CPU =~ ^[0-9]+$ ]] || { echo "splitter.sh: BENCH_CPU is a core number or none" >&2; exit 64; }

[ -x "$BIN/split_bench" ] || { echo "splitter.sh: $BIN/split_bench not built (scripts/build.sh)" >&2; exit 69; }
AWK=${BENCH_AWK:-}
if [ -z "$AWK" ]; then
  for a in mawk gawk; do command -v "$a" >/dev/null && { AWK=$a; break; }; done
fi
[ -n "$AWK" ] && command -v "$AWK" >/dev/null || { echo "splitter.sh: no awk peer (apt-get install mawk, or gawk)" >&2; exit 69; }
case $("$AWK" -W version 2>&1 </dev/null | head -n1) in
  mawk*) AWK_NAME=$("$AWK" -W version 2>&1 </dev/null | head -n1 | awk '{ print $1, $2 }') ;;
  *"GNU Awk"*) AWK_NAME=$("$AWK" --version 2>&1 </dev/null | head -n1 | sed 's/,.*//') ;;
  *) AWK_NAME=$AWK ;;
esac
SEED_FILES=()
for n in 000 001 002 004; do
  f=$(find "$SEEDS" -maxdepth 1 -name "${n}_*.txt" | sort | head -n1)
  [ -n "$f" ] || { echo "splitter.sh: no seed $n in $SEEDS" >&2; exit 69; }
  SEED_FILES+=("$f")
done
PIN=()
if [ "$CPU" != none ]; then
  command -v taskset >/dev/null || { echo "splitter.sh: taskset not found (util-linux); BENCH_CPU=none runs unpinned" >&2; exit 69; }
  taskset -c "$CPU" true 2>/dev/null || { echo "splitter.sh: cannot pin to core $CPU" >&2; exit 69; }
  PIN=(taskset -c "$CPU")
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-bench-splitter.XXXXXX")
cleanup() { if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi; }
trap cleanup EXIT
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }

# ---------------------------------------------------------------- the corpus
declare -A CORPUS
while read -r k v; do CORPUS[$k]=$v; done < <("$BIN/split_bench" corpus "$T/corpus" "$MB" "${SEED_FILES[@]}" || echo "failed 1")
[ -z "${CORPUS[failed]:-}" ] || { echo "splitter.sh: split_bench could not write the corpus" >&2; exit 1; }
BYTES=$(find "$T/corpus" -type f -name '*.txt' -exec cat {} + | wc -c)
[ "$BYTES" = "${CORPUS[bytes]:-}" ] || { echo "splitter.sh: the corpus is not what its generator says" >&2; exit 1; }
CRLF=$(grep -l $'\r' "$T/corpus"/*.txt | wc -l)

# The peer: records start at "(N) Title" lines and after blank lines.
cat >"$T/records.awk" <<'EOF'
FNR == 1 { open = 0 }
/^[ \t\r]*$/ { open = 0; next }
/^\([0-9]+\)[ \t]/ { records++; open = 1; next }
!open { records++; open = 1 }
END { print records + 0, NR }
EOF

echo "splitter bench: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), ${PIN[*]:+pinned to core $CPU, }best of $REPEATS, load $(cut -d' ' -f1 /proc/loadavg)"
echo "corpus: ${CORPUS[files]} documents, $BYTES bytes ($(calc "$BYTES / 1e6") MB) from seeds 000+001 (bulletins: ${CORPUS[files_bulletin]}), 002 (brief: ${CORPUS[files_brief]}), 004 (insight list: ${CORPUS[files_insights]}); stories shuffled and subset, $CRLF with CRLF"
echo "peer: $AWK_NAME ($(command -v "$AWK")), LC_ALL=C, records at \"(N) Title\" and blank lines"

# ---------------------------------------------------------------- measuring
best_ours="" best_awk="" cpu_ours="" cpu_awk="" stories="" records=""
cd "$T/corpus"
mapfile -t FILES < <(printf '%s\n' *.txt)
for ((r = 1; r <= REPEATS; r++)); do
  declare -A RUN=()
  rc=0
  while read -r k v; do RUN[$k]=$v; done < <("${PIN[@]}" "$BIN/split_bench" run 1 "$T/corpus" 2>"$T/split_bench.err" || echo "failed $?")
  if [ -n "${RUN[failed]:-}" ] || [ -z "${RUN[best_s]:-}" ]; then
    echo "splitter.sh: split_bench run failed:" >&2; cat "$T/split_bench.err" >&2; exit 1
  fi
  [ "${RUN[bytes]}" = "$BYTES" ] || { echo "splitter.sh: split_bench read ${RUN[bytes]} bytes, not $BYTES" >&2; exit 1; }
  [ -z "$stories" ] || [ "$stories" = "${RUN[stories]}" ] || { echo "splitter.sh: story count changed between rounds" >&2; exit 1; }
  stories=${RUN[stories]}
  t0=$EPOCHREALTIME
  (LC_ALL=C "${PIN[@]}" "$AWK" -f "$T/records.awk" "${FILES[@]}" >"$T/awk.out" && times >"$T/awk.times") || rc=$?
  t_awk=$(calc "$EPOCHREALTIME - $t0" 6)
  out=$(cat "$T/awk.out")
  [ "$rc" = 0 ] && [ -n "$out" ] || { echo "splitter.sh: $AWK failed (exit $rc)" >&2; exit 1; }
  # the subshell's children: user and system time of the awk process
  c_awk=$(awk 'NR == 2 { split($1, a, "m"); split($2, b, "m"); printf "%.6f", a[1]*60 + a[2] + b[1]*60 + b[2] }' "$T/awk.times")
  [ -z "$records" ] || [ "$records" = "${out%% *}" ] || { echo "splitter.sh: $AWK's record count changed between rounds" >&2; exit 1; }
  records=${out%% *}
  if [ -z "$best_ours" ] || awk "BEGIN { exit !(${RUN[best_s]} < $best_ours) }"; then best_ours=${RUN[best_s]}; fi
  if [ -z "$best_awk" ] || awk "BEGIN { exit !($t_awk < $best_awk) }"; then best_awk=$t_awk; fi
  if [ -z "$cpu_ours" ] || awk "BEGIN { exit !(${RUN[cpu_s]} < $cpu_ours) }"; then cpu_ours=${RUN[cpu_s]}; fi
  if [ -z "$cpu_awk" ] || awk "BEGIN { exit !($c_awk < $cpu_awk) }"; then cpu_awk=$c_awk; fi
  echo "round $r: digest_split ${RUN[best_s]}s (cpu ${RUN[cpu_s]}s)  $AWK_NAME ${t_awk}s (cpu ${c_awk}s)"
done
cd "$ROOT"

# ---------------------------------------------------------------- report
ours=$(calc "$BYTES / 1e6 / $best_ours")
peer=$(calc "$BYTES / 1e6 / $best_awk")
echo
cpu_mbps_ours=$(calc "$BYTES / 1e6 / ($cpu_ours > 0.000001 ? $cpu_ours : 0.000001)")
cpu_mbps_peer=$(calc "$BYTES / 1e6 / ($cpu_awk > 0.000001 ? $cpu_awk : 0.000001)")
printf '%-30s %9s %14s %10s %10s %9s\n' "" "MB/s" "stories/s" "best s" "cpu MB/s" "cpu s"
printf '%-30s %9s %14s %10s %10s %9s\n' "digest_split (in-process)" "$ours" "$(calc "$stories / $best_ours" 0)" \
  "$best_ours" "$cpu_mbps_ours" "$cpu_ours"
printf '%-30s %9s %14s %10s %10s %9s\n' "$AWK_NAME (records, peer)" "$peer" "$(calc "$records / $best_awk" 0)" \
  "$best_awk" "$cpu_mbps_peer" "$cpu_awk"
echo "(MB/s: $BYTES bytes / 10^6 / best wall s; cpu MB/s: the same over the least CPU time (user+system) of a"
echo " round, less sensitive to other load; stories: $stories per pass; $AWK_NAME's $records records are"
echo " paragraphs and numbered lines, not stories, so its stories/s column counts records)"
echo
echo "target: >= $TARGET MB/s on one core: digest_split $(awk "BEGIN { print ($ours >= $TARGET ? \"meets\" : \"is BELOW\") }") it"
echo "on CPU time: digest_split $cpu_mbps_ours MB/s = $(calc "$cpu_mbps_ours / $cpu_mbps_peer" 2)x $AWK_NAME ($cpu_mbps_peer MB/s)"
echo "splitter: digest_split $ours MB/s = $(calc "$ours / $peer" 2)x $AWK_NAME ($peer MB/s), one core${PIN[*]:+ (core $CPU)}"
exit 0
