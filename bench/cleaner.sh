#!/usr/bin/env bash
# cleaner.sh — HTML-to-text throughput: our converter (storypipe-cleaner
# --html FILE) against lynx -dump, w3m -dump and Python html2text, on the
# same corpus in the same run, on one core; and our ratio to the fastest peer.
#
#   bench/cleaner.sh            (after: cmake -S . -B build && cmake --build build)
#
# Corpus: bench/cleaner_corpus.py writes, into a temp dir, ~11 MB (> 10 MiB) of
# HTML derived from the one real WordPress post we have (tests/fixtures/seeds/
# 003_9d9fcb9bef2a428f.txt) plus synthetic WordPress markup (entities, block
# comments, [caption] shortcodes, figures, tweet embeds with <script>, lists,
# tables, <pre>, links): see that file's header for exactly what is real and
# what is made up. Deterministic, no network. Posts are packed into ~1 MB
# files, each a complete UTF-8 HTML document, so that the per-process start-up
# of lynx, w3m or a Python interpreter (tens of ms) does not dominate; every
# tool converts the same files. BENCH_FILE_KB=0 gives one post per file
# instead, which measures start-up as much as conversion.
#
# Tools (each reads the file by name and writes its text to stdout):
#   storypipe      $STORYPIPE_BIN/storypipe-cleaner --html FILE
#   lynx           lynx -dump -force_html -assume_charset=utf-8 -display_charset=utf-8 FILE
#   w3m            w3m -dump -T text/html -I UTF-8 -O UTF-8 FILE
#   html2text-py   PYTHON -m html2text FILE utf-8     (PyPI's html2text, the Python
#                  one; Debian's python3-html2text through /usr/bin/python3, else a
#                  venv in ~/.cache/storypipe/html2text-venv)
#   html2text-c    html2text -utf8 -nobs FILE          (an EXTRA peer, not one of the
#                  three the target names: Debian's C program "html2text" 1.3.x, a
#                  different tool that happens to share the name; measured when
#                  installed, left out of the fastest-peer ratio, reported apart)
# Nothing is installed by this script; a missing tool is reported with the
# command that installs it, and the others are still measured.
#
# Method: for each tool, one run converts every corpus file, one file after
# the other, from a subshell pinned with taskset to one core (BENCH_CPU), so
# the tool and anything it forks stay on that core; wall time of the whole
# run (process start-up included, nothing subtracted) and the user+system CPU
# time of the tools (bash's `times` for the subshell's children). BENCH_REPEATS
# rounds, the tools taking turns within each round; a tool's best (lowest
# wall) run is reported, with that run's CPU time. MB/s = corpus bytes / 10^6
# / seconds. After every run each file's output is checked: exit status 0,
# non-empty, and both of the file's markers (CORPUSFILEnnnBEGIN at its start,
# CORPUSFILEnnnEND at its end) present, so a tool that fails or stops early
# cannot look fast. Tools run with HOME set to an empty temp dir (no user's
# ~/.w3m, ~/.lynxrc, ~/.html2textrc) and LC_ALL=C.UTF-8.
#
# Our converter: if storypipe-cleaner is missing, or answers --html with exit
# 64 (unknown option: the converter is not merged yet), that is reported and
# the peers are still measured, with the MB/s our converter would need for the
# target. A benchmark, not a test: the exit status says whether the runs
# worked, not how fast they were: 0 all measured; 1 a tool failed (bad exit,
# empty or truncated output); 69 storypipe-cleaner --html or one of the three
# named peers unavailable (everything else measured and printed).
#
# Environment:
#   BENCH_CORPUS_MB   corpus size, MB of 10^6 bytes [11]
#   BENCH_FILE_KB     pack posts into files of about this many KB; 0: one post
#                     per file [1024]
#   BENCH_REPEATS     rounds; the best run of each tool is reported [3]
#   BENCH_CPU         the core to pin to [0]; "none" does not pin
#   BENCH_TARGET      the ratio to the fastest peer that the summary checks [10]
#   BENCH_TOOLS       which tools [storypipe lynx w3m html2text-py html2text-c]
#   BENCH_HTML2TEXT_PY  a python with html2text importable, to use instead of
#                     looking for one
#   STORYPIPE_BIN     the build's bin/ [build/bin]; KEEP_TMP=1 keeps corpus and
#                     outputs
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${STORYPIPE_BIN:-$ROOT/build/bin}
CORPUS_MB=${BENCH_CORPUS_MB:-11}
FILE_KB=${BENCH_FILE_KB:-1024}
REPEATS=${BENCH_REPEATS:-3}
CPU=${BENCH_CPU:-0}
TARGET=${BENCH_TARGET:-10}
read -r -a TOOLS <<<"${BENCH_TOOLS:-storypipe lynx w3m html2text-py html2text-c}"
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/storypipe
VENV=$CACHE/html2text-venv
NAMED_PEERS=(lynx w3m html2text-py)   # the peers the acceptance target names

die() { echo "cleaner.sh: $*" >&2; exit 64; }
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEATS must be a positive integer"
[[ $FILE_KB =~ ^[0-9]+$ ]] || die "BENCH_FILE_KB must be a non-negative integer"
[[ $CORPUS_MB =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_CORPUS_MB must be a number"
[[ $TARGET =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_TARGET must be a number"
for t in "${TOOLS[@]}"; do
  case $t in storypipe | lynx | w3m | html2text-py | html2text-c) ;; *) die "unknown tool in BENCH_TOOLS: $t" ;; esac
done
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3) || { echo "cleaner.sh: python3 not found" >&2; exit 69; }

T=$(mktemp -d "${TMPDIR:-/tmp}/storypipe-bench-cleaner.XXXXXX")
cleanup() { if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi; }
trap cleanup EXIT
mkdir -p "$T/home"

fmt() { awk -v x="$1" -v p="${2:-1}" 'BEGIN { printf "%.*f", p, x }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", (b > 0 ? a / b : 0) }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / 1e6 / s : 0) }'; }
# "0m1.250s 0m0.031s" (bash `times`) -> seconds user+sys
times_sum() { awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } printf "%.3f", s }' <<<"$1"; }

# ---------------------------------------------------------------- the tools
declare -A LABEL CMD VERSION STATUS WHY BEST_WALL BEST_CPU OUT_BYTES RUNS
LYNX_ARGS=(-dump -force_html -assume_charset=utf-8 -display_charset=utf-8)
W3M_ARGS=(-dump -T text/html -I UTF-8 -O UTF-8)
C_H2T=""
PY_H2T=""
run_storypipe() { "$BIN/storypipe-cleaner" --html "$1"; }
run_lynx() { lynx "${LYNX_ARGS[@]}" "$1"; }
run_w3m() { w3m "${W3M_ARGS[@]}" "$1"; }
run_html2text-py() { "$PY_H2T" -m html2text "$1" utf-8; }
run_html2text-c() { "$C_H2T" -utf8 -nobs "$1"; }

h2t_py_version() { "$1" -c 'import html2text; print(".".join(map(str, html2text.__version__)))' 2>/dev/null; }

declare -a MISSING_HINTS=()
detect() {
  local t=$1 v py cand
  LABEL[$t]=$t
  case $t in
    storypipe)
      LABEL[$t]="storypipe-cleaner --html"
      CMD[$t]="$BIN/storypipe-cleaner --html FILE"
      VERSION[$t]="(this build)"
      if [ -x "$BIN/storypipe-cleaner" ]; then STATUS[$t]=probe; else
        STATUS[$t]=unavailable; WHY[$t]="$BIN/storypipe-cleaner not built (cmake -S . -B build && cmake --build build -j2)"
      fi ;;
    lynx)
      LABEL[$t]="lynx -dump"
      CMD[$t]="lynx ${LYNX_ARGS[*]} FILE"
      if command -v lynx >/dev/null; then
        STATUS[$t]=ok; VERSION[$t]=$(lynx -version 2>/dev/null | awk 'NR == 1 { print $3 }')
      else
        STATUS[$t]=unavailable; WHY[$t]="lynx not installed"; MISSING_HINTS+=("lynx:           apt-get install -y lynx")
      fi ;;
    w3m)
      LABEL[$t]="w3m -dump"
      CMD[$t]="w3m ${W3M_ARGS[*]} FILE"
      if command -v w3m >/dev/null; then
        STATUS[$t]=ok; VERSION[$t]=$(w3m -version 2>/dev/null | sed -n '1s/^w3m version w3m\/\([^,]*\).*/\1/p')
      else
        STATUS[$t]=unavailable; WHY[$t]="w3m not installed"; MISSING_HINTS+=("w3m:            apt-get install -y w3m")
      fi ;;
    html2text-py)
      LABEL[$t]="html2text (Python)"
      local cands=(/usr/bin/python3 "$VENV/bin/python" "$(command -v python3 || true)")
      [ -z "${BENCH_HTML2TEXT_PY:-}" ] || cands=("$BENCH_HTML2TEXT_PY")
      for cand in "${cands[@]}"; do
        [ -n "$cand" ] && [ -x "$cand" ] || continue
        if v=$(h2t_py_version "$cand") && [ -n "$v" ]; then
          # the interpreter itself, not a shim (HOME is changed for the runs)
          PY_H2T=$("$cand" -c 'import sys; print(sys.executable)'); VERSION[$t]=$v; break
        fi
      done
      CMD[$t]="${PY_H2T:-PYTHON} -m html2text FILE utf-8"
      if [ -n "$PY_H2T" ]; then STATUS[$t]=ok; else
        STATUS[$t]=unavailable; WHY[$t]="Python html2text not importable (${BENCH_HTML2TEXT_PY:-/usr/bin/python3, $VENV, python3})"
        MISSING_HINTS+=("html2text (Py): apt-get install -y python3-html2text   (Debian's; used through /usr/bin/python3)"
                        "                or, without it: python3 -m venv $VENV && $VENV/bin/pip install html2text")
      fi ;;
    html2text-c)
      LABEL[$t]="html2text (C, extra)"
      # the C program, not PyPI html2text's console script of the same name
      while read -r cand; do
        v=$("$cand" -version 2>&1 </dev/null || true)   # not piped into grep -q: SIGPIPE + pipefail
        if [[ $v == "This is html2text"* ]]; then C_H2T=$cand; break; fi
      done < <(type -ap html2text)
      CMD[$t]="${C_H2T:-html2text} -utf8 -nobs FILE"
      if [ -n "$C_H2T" ]; then
        STATUS[$t]=ok; VERSION[$t]=$("$C_H2T" -version 2>&1 | sed -n 's/^This is html2text, version //p')
      else
        STATUS[$t]=unavailable; WHY[$t]="the C html2text is not installed (optional)"
        MISSING_HINTS+=("html2text (C):  apt-get install -y html2text   (optional extra peer)")
      fi ;;
  esac
}
for t in "${TOOLS[@]}"; do detect "$t"; done

# ---------------------------------------------------------------- the corpus
GEN_ARGS=(--out "$T/corpus" --mb "$CORPUS_MB" --file-kb "$FILE_KB")
gen_start=$EPOCHREALTIME
declare -A CORPUS
while read -r k v; do CORPUS[$k]=$v; done < <("$PYTHON" "$ROOT/bench/cleaner_corpus.py" "${GEN_ARGS[@]}")
gen_s=$(awk -v a="$gen_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
mapfile -t FILES < <(find "$T/corpus" -name 'cleaner-*.html' | sort)
BYTES=$(cat "${FILES[@]}" | wc -c)
[ "${#FILES[@]}" = "${CORPUS[files]:-}" ] && [ "$BYTES" = "${CORPUS[bytes]:-}" ] ||
  { echo "cleaner.sh: corpus generator's summary does not match its files" >&2; exit 1; }

PIN=""
if [ "$CPU" != none ]; then
  if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then PIN=$CPU; else
    echo "cleaner.sh: cannot pin to core $CPU (taskset missing or no such core); running unpinned" >&2
  fi
fi

echo "cleaner bench: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)), $( [ -n "$PIN" ] && echo "pinned to core $PIN" || echo unpinned), best of $REPEATS"
load_start=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
echo "load average at start: $load_start$(awk -v l="$load_start" 'BEGIN { if (l > 0.5) print " (other work on this machine: wall times will be noisy; compare cpu s)" }')"
echo "corpus: ${CORPUS[files]} files, ${CORPUS[posts]} posts, $BYTES bytes ($(fmt "$(div "$BYTES" 1048576)" 2) MiB), sha256 ${CORPUS[sha256]:0:16}…, made in ${gen_s}s"
echo "        derived from ${CORPUS[source]} (one real WordPress post) + synthetic WordPress markup"
for t in "${TOOLS[@]}"; do
  printf '  %-26s %s\n' "${LABEL[$t]} ${VERSION[$t]:-}" "${CMD[$t]}"
done

# ---------------------------------------------------------------- measuring
# convert_all TOOL OUTDIR: every file, in order, pinned; prints the children's
# `times` line (user sys). Runs in a $(...) subshell.
convert_all() {
  local tool=$1 out=$2 i rc
  [ -z "$PIN" ] || taskset -cp "$PIN" "$BASHPID" >/dev/null
  export HOME=$T/home LC_ALL=C.UTF-8
  for i in "${!FILES[@]}"; do
    rc=0
    "run_$tool" "${FILES[$i]}" >"$out/$i.txt" 2>"$out/$i.err" </dev/null || rc=$?
    [ "$rc" = 0 ] || echo "$i $rc" >>"$out/failed"
  done
  times >"$out/times"   # no pipe: a forked `times` would see no children
  tail -n 1 "$out/times"
}

# check TOOL OUTDIR: every file converted, output non-empty and complete.
# Sets WHY[TOOL] and returns 1 on the first bad file.
check() {
  local tool=$1 out=$2 i n f rc
  for i in "${!FILES[@]}"; do
    f=${FILES[$i]}; n=${f##*/cleaner-}; n=${n%.html}
    rc=""
    [ ! -s "$out/failed" ] || rc=$(awk -v i="$i" '$1 == i { print $2 }' "$out/failed")
    if [ -n "$rc" ]; then WHY[$tool]="${f##*/}: exit $rc: $(sed -n 1p "$out/$i.err" | cut -c1-300)"; return 1; fi
    if [ ! -s "$out/$i.txt" ]; then WHY[$tool]="${f##*/}: empty output"; return 1; fi
    if ! grep -q "CORPUSFILE${n}BEGIN" "$out/$i.txt"; then WHY[$tool]="${f##*/}: output lacks CORPUSFILE${n}BEGIN"; return 1; fi
    if ! grep -q "CORPUSFILE${n}END" "$out/$i.txt"; then WHY[$tool]="${f##*/}: output lacks CORPUSFILE${n}END (truncated)"; return 1; fi
  done
}

# measure TOOL: one run; updates the tool's best, or marks it failed
measure() {
  local tool=$1 out=$T/out/$1 t0 t1 tl wall cpu
  rm -rf "$out"; mkdir -p "$out"
  t0=$EPOCHREALTIME
  tl=$(convert_all "$tool" "$out")
  t1=$EPOCHREALTIME
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  cpu=$(times_sum "$tl")
  if ! check "$tool" "$out"; then STATUS[$tool]=failed; return 1; fi
  RUNS[$tool]="${RUNS[$tool]:-}${RUNS[$tool]:+ }$wall"
  if [ -z "${BEST_WALL[$tool]:-}" ] || awk -v a="$wall" -v b="${BEST_WALL[$tool]}" 'BEGIN { exit !(a < b) }'; then
    BEST_WALL[$tool]=$wall; BEST_CPU[$tool]=$cpu
  fi
  OUT_BYTES[$tool]=$(cat "$out"/*.txt | wc -c)
}

# Our converter: a first file tells whether --html exists at all.
if [ "${STATUS[storypipe]:-}" = probe ]; then
  rc=0
  "$BIN/storypipe-cleaner" --html "${FILES[0]}" >"$T/probe.txt" 2>"$T/probe.err" </dev/null || rc=$?
  if [ "$rc" = 0 ]; then STATUS[storypipe]=ok
  elif [ "$rc" = 64 ]; then
    STATUS[storypipe]=unavailable
    WHY[storypipe]="storypipe-cleaner --html is not available (exit 64: $(head -n 1 "$T/probe.err"))"
  else
    STATUS[storypipe]=failed
    WHY[storypipe]="${FILES[0]##*/}: exit $rc: $(sed -n 1p "$T/probe.err" | cut -c1-300)"
  fi
fi

bench_start=$EPOCHREALTIME
for ((r = 1; r <= REPEATS; r++)); do
  line="round $r/$REPEATS:"
  for t in "${TOOLS[@]}"; do
    [ "${STATUS[$t]}" = ok ] || continue
    if measure "$t"; then line+=" $t $(fmt "${RUNS[$t]##* }" 2)s"; else line+=" $t FAILED"; fi
  done
  echo "$line"
done
bench_s=$(awk -v a="$bench_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# ---------------------------------------------------------------- report
echo
printf '%-28s %9s %9s %9s %9s %12s  %s\n' tool "MB/s" "wall s" "cpu s" "cpuMB/s" "text bytes" "wall s of each run"
for t in "${TOOLS[@]}"; do
  name="${LABEL[$t]}"
  case ${STATUS[$t]} in
    ok)
      printf '%-28s %9s %9s %9s %9s %12s  %s\n' "$name" "$(mbps "$BYTES" "${BEST_WALL[$t]}")" \
        "$(fmt "${BEST_WALL[$t]}" 3)" "$(fmt "${BEST_CPU[$t]}" 3)" "$(mbps "$BYTES" "${BEST_CPU[$t]}")" \
        "${OUT_BYTES[$t]}" "${RUNS[$t]}" ;;
    failed) printf '%-28s %9s  %s\n' "$name" FAILED "${WHY[$t]}" ;;
    *) printf '%-28s %9s  %s\n' "$name" "n/a" "${WHY[$t]}" ;;
  esac
done
echo "(MB/s = $BYTES bytes / 10^6 / best wall s, start-up included; cpu = user+sys of that run)"

status=0
missing_named=()
fastest="" fastest_mbps=0
for t in "${NAMED_PEERS[@]}"; do
  [[ " ${TOOLS[*]} " == *" $t "* ]] || continue
  case ${STATUS[$t]} in
    ok)
      m=$(mbps "$BYTES" "${BEST_WALL[$t]}")
      if awk -v a="$m" -v b="$fastest_mbps" 'BEGIN { exit !(a > b) }'; then fastest=$t fastest_mbps=$m; fi ;;
    failed) status=1 ;;
    *) missing_named+=("$t") ;;
  esac
done
[ "${STATUS[html2text-c]:-}" != failed ] || status=1
[ "${STATUS[storypipe]:-}" != failed ] || status=1

if [ ${#MISSING_HINTS[@]} -gt 0 ]; then
  echo
  echo "not installed (this script installs nothing); to install:"
  printf '  %s\n' "${MISSING_HINTS[@]}"
fi
[ ${#missing_named[@]} -eq 0 ] || { echo "INCOMPLETE: peer(s) not measured: ${missing_named[*]}"; [ "$status" != 0 ] || status=69; }

echo
load_end=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
echo "${CORPUS[files]} files, $BYTES bytes; ${bench_s}s of measuring; load average at end $load_end"
sp=${STATUS[storypipe]:-not-run}
if [ -z "$fastest" ]; then
  echo "cleaner: no peer measured, no ratio"
  [ "$status" != 0 ] || status=69
elif [ "$sp" = ok ]; then
  ours=$(mbps "$BYTES" "${BEST_WALL[storypipe]}")
  ratio=$(fmt "$(div "$ours" "$fastest_mbps")" 1)
  verdict=$(awk -v r="$(div "$ours" "$fastest_mbps")" -v t="$TARGET" 'BEGIN { print (r >= t ? "meets" : "is BELOW") }')
  if [ "${STATUS[html2text-c]:-}" = ok ]; then
    c=$(mbps "$BYTES" "${BEST_WALL[html2text-c]}")
    echo "(extra peer html2text (C) $c MB/s: storypipe is $(fmt "$(div "$ours" "$c")" 1)x it; not counted in the ratio)"
  fi
  cpu_fastest=$(mbps "$BYTES" "${BEST_CPU[$fastest]}")
  echo "(by CPU time instead of wall: storypipe $(mbps "$BYTES" "${BEST_CPU[storypipe]}") MB/s, $fastest $cpu_fastest MB/s: $(fmt "$(div "$(mbps "$BYTES" "${BEST_CPU[storypipe]}")" "$cpu_fastest")" 1)x)"
  echo "target: ${TARGET}x the fastest peer: storypipe $verdict it"
  echo "cleaner: storypipe $ours MB/s = ${ratio}x the fastest peer (${fastest} $fastest_mbps MB/s)"
else
  need=$(awk -v m="$fastest_mbps" -v t="$TARGET" 'BEGIN { printf "%.1f", m * t }')
  case $sp in
    failed) why="storypipe-cleaner --html FAILED (${WHY[storypipe]})" ;;
    not-run) why="storypipe not in BENCH_TOOLS" ;;
    *) why=${WHY[storypipe]} ;;
  esac
  echo "cleaner: $why; fastest peer ${fastest} $fastest_mbps MB/s, so ${TARGET}x needs $need MB/s"
  if [ "$sp" = failed ]; then status=1; elif [ "$sp" != not-run ] && [ "$status" = 0 ]; then status=69; fi
fi
exit "$status"
