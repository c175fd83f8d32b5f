#!/usr/bin/python3
"""dedup_corpus.py - the story corpus bench/deduper.sh runs through the deduper.

    bench/dedup_corpus.py --seeds STORIES.jsonl --out CORPUS.jsonl
                          [--stories 200000] [--url-dups 0.10] [--near-dups 0.05] [--seed 1]

STORIES.jsonl is real splitter output (the seeds through fetcher | cleaner |
splitter, as bench/deduper.sh makes it). Writes CORPUS.jsonl, one story
(schemas/story.schema.json, the shape of those real stories) a line, and
prints a summary as "key value" lines. Standard library only. The same
arguments and seeds give the same bytes on every run (the random numbers come
from random.Random(seed).random() alone, and the choosing and shuffling is
done here, not by the random module's helpers).

WHAT THIS CORPUS IS: every story's body is 80 to 300 words of the seed
stories' sentences, shuffled (a handful of the ~370 sentences of their bodies
and summaries), each sentence with up to two of its words swapped for words
drawn from the seeds' own word frequencies, so that bodies are distinct, the
vocabulary and word frequencies are those of real news, and the SimHash bands
fill as they would in production. A title is the start of another seed
sentence with a word or two swapped, distinct among the originals (case and
punctuation aside): the deduper claims title + summary too, so two stories
sharing both would be exact duplicates. A summary is another seed sentence
(a duplicate's differs from its original's). Stories
come in documents (digests) of 4 to 14, with doc_id/position/story_id made as
the splitter makes them (story_id: 16 hex digits of a hash of doc_id and
position), and their url, canonical_url, outlet, photo_credit, source and
splitter fields are shaped like the seeds' bulletins and briefs. Mixed in:
  originals     about 85%: a new story; 12% of them have no URL (url null)
  URL dups      --url-dups (10%): the URL of an earlier original that has one,
                with other tracking parameters (utm_*, fbclid, module/pgtype
                on scmp.com, or none), and a body of its own: another
                newsletter's write-up of the same article -> duplicate/url
  near dups     --near-dups (5%): an earlier original's body with one word
                changed (to a different word), under a URL of its own or none
                -> duplicate/near when their SimHashes are within the
                deduper's threshold and share a band (fingerprint.h: within 3
                bits 3 times in 4, within 6 bits 19 times in 20)
Every line is distinct (distinct story_ids, and bodies).
"""
import argparse
import hashlib
import json
import os
import random
import re
import sys


class Rng:
    """Deterministic helpers on random.Random.random() only."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.random = self.r.random

    def int(self, lo, hi):  # lo..hi inclusive
        v = int(self.random() * (hi - lo + 1))
        return lo + (v if v <= hi - lo else hi - lo)

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def chance(self, p):
        return self.random() < p


def h64(*parts):
    return hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=8).hexdigest()


WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


def load_seeds(path):
    stories = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    sentences, words = [], []
    for s in stories:
        for text in (s.get("body") or "", s.get("summary") or ""):
            for para in text.split("\n"):
                for sent in re.split(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])", para.strip()):
                    if len(sent.split()) >= 5:
                        sentences.append(sent)
                        words += WORD.findall(sent)
    sentences = sorted(set(sentences))  # a stable order, whatever the seeds' order
    if len(sentences) < 50:
        sys.exit("dedup_corpus.py: fewer than 50 sentences in %s" % path)
    # each sentence as its tokens, and the positions of the tokens that are words
    split = [s.split(" ") for s in sentences]
    swappable = [[i for i, t in enumerate(toks) if WORD.fullmatch(t)] for toks in split]
    hosts = sorted({re.match(r"https?://([^/]+)", s["url"]).group(1) for s in stories if s.get("url")})
    outlets = sorted({s["outlet"] for s in stories if s.get("outlet")})
    credits = sorted({s["photo_credit"] for s in stories if s.get("photo_credit")})
    sources = sorted({(s["source"]["id"], s["source"]["kind"], s["source"].get("name")) for s in stories})
    return dict(n=len(stories), sentences=sentences, split=split, swappable=swappable, words=words, hosts=hosts, outlets=outlets,
                credits=credits, sources=sources)


class Gen:
    def __init__(self, seeds, rng):
        self.s, self.rng = seeds, rng
        self.titles = set()

    def tokens(self):
        """A seed sentence's tokens with up to two words swapped for others of the seeds."""
        j = self.rng.int(0, len(self.s["split"]) - 1)
        toks, can = list(self.s["split"][j]), self.s["swappable"][j]
        for _ in range(self.rng.int(0, 2)):
            if can:
                toks[self.rng.pick(can)] = self.rng.pick(self.s["words"])
        return toks

    def sentence(self):
        return " ".join(self.tokens())

    def body(self):
        target = self.rng.int(80, 300)
        sents, n = [], 0
        while n < target:
            toks = self.tokens()
            k = len(toks)
            s = " ".join(toks)
            if n + k > 300:
                if n >= 80:
                    break
                continue
            sents.append(s)
            n += k
        paras, i = [], 0
        while i < len(sents):
            k = self.rng.int(2, 4)
            paras.append(" ".join(sents[i:i + k]))
            i += k
        return "\n\n".join(paras)

    def title(self):
        """A headline no other original has (as the deduper compares them: case
        and punctuation aside), since stories with the same title and summary
        are duplicates of each other."""
        while True:
            j = self.rng.int(0, len(self.s["split"]) - 1)
            toks = self.s["split"][j][:self.rng.int(6, 14)]
            can = [i for i in self.s["swappable"][j] if i < len(toks)]
            for _ in range(self.rng.int(1, 2)):
                if can:
                    toks[self.rng.pick(can)] = self.rng.pick(self.s["words"])
            t = " ".join(toks).rstrip(".,;:!?”\"")
            key = " ".join(re.sub(r"[^\w]+", " ", t.lower()).split())
            if key not in self.titles:
                self.titles.add(key)
                return t

    def url(self, title, serial):
        host = self.rng.pick(self.s["hosts"])
        slug = "-".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split()[:10]) or "story"
        section = self.rng.pick(["news/china", "tech/big-tech", "business", "culture", "sport", "world/asia",
                                 "technology/artificial-intelligence", "economy"])
        return "https://%s/%s/article/%07d/%s" % (host, section, 3000000 + serial, slug)

    def tracking(self, base):
        kind = self.rng.int(0, 4)
        host = re.match(r"https://([^/]+)", base).group(1)
        if kind == 0:
            return base
        if kind == 1:
            return base + "?utm_source=newsletter&utm_medium=email&utm_campaign=daily-%d" % self.rng.int(1, 400)
        if kind == 2:
            return base + "?utm_source=rss_feed"
        if kind == 3:
            return base + "?fbclid=IwAR%08x" % self.rng.int(0, 2**32 - 1)
        if host.endswith("scmp.com"):
            return base + "?module=perpetual_scroll_%d&pgtype=article" % self.rng.int(0, 9)
        return base + "?utm_source=twitter&utm_medium=social"


def check(truth_file, unique_file, dups_file):
    """What the deduper decided against what each story is. A duplicate is
    found right when it names its original, or another story of the same
    family (a near duplicate kept as new takes band entries of its own);
    anything else it calls a duplicate is a false positive."""
    kind, root = {}, {}
    for line in open(truth_file):
        sid, k, of = line.split()
        kind[sid], root[sid] = k, (sid if of == "-" else of)
    res = {k: 0 for k in ("url_found", "near_found", "exact_found", "url_false", "near_false", "exact_false",
                          "wrong_family", "originals_kept", "url_dups_kept", "near_dups_kept")}
    for line in open(dups_file, encoding="utf-8"):
        o = json.loads(line)
        sid, d = o["story_id"], o["dedup"]
        reason, of = d["reason"], d["duplicate_of"]
        if kind[sid] == "originals":
            res[reason + "_false"] += 1
        elif root.get(of) == root[sid]:
            res[reason + "_found"] += 1
        else:
            res["wrong_family"] += 1
    for line in open(unique_file, encoding="utf-8"):
        res[kind[json.loads(line)["story_id"]] + "_kept"] += 1
    for k, v in res.items():
        print("%s %d" % (k, v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds")
    ap.add_argument("--out")
    ap.add_argument("--truth", help="write 'story_id kind original' lines: what each story is")
    ap.add_argument("--check", nargs=3, metavar=("TRUTH", "UNIQUE", "DUPLICATES"),
                    help="compare the deduper's outputs with the truth file instead")
    ap.add_argument("--stories", type=int, default=200000)
    ap.add_argument("--url-dups", type=float, default=0.10)
    ap.add_argument("--near-dups", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.check:
        return check(*a.check)
    if not a.seeds or not a.out:
        ap.error("--seeds and --out are required")
    seeds = load_seeds(a.seeds)
    rng = Rng(a.seed)
    g = Gen(seeds, rng)
    originals, with_url = [], []  # (title, summary, body, canonical url or None, story_id)
    counts = dict(originals=0, original_no_url=0, url_dups=0, near_dups=0)
    words_min, words_max, words_sum, nbytes = 10**9, 0, 0, 0
    ids = set()
    doc_n = serial = 0
    with open(a.out, "w", encoding="utf-8") as out, open(a.truth or os.devnull, "w") as truth:
        n = 0
        while n < a.stories:
            doc_n += 1
            src_id, src_kind, src_name = rng.pick(seeds["sources"])
            rule = rng.pick(["bulletin", "brief"])
            doc_id = h64("doc", a.seed, doc_n)
            src = {"id": "%s-%d" % (src_id, doc_n // 40), "kind": src_kind, "name": src_name}
            for pos in range(min(rng.int(4, 14), a.stories - n)):
                story_id, of = h64(doc_id, pos), "-"
                x = rng.random()
                if x < a.url_dups and with_url:
                    title, summary0, _, canon, of = originals[rng.pick(with_url)]
                    body, url, kind = g.body(), g.tracking(canon), "url_dups"
                elif x < a.url_dups + a.near_dups and originals:
                    title, summary0, body, _, of = originals[rng.int(0, len(originals) - 1)]
                    toks = body.split(" ")
                    while True:
                        i = rng.int(0, len(toks) - 1)
                        m = WORD.fullmatch(toks[i].strip(".,;:!?”“\"()"))
                        w = rng.pick(seeds["words"])
                        if m and w.lower() != m.group(0).lower():
                            toks[i] = toks[i].replace(m.group(0), w, 1)
                            break
                    body = " ".join(toks)
                    serial += 1
                    url = g.tracking(g.url(title, serial)) if rng.chance(0.8) else None
                    kind = "near_dups"
                else:
                    title, summary0, body = g.title(), None, g.body()
                    serial += 1
                    canon = g.url(title, serial) if rng.chance(0.88) else None
                    url = g.tracking(canon) if canon else None
                    counts["original_no_url"] += canon is None
                    kind = "originals"
                # a summary of its own: a duplicate's differs from its original's,
                # or the title and summary alone would make it an exact duplicate
                summary = g.sentence()
                while summary == summary0:
                    summary = g.sentence()
                if kind == "originals":
                    originals.append((title, summary, body, canon, story_id))
                    if canon:
                        with_url.append(len(originals) - 1)
                counts[kind] += 1
                truth.write("%s %s %s\n" % (story_id, kind, of))
                assert story_id not in ids
                ids.add(story_id)
                canonical = re.sub(r"\?.*", "", url) if url else None  # the query is tracking only
                story = {
                    "schema_version": 1, "story_id": story_id, "doc_id": doc_id, "position": pos,
                    "title": title, "summary": summary, "body": body, "url": url,
                    "canonical_url": canonical,
                    "outlet": rng.pick(seeds["outlets"]) if rule == "brief" and seeds["outlets"] else None,
                    "photo_credit": rng.pick(seeds["credits"]) if rule == "bulletin" and seeds["credits"] else None,
                    "published_at": "2025-%02d-%02dT%02d:%02d:00Z" % (rng.int(1, 12), rng.int(1, 28),
                                                                       rng.int(0, 23), rng.int(0, 59))
                    if rng.chance(0.3) else None,
                    "language": "en", "source": src, "doc_url": None, "wordpress": None,
                    "splitter": {"rule": rule, "version": "2"},
                }
                line = json.dumps(story, ensure_ascii=False, separators=(",", ":")) + "\n"
                out.write(line)
                nbytes += len(line.encode("utf-8"))
                wc = len(body.split())
                words_min, words_max, words_sum = min(words_min, wc), max(words_max, wc), words_sum + wc
                n += 1
    print("stories %d" % n)
    for k, v in counts.items():
        print("%s %d" % (k, v))
    print("documents %d" % doc_n)
    print("bytes %d" % nbytes)
    print("words_min %d" % words_min)
    print("words_avg %.0f" % (words_sum / max(n, 1)))
    print("words_max %d" % words_max)
    print("seed_stories %d" % seeds["n"])
    print("seed_sentences %d" % len(seeds["sentences"]))
    print("seed_words %d" % len(seeds["words"]))


if __name__ == "__main__":
    main()
