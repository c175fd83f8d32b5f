#!/usr/bin/env python3
"""gen_sources.py — deterministic source records for the pipeline tests.

    gen_sources.py N [--dup M] [--prefix P] > sources.jsonl

N inline text documents, each with its own URL (https://example.test/P/i),
then M WordPress posts (other documents: their own guid) whose link is the
URL of documents 0..M-1 plus a utm_ parameter: the deduper must find those
as duplicates by canonical URL."""
import argparse
import json
import random

WORDS = ("china media market film studio box office streaming platform artificial "
         "intelligence model video startup investment regulator music release "
         "festival audience record growth quarter policy export chip cloud").split()


def text(rng, i, n_par=3):
    pars = []
    for p in range(n_par):
        pars.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60))) + ".")
    return f"Story {i}: {' '.join(rng.choice(WORDS) for _ in range(6))}\n\n" + "\n\n".join(pars)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--dup", type=int, default=0)
    ap.add_argument("--prefix", default="t")
    a = ap.parse_args()
    rng = random.Random(20250203)
    for i in range(a.n):
        rec = {"schema_version": 1, "id": f"{a.prefix}-{i}", "kind": "inline", "format": "text",
               "url": f"https://example.test/{a.prefix}/{i}", "content": text(rng, i)}
        print(json.dumps(rec, ensure_ascii=False))
    for k in range(a.dup):
        post = {"id": 100000 + k, "guid": {"rendered": f"https://syndicated.test/?p={100000 + k}"},
                "link": f"https://example.test/{a.prefix}/{k}?utm_source=newsletter",
                "title": {"rendered": f"Syndicated copy {k}"},
                "content": {"rendered": "<p>" + text(rng, k).replace("\n\n", "</p><p>") + "</p>"}}
        rec = {"schema_version": 1, "id": f"{a.prefix}-dup-{k}", "kind": "inline",
               "format": "wordpress_json", "content": json.dumps(post)}
        print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    main()
