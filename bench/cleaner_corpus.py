#!/usr/bin/python3
"""cleaner_corpus.py - build the HTML corpus that bench/cleaner.sh converts.

    bench/cleaner_corpus.py --out DIR [--mb 11] [--file-kb 1024] [--seed 1]

Writes DIR/cleaner-NNN.html and prints a summary ("key value" lines).
Standard library only; needs no network and nothing outside this repo.
The same arguments give the same bytes on every run (the random numbers come
from random.Random(seed).random() alone, whose sequence Python keeps stable,
and the choosing, shuffling and picking is done here, not by the random
module's helpers whose algorithms have changed between Python versions).

WHAT THIS CORPUS IS, HONESTLY: it is derived from ONE real WordPress post plus
SYNTHETIC WordPress markup. The real post is the WordPress REST API answer in
tests/fixtures/seeds/003_9d9fcb9bef2a428f.txt (a newsbeep.com/ca re-post of a
CNN article): its content.rendered, title.rendered and excerpt.rendered. Every
sentence of body text in the corpus is one of that post's sentences (its
paragraphs are reordered, repeated, and sometimes re-mixed sentence by
sentence), and its two image paragraphs are reused verbatim. That one post is
plain <p> paragraphs with attribute-heavy markup, raw UTF-8 punctuation and no
entities, so the constructs real WordPress sites put in posts and it lacks are
added synthetically, in the shapes WordPress core and the usual plugins emit:

  - wptexturize's numeric entities (&#8216; &#8217; &#8220; &#8221; &#8211;
    &#8212; &#8230;), in most posts instead of the raw UTF-8 characters, and
    in some posts their named forms (&rsquo; &hellip; ...); &nbsp; and &amp;
  - Gutenberg block comments (<!-- wp:paragraph --> ... <!-- /wp:paragraph -->)
    around every block of "block editor" posts
  - classic-editor posts: bare <p> with <br /> line breaks, and unrendered
    [caption id="attachment_N" align="aligncenter" width="800"]<img ...>
    Caption text[/caption] shortcodes (as they leak into feeds and imports)
  - rendered captions (<figure class="wp-caption">) and block images
    (<figure class="wp-block-image"><img ...><figcaption>)
  - twitter-tweet blockquotes followed by their
    <script async src="https://platform.twitter.com/widgets.js">, bare or in a
    wp-block-embed figure; YouTube iframe embeds
  - <ul>/<ol> lists, <table>s (block and classic), <pre> (code with &lt; &gt;
    &amp; and indentation, and preformatted text), headings, pull quotes,
    separators, inline <a href>, <strong>, <em>
The captions, list items, table cells, tweets and headings reuse words and
sentences of the real post; the tweet accounts, table figures and code are
made up. A post is wrapped as a theme's archive page would (<article> with an
entry title, sometimes the excerpt, and <div class="entry-content">), and
posts are packed into files of about --file-kb KB (default 1 MB, so that the
start-up cost of lynx, w3m or a Python interpreter does not dominate), each a
complete UTF-8 HTML document whose first and last paragraphs hold the markers
CORPUSFILEnnnBEGIN and CORPUSFILEnnnEND, by which bench/cleaner.sh checks
that a converter's output covers the whole file. --file-kb 0 writes one post
per file instead.
"""
import argparse
import hashlib
import html
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_POST = os.path.join(HERE, "..", "tests", "fixtures", "seeds", "003_9d9fcb9bef2a428f.txt")


class Rng:
    """Deterministic helpers on random.Random.random() only."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def random(self):
        return self.r.random()

    def int(self, lo, hi):  # lo..hi inclusive
        return lo + min(int(self.r.random() * (hi - lo + 1)), hi - lo)

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def chance(self, p):
        return self.r.random() < p

    def shuffled(self, seq):
        a = list(seq)
        for i in range(len(a) - 1, 0, -1):
            j = self.int(0, i)
            a[i], a[j] = a[j], a[i]
        return a

    def weighted(self, pairs):
        total = sum(w for w, _ in pairs)
        x = self.r.random() * total
        for w, v in pairs:
            x -= w
            if x < 0:
                return v
        return pairs[-1][1]


# ---------------------------------------------------------------- the real post

def load_post(path):
    with open(path, encoding="utf-8") as f:
        post = json.load(f)
    content = post["content"]["rendered"]
    blocks = re.findall(r"<p\b[^>]*>.*?</p>", content, re.S)
    text_blocks = [b for b in blocks if "<img" not in b]
    image_blocks = [b for b in blocks if "<img" in b]
    texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", b)).split()) for b in text_blocks]
    sentences = []
    for t in texts:
        sentences += [s for s in re.split(r"(?<=[.!?\u201d])\s+(?=[A-Z\u201c])", t) if s]
    images = [dict(src=re.search(r'src="([^"]+)"', b).group(1),
                   alt=html.unescape(re.search(r'alt="([^"]*)"', b).group(1))) for b in image_blocks]
    return dict(
        title=" ".join(html.unescape(post["title"]["rendered"]).split()),
        excerpt=post["excerpt"]["rendered"],
        link=post["link"],
        id=post["id"],
        blocks=text_blocks,           # the real paragraphs, verbatim markup
        image_blocks=image_blocks,    # the real image paragraphs, verbatim
        texts=texts,                  # their text, unescaped
        sentences=sentences,
        images=images,
        class_list=[v for _, v in sorted(post.get("class_list", {}).items(), key=lambda kv: int(kv[0]))],
    )


# ------------------------------------------------------------- text → markup

TEXTURIZE_NUMERIC = {"\u2018": "&#8216;", "\u2019": "&#8217;", "\u201c": "&#8220;", "\u201d": "&#8221;",
                     "\u2013": "&#8211;", "\u2014": "&#8212;", "\u2026": "&#8230;"}
TEXTURIZE_NAMED = {"\u2018": "&lsquo;", "\u2019": "&rsquo;", "\u201c": "&ldquo;", "\u201d": "&rdquo;",
                   "\u2013": "&ndash;", "\u2014": "&mdash;", "\u2026": "&hellip;"}

NBSP_AFTER = re.compile(r"\b(Seedance|Sora|No\.|Mr\.|Ms\.|Dr\.|(?<![.\d])\d[\d,]*) (?=\w)")


def texturize(plain, mode, rng):
    """Plain text → HTML text the way the post's site would have emitted it."""
    s = html.escape(plain, quote=False)
    # the real post writes "––" for a dash; wptexturize makes " -- " an em dash
    if mode != "utf8" and rng.chance(0.5):
        s = s.replace("\u2013\u2013", "\u2014")
    if mode == "entities":
        s = "".join(TEXTURIZE_NUMERIC.get(c, c) for c in s)
    elif mode == "named":
        s = "".join(TEXTURIZE_NAMED.get(c, c) for c in s)
    if mode != "utf8" and rng.chance(0.4):
        s = NBSP_AFTER.sub(lambda m: m.group(1) + "&nbsp;", s)
    return s


LINK_HOSTS = ["https://www.newsbeep.com/ca/", "https://www.cnn.com/2026/02/20/tech/",
              "https://example.com/news/", "https://www.reuters.com/technology/"]


def attr(plain):
    """Attribute value as WordPress's esc_attr() writes it."""
    return plain.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#039;") \
        .replace("<", "&lt;").replace(">", "&gt;")


def slug(words):
    return re.sub(r"[^a-z0-9]+", "-", " ".join(words).lower()).strip("-") or "story"


def decorate(marked, rng, links=True):
    """Wrap a few word spans of already-marked-up text in <a>, <strong>, <em>."""
    words = marked.split(" ")
    if len(words) < 6:
        return marked
    n = rng.int(0, 2) if links else 0
    for _ in range(n):
        i = rng.int(0, len(words) - 4)
        k = rng.int(1, 4)
        if any("<" in w or ">" in w for w in words[i:i + k]):
            continue
        href = rng.pick(LINK_HOSTS) + slug(re.sub(r"&[#\w]+;", "", w) for w in words[i:i + k]) + "/"
        if rng.chance(0.3):
            href += "?utm_source=feed&amp;utm_medium=rss"
        extra = ' target="_blank" rel="noreferrer noopener"' if rng.chance(0.4) else ""
        words[i] = '<a href="%s"%s>%s' % (href, extra, words[i])
        words[i + k - 1] += "</a>"
    if rng.chance(0.25):
        i = rng.int(0, len(words) - 3)
        if not any("<" in w or ">" in w for w in words[i:i + 2]):
            tag = rng.pick(["strong", "em", "b", "i"])
            words[i] = "<%s>%s" % (tag, words[i])
            words[i + 1] += "</%s>" % tag
    return " ".join(words)


# --------------------------------------------------------------- the blocks

class Post:
    def __init__(self, src, rng, n, attachment_base):
        self.src, self.rng, self.n = src, rng, n
        self.style = rng.weighted([(45, "gutenberg"), (30, "classic"), (25, "imported")])
        self.mode = rng.weighted([(55, "entities"), (30, "utf8"), (15, "named")])
        self.attachment = attachment_base

    def t(self, plain):
        return texturize(plain, self.mode, self.rng)

    def block(self, name, inner, attrs=None):
        if self.style != "gutenberg":
            return inner
        a = " " + json.dumps(attrs, separators=(",", ":")) if attrs else ""
        return "<!-- wp:%s%s -->\n%s\n<!-- /wp:%s -->" % (name, a, inner, name)

    def paragraph_text(self):
        rng, s = self.rng, self.src
        if rng.chance(0.25):  # re-mix sentences of different paragraphs
            return " ".join(rng.pick(s["sentences"]) for _ in range(rng.int(2, 4)))
        return rng.pick(s["texts"])

    def paragraph(self):
        rng = self.rng
        if self.style == "imported" and rng.chance(0.8):
            return rng.pick(self.src["blocks"])  # verbatim from the real post
        plain = self.paragraph_text()
        marked = decorate(self.t(plain), rng)
        if self.style == "classic" and rng.chance(0.2):
            parts = re.split(r"(?<=[.!?;]) (?=[A-Z&])", marked)
            marked = "<br />\n".join(parts)
        if rng.chance(0.03):
            marked += "&nbsp;"
        if self.style == "imported":
            return "<p>\n            %s\n    </p>" % marked
        cls = ' class="has-drop-cap"' if self.style == "gutenberg" and rng.chance(0.03) else ""
        return self.block("paragraph", "<p%s>%s</p>" % (cls, marked), {"dropCap": True} if cls else None)

    def short(self, lo=4, hi=12):
        words = self.rng.pick(self.src["sentences"]).split()
        i = self.rng.int(0, max(0, len(words) - lo))
        s = " ".join(words[i:i + self.rng.int(lo, hi)]).rstrip(",;:")
        return s[0].upper() + s[1:]

    def image_attrs(self):
        rng = self.rng
        img = rng.pick(self.src["images"])
        base, ext = os.path.splitext(img["src"])
        w, h = rng.pick([(800, 533), (1024, 683), (768, 512), (1200, 800)])
        self.attachment += 1
        srcset = ", ".join("%s-%dx%d%s %dw" % (base, x, x * 2 // 3, ext, x) for x in (300, 768, 1024))
        return img, base, ext, w, h, srcset

    def image(self):
        rng = self.rng
        img, base, ext, w, h, srcset = self.image_attrs()
        n = self.attachment
        alt = attr(img["alt"])
        caption = decorate(self.t(rng.pick([img["alt"], self.short(6, 16), img["alt"] + " " + self.short(3, 6)])),
                           rng, links=rng.chance(0.2))
        kind = rng.weighted([(30, "shortcode"), (25, "wp-caption"), (35, "block"), (10, "real")]) \
            if self.style != "gutenberg" else rng.weighted([(85, "block"), (15, "real")])
        if kind == "real":
            return rng.pick(self.src["image_blocks"])
        if kind == "shortcode":
            img_tag = ('<img class="size-large wp-image-%d" src="%s-%dx%d%s" alt="%s" width="%d" height="%d" />'
                       % (n, base, w, h, ext, alt, w, h))
            if rng.chance(0.4):
                img_tag = '<a href="%s%s">%s</a>' % (base, ext, img_tag)
            sc = '[caption id="attachment_%d" align="%s" width="%d"]%s %s[/caption]' % (
                n, rng.pick(["aligncenter", "alignnone", "alignright"]), w, img_tag, caption)
            return "<p>%s</p>" % sc if rng.chance(0.5) else sc
        if kind == "wp-caption":
            return ('<figure id="attachment_%d" aria-describedby="caption-attachment-%d" style="width: %dpx" '
                    'class="wp-caption aligncenter"><img loading="lazy" decoding="async" class="size-large '
                    'wp-image-%d" src="%s-%dx%d%s" alt="%s" width="%d" height="%d" srcset="%s" '
                    'sizes="(max-width: %dpx) 100vw, %dpx" /><figcaption id="caption-attachment-%d" '
                    'class="wp-caption-text">%s</figcaption></figure>'
                    % (n, n, w, n, base, w, h, ext, alt, w, h, srcset, w, w, n, caption))
        fig = ('<figure class="wp-block-image size-large"><img loading="lazy" decoding="async" width="%d" '
               'height="%d" src="%s-%dx%d%s" alt="%s" class="wp-image-%d" srcset="%s" '
               'sizes="auto, (max-width: %dpx) 100vw, %dpx" />%s</figure>'
               % (w, h, base, w, h, ext, alt, n, srcset, w, w,
                  '<figcaption class="wp-element-caption">%s</figcaption>' % caption if rng.chance(0.8) else ""))
        return self.block("image", fig, {"id": n, "sizeSlug": "large", "linkDestination": "none"})

    TWEETERS = [("Tech Desk", "techdesk_example"), ("Film Wire", "filmwire_example"),
                ("Newsroom", "newsroom_example"), ("AI Watch", "aiwatch_example")]

    def tweet(self):
        rng = self.rng
        text = rng.pick(self.src["sentences"])
        if len(text) > 230:
            text = text[:227].rsplit(" ", 1)[0] + "\u2026"
        body = self.t(text)
        for tag in rng.shuffled(["AI", "Seedance", "Hollywood", "ByteDance", "tech"])[:rng.int(0, 2)]:
            body += (' <a href="https://twitter.com/hashtag/%s?src=hash&amp;ref_src=twsrc%%5Etfw">#%s</a>'
                     % (tag, tag))
        if rng.chance(0.5):
            code = "".join(rng.pick("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10))
            body += ' <a href="https://t.co/%s">pic.twitter.com/%s</a>' % (code, code)
        name, handle = rng.pick(self.TWEETERS)
        status = 1890000000000000000 + rng.int(0, 10 ** 15)
        day = rng.int(10, 22)
        bq = ('<blockquote class="twitter-tweet"%s><p lang="en" dir="ltr">%s</p>&mdash; %s (@%s) '
              '<a href="https://twitter.com/%s/status/%d?ref_src=twsrc%%5Etfw">February %d, 2026</a></blockquote>'
              % (' data-width="550" data-dnt="true"' if rng.chance(0.5) else "", body, name, handle,
                 handle, status, day))
        script = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
        if self.style == "gutenberg":
            return self.block("embed", '<figure class="wp-block-embed is-type-rich is-provider-twitter '
                              'wp-block-embed-twitter"><div class="wp-block-embed__wrapper">\n%s%s\n</div></figure>'
                              % (bq, script),
                              {"url": "https://twitter.com/%s/status/%d" % (handle, status), "type": "rich",
                               "providerNameSlug": "twitter", "responsive": True})
        return bq + "\n" + script if rng.chance(0.5) else bq + "<br />\n" + script

    def youtube(self):
        rng = self.rng
        vid = "".join(rng.pick("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") for _ in range(11))
        title = attr(self.short(4, 9))
        iframe = ('<iframe loading="lazy" title="%s" width="500" height="281" '
                  'src="https://www.youtube.com/embed/%s?feature=oembed" frameborder="0" allow="accelerometer; '
                  'autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" '
                  'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>' % (title, vid))
        return self.block("embed", '<figure class="wp-block-embed is-type-video is-provider-youtube '
                          'wp-block-embed-youtube wp-embed-aspect-16-9 wp-has-aspect-ratio"><div '
                          'class="wp-block-embed__wrapper">\n%s\n</div></figure>' % iframe,
                          {"url": "https://www.youtube.com/watch?v=" + vid, "type": "video",
                           "providerNameSlug": "youtube"})

    def list_(self):
        rng = self.rng
        ordered = rng.chance(0.35)
        items = []
        for _ in range(rng.int(3, 7)):
            text = self.short(5, 18) if rng.chance(0.7) else rng.pick(self.src["sentences"])
            li = "<li>%s</li>" % decorate(self.t(text), rng, links=rng.chance(0.4))
            items.append(self.block("list-item", li) if self.style == "gutenberg" else li)
        tag = "ol" if ordered else "ul"
        cls = ' class="wp-block-list"' if self.style == "gutenberg" else ""
        return self.block("list", "<%s%s>%s</%s>" % (tag, cls, "\n".join(items), tag),
                          {"ordered": True} if ordered else None)

    NAMES = ["Seedance 2.0", "ByteDance", "Sora", "OpenAI", "DeepSeek", "RedNote", "TikTok",
             "Paramount", "Disney", "SAG-AFTRA", "Leiden University", "UCLA", "ChinaTalk"]
    HEADS = ["Company", "Product", "Launched", "Users (m)", "Share", "Change", "Region", "Status", "Note"]

    def table(self):
        rng = self.rng
        cols = rng.int(2, 5)
        heads = rng.shuffled(self.HEADS)[:cols]
        rows = []
        for _ in range(rng.int(3, 10)):
            cells = [self.t(rng.pick(self.NAMES))]
            for _ in range(cols - 1):
                cells.append(rng.pick([
                    "%d" % rng.int(1, 20000), "%d.%d%%" % (rng.int(0, 99), rng.int(0, 9)),
                    "Feb %d, 2026" % rng.int(1, 28), "&#8212;", "n/a", self.t(self.short(2, 5)),
                    "&#8722;%d.%d" % (rng.int(0, 9), rng.int(0, 9)), "&lt;1"]))
            rows.append("<tr>%s</tr>" % "".join("<td>%s</td>" % c for c in cells))
        head = "<thead><tr>%s</tr></thead>" % "".join("<th>%s</th>" % h for h in heads) if rng.chance(0.7) else ""
        table = "<table%s>%s<tbody>%s</tbody></table>" % (
            ' class="has-fixed-layout"' if self.style == "gutenberg" else ' style="border-collapse: collapse; width: 100%;"',
            head, "".join(rows))
        if self.style != "gutenberg":
            return table
        cap = '<figcaption class="wp-element-caption">%s</figcaption>' % self.t(self.short(4, 10)) if rng.chance(0.5) else ""
        return self.block("table", '<figure class="wp-block-table">%s%s</figure>' % (table, cap))

    CODE = [
        '{\n  "model": "seedance-2.0",\n  "prompt": "two actors &amp; a rooftop fight",\n  "duration_s": 12,\n'
        '  "audio": true\n}',
        'curl -s "https://api.example.com/v1/videos?model=seedance&amp;limit=10" \\\n'
        '  -H "Authorization: Bearer $TOKEN" | jq \'.data[] | .id\'',
        '&lt;blockquote class="twitter-tweet"&gt;\n  &lt;p lang="en"&gt;...&lt;/p&gt;\n&lt;/blockquote&gt;\n'
        '&lt;script async src="https://platform.twitter.com/widgets.js"&gt;&lt;/script&gt;',
        'for clip in clips:\n    if clip.score &lt; 0.5 and not clip.labeled:\n        flag(clip)   # unlabeled AI content\n'
        '\treturn len(flagged)',
    ]

    def pre(self):
        rng = self.rng
        if rng.chance(0.6):
            code = rng.pick(self.CODE)
            if self.style == "gutenberg":
                return self.block("code", '<pre class="wp-block-code"><code>%s</code></pre>' % code)
            return "<pre><code>%s</code></pre>" % code if rng.chance(0.5) else "<pre>%s</pre>" % code
        lines = [self.t(self.short(3, 9)) for _ in range(rng.int(3, 6))]
        text = "\n".join(("    " if rng.chance(0.3) else "") + ln for ln in lines)
        return self.block("preformatted", '<pre class="wp-block-preformatted">%s</pre>' % text)

    def heading(self):
        rng = self.rng
        level = rng.pick([2, 2, 3, 4])
        text = self.t(self.short(3, 9))
        cls = ' class="wp-block-heading"' if self.style == "gutenberg" else ""
        return self.block("heading", "<h%d%s>%s</h%d>" % (level, cls, text, level),
                          {"level": level} if level != 2 else None)

    def quote(self):
        rng = self.rng
        quoted = [s for s in self.src["sentences"] if s.startswith("\u201c")]
        text = rng.pick(quoted or self.src["sentences"])
        cite = self.t(rng.pick(["Ramesh Srinivasan, UCLA", "Rogier Creemers, Leiden University", "ChinaTalk"]))
        if self.style == "gutenberg":
            inner = self.block("paragraph", "<p>%s</p>" % self.t(text))
            return self.block("quote", '<blockquote class="wp-block-quote">%s<cite>%s</cite></blockquote>'
                              % (inner, cite))
        return "<blockquote><p>%s<br />\n&#8212; %s</p></blockquote>" % (self.t(text), cite)

    def separator(self):
        return self.block("separator", '<hr class="wp-block-separator has-alpha-channel-opacity"/>')

    def content(self):
        rng = self.rng
        out = []
        for _ in range(rng.int(8, 36)):
            out.append(self.paragraph())
            if rng.chance(0.3):
                out.append(rng.weighted([(22, self.image), (12, self.tweet), (14, self.list_), (8, self.table),
                                         (6, self.pre), (14, self.heading), (8, self.quote), (4, self.separator),
                                         (4, self.youtube)])())
        sep = "\n\n" if self.style == "gutenberg" else "\n"
        return sep.join(out) + "\n"

    def title(self):
        rng = self.rng
        if rng.chance(0.2):
            return self.t(self.src["title"])
        return self.t(self.short(6, 14))

    def article(self):
        rng, s = self.rng, self.src
        pid = s["id"] + self.n
        title = self.title()
        content = self.content()
        link = "https://www.newsbeep.com/ca/%d/" % pid
        classes = " ".join(["post-%d" % pid] + s["class_list"][1:])
        parts = ['<article id="post-%d" class="%s">' % (pid, classes),
                 '<header class="entry-header"><h2 class="entry-title"><a href="%s" rel="bookmark">%s</a></h2>'
                 '</header>' % (link, title)]
        if rng.chance(0.3):
            first = " ".join(rng.pick(s["texts"]).split()[:rng.int(18, 55)])
            parts.append('<div class="entry-summary">\n<p>%s&hellip;</p>\n</div>' % self.t(first))
        parts.append('<div class="entry-content">\n%s</div>\n</article>' % content)
        return "\n".join(parts) + "\n"


def document(fileno, articles):
    head = ('<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
            '<title>storypipe cleaner corpus &#8211; file %03d</title>\n</head>\n<body>\n'
            '<p>CORPUSFILE%03dBEGIN</p>\n' % (fileno, fileno))
    tail = "<p>CORPUSFILE%03dEND</p>\n</body>\n</html>\n" % fileno
    return (head + "".join(articles) + tail).encode("utf-8")


def pack_pages(a):
    """Real pages, byte for byte, packed in name order into files of about
    --file-kb KB between the CORPUSFILEnnn markers (pages are whole
    documents: the markers sit before the first and after the last)."""
    os.makedirs(a.out, exist_ok=True)
    names = sorted(n for n in os.listdir(a.pages) if n.endswith(".html"))
    limit = a.file_kb * 1024
    total = files = 0
    digest = hashlib.sha256()
    pending = []

    def flush():
        nonlocal total, files, pending
        data = b"<p>CORPUSFILE%03dBEGIN</p>\n" % files + b"".join(pending) + b"\n<p>CORPUSFILE%03dEND</p>\n" % files
        with open(os.path.join(a.out, "cleaner-%03d.html" % files), "wb") as f:
            f.write(data)
        digest.update(data)
        total += len(data)
        files += 1
        pending = []

    for n in names:
        with open(os.path.join(a.pages, n), "rb") as f:
            pending.append(f.read())
        if sum(len(p) for p in pending) >= limit:
            flush()
    if pending:
        flush()
    print("files %d" % files)
    print("posts %d" % len(names))
    print("bytes %d" % total)
    print("sha256 %s" % digest.hexdigest())
    print("source %s" % a.pages)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to write cleaner-NNN.html into (created)")
    ap.add_argument("--mb", type=float, default=11.0,
                    help="stop once the corpus has at least this many MB (10^6 bytes) [11, i.e. > 10 MiB]")
    ap.add_argument("--file-kb", type=int, default=1024,
                    help="pack posts into files of about this many KB (1024 bytes); 0: one post per file [1024]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--post", default=SEED_POST, help="the WordPress REST API post (JSON) to derive from")
    ap.add_argument("--pages", help="pack the *.html pages of this directory (bench/wp_corpus.sh's real "
                    "WordPress pages) instead of generating posts; --mb and --seed do not apply")
    a = ap.parse_args()
    if a.pages:
        return pack_pages(a)

    src = load_post(a.post)
    rng = Rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    target = int(a.mb * 1e6)
    limit = a.file_kb * 1024
    total = files = posts = 0
    digest = hashlib.sha256()
    pending, pending_bytes = [], 0
    attachment = 1000

    def flush():
        nonlocal total, files, pending, pending_bytes
        data = document(files, pending)
        with open(os.path.join(a.out, "cleaner-%03d.html" % files), "wb") as f:
            f.write(data)
        digest.update(data)
        total += len(data)
        files += 1
        pending, pending_bytes = [], 0

    while total + pending_bytes < target:
        p = Post(src, rng, posts, attachment)
        art = p.article()
        attachment = p.attachment
        posts += 1
        pending.append(art)
        pending_bytes += len(art.encode("utf-8"))
        if pending_bytes >= limit:
            flush()
    if pending:
        flush()
    print("files %d" % files)
    print("posts %d" % posts)
    print("bytes %d" % total)
    print("sha256 %s" % digest.hexdigest())
    print("source %s" % os.path.relpath(a.post, os.path.join(HERE, "..")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
