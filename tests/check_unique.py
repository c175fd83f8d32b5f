#!/usr/bin/env python3
"""check_unique.py — what arrived in news.unique (and news.duplicates)
against what was sent.

    check_unique.py --unique U.jsonl --sources S.jsonl [--stories T.jsonl]
                    [--duplicates D.jsonl] [--exactly-once] [--expect-dups M]

Every source URL must reach news.unique (nothing lost): a source whose URL
was already taken by another must reach news.duplicates instead. With
--stories (what the splitter emitted), the URLs of the stories are the ones
expected, digests' stories included. With
--exactly-once no story may appear twice in news.unique. Prints one line a
check and "N passed, M failed"; exits 1 on any failure."""
import argparse
import collections
import json
import sys
import urllib.parse


def canonical(url):
    u = urllib.parse.urlsplit(url)
    q = [p for p in u.query.split("&") if p and not p.lower().startswith("utm_")]
    return urllib.parse.urlunsplit((u.scheme.lower(), u.netloc.lower(), u.path, "&".join(sorted(q)), ""))


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unique", required=True)
    ap.add_argument("--sources", required=True)
    ap.add_argument("--stories")
    ap.add_argument("--duplicates")
    ap.add_argument("--exactly-once", action="store_true")
    ap.add_argument("--expect-dups", type=int, default=None)
    a = ap.parse_args()
    results = []

    def check(ok, what):
        results.append(ok)
        print(("ok   " if ok else "FAIL ") + what)

    sources = []
    for s in load(a.sources):
        if s.get("format") == "wordpress_json":  # the URL is the post's link
            post = json.loads(s["content"]) if s["kind"] == "inline" else json.load(open(s["path"]))
            s = dict(s, url=post.get("link"))
        if s.get("url"):
            sources.append(s)
    unique = load(a.unique)
    dups = load(a.duplicates) if a.duplicates else []
    want = collections.Counter(canonical(s["url"]) for s in sources)
    if a.stories:  # what the splitter made canonical, by the pipeline's own rules
        want = collections.Counter(m["canonical_url"] for m in load(a.stories) if m.get("canonical_url"))
    got = collections.Counter(m.get("canonical_url") for m in unique)
    ids = collections.Counter(m["story_id"] for m in unique)

    missing = [u for u in want if u not in got]
    check(not missing, f"every source URL reached news.unique once ({len(want)} URLs; missing {len(missing)}"
          + (f", e.g. {missing[:3]})" if missing else ")"))
    extra = [u for u in got if u and u not in want]
    check(not extra, f"no unexpected URL in news.unique ({len(extra)} unexpected)")
    kept = {m["story_id"] for m in unique}
    if a.duplicates is not None:
        bad = [d["story_id"] for d in dups if d["dedup"]["duplicate_of"] not in kept]
        check(not bad, f"every duplicate points at a story in news.unique ({len(dups)} duplicates)")
        dup_ids = {d["story_id"] for d in dups}
        check(not (dup_ids & kept), "no story is both unique and a duplicate")
        if a.expect_dups is not None:
            check(len(dup_ids) == a.expect_dups, f"{len(dup_ids)} distinct duplicates, expected {a.expect_dups}")
    urls_twice = [u for u, n in got.items() if u and n > 1 and
                  len({m["story_id"] for m in unique if m.get("canonical_url") == u}) > 1]
    check(not urls_twice, f"no URL owned by two stories in news.unique ({len(urls_twice)})")
    if a.exactly_once:
        twice = [i for i, n in ids.items() if n > 1]
        check(not twice, f"exactly once: {len(unique)} messages, {len(ids)} stories, {len(twice)} seen twice")
    else:
        print(f"info at-least-once: {len(unique)} messages for {len(ids)} stories "
              f"({len(unique) - len(ids)} redelivered)")
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
