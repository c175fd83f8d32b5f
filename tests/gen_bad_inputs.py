#!/usr/bin/python3
"""Generate the bad-input test corpus: malformed and valid messages for the
four input topics of the pipeline, one file per Kafka message, plus a
manifest saying what must become of each.

Usage:
  gen_bad_inputs.py OUTDIR [--seed N]

Writes
  OUTDIR/msgs/NNNN-TOPIC-CASE.bin   one message per file (exact bytes)
  OUTDIR/files/*                    local files named by kind=file sources
  OUTDIR/manifest.json              see below

Topics (names without the "news." prefix) and the stage consuming them:
  sources -> fetcher, raw -> cleaner, clean -> splitter, stories -> deduper.

Each manifest entry ("messages", per topic in the order to produce them,
valid messages spread among the malformed ones):
  file      path relative to OUTDIR (the file of an empty message is empty)
  topic     input topic (without prefix)
  case      short label of what the message is
  send      "file" (the file's bytes are the value), "empty" (a zero-length
            value) or "null" (a NULL value, a tombstone); the last two carry
            a key, as kcat sends an empty value only after a key delimiter
  key       the message key, or null
  size      value size in bytes; sha256: of the value
  expect    "valid" (exactly one story in news.unique) or the DLQ reason code
  stage     the stage expected to dead-letter it (the consumer of `topic`,
            or a later one when the first stage passes the field on as is)
  url       valid: the story's url in news.unique
  marker    {"field": F, "value": V}: how to recognise this input's story in
            news.unique / news.duplicates, or its derived document in a later
            stage's dead letter (field F of that message equals V)
  body_sha256  valid, when the text is predictable: sha256 of the story body
  note      why this expectation, where it is not obvious
  known_issue  present when the services currently do something else:
            {"observed": reason | "unique" | "duplicates", "what": ...}.
            The test reports such a case as XFAIL when it sees `observed`
            and fails it on anything that is neither `expect` nor `observed`.

Expectations come from reading common/envelope.c (checks in this order:
empty, too_large, NUL byte or invalid UTF-8 -> invalid_utf8, jansson parse
with JSON_REJECT_DUPLICATES -> invalid_json, not an object -> not_object,
schema_version missing -> missing_field / not an integer -> wrong_type /
not 1 -> unknown_schema_version) and each service's transform.

The fetcher is expected to run with --max-message-bytes 8000000
(FETCHER_MAX_BYTES): ~10 MB sources must be dead-lettered as too_large,
while a source of exactly 8000000 bytes passes. The other stages keep the
default limit (16 MiB): valid ~10 MB documents must pass them, and a raw
document of 16 MiB + 1 byte must be too_large.

Deterministic for a given OUTDIR and seed (the paths in kind=file sources
are absolute, under OUTDIR). Standard library only.
"""

import hashlib
import json
import os
import random
import sys

SEED = 20240501
FETCHER_MAX_BYTES = 8000000
DEFAULT_MAX_BYTES = 16 << 20
BIG = 10 * 1000 * 1000  # "10 MB"
TOPIC_STAGE = {"sources": "fetcher", "raw": "cleaner", "clean": "splitter", "stories": "deduper"}
HOST = "https://bad-input.example.org"
TS = "2024-05-01T10:15:30Z"
DELETE = object()

SCALAR_ISSUE = ("envelope.c parses with json_loadb() without JSON_DECODE_ANY, so a top-level "
                "scalar (valid JSON per RFC 8259) is a parse error: reason invalid_json "
                "instead of not_object")


def enc(obj, ascii_only=False, pretty=False):
    if pretty:
        return json.dumps(obj, ensure_ascii=ascii_only, indent=2).encode("utf-8")
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":")).encode("utf-8")


def sha(b):
    return hashlib.sha256(b).hexdigest()


def story_id_for(tag):
    return sha(("bad-input story " + tag).encode())[:16]


def big_text(first_line, size):
    """Plain ASCII text whose JSON-escaped form (each newline becomes the two
    bytes \\n) is exactly `size` bytes: a first line, a blank line, then
    lines of words, no trailing white space (the cleaner keeps it as it is).
    Returns (text, escaped bytes to put between the quotes of a string)."""
    out = [first_line, "\n\n"]
    total = len(first_line) + 4
    i = 0
    # the document's own words in every line: two big documents must not be
    # the same (or near) text to the deduper
    token = sha(first_line.encode())[:8]
    while True:
        line = "line %07d of very long document %s, words words words.\n" % (i, token)
        if total + len(line) + 1 > size - 1:
            break
        out.append(line)
        total += len(line) + 1
        i += 1
    text = "".join(out).rstrip("\n")
    text += "x" * (size - (len(text) + text.count("\n")))
    esc = json.dumps(text)[1:-1].encode()
    assert len(esc) == size, (len(esc), size)
    return text, esc


def with_big(m, field, first_line, size, **kw):
    """Encode message m with `field` set to a big text so that the whole
    message is exactly `size` bytes. Returns (bytes, text)."""
    m = dict(m)
    m[field] = "@@BIG@@"
    head = enc(m)
    text, esc = big_text(first_line, size - (len(head) - len(b"@@BIG@@")))
    data = head.replace(b"@@BIG@@", esc)
    assert len(data) == size
    return data, text


# --- valid messages of each topic ------------------------------------------

def source_msg(tag, content=None, fmt="text", url=None):
    return {
        "schema_version": 1,
        "id": "bi-src-" + tag,
        "kind": "inline",
        "format": fmt,
        "name": "Bad input test " + tag,
        "url": url if url is not None else "%s/sources/%s/story" % (HOST, tag),
        "content": content if content is not None else
        "Headline of source %s\n\nThe body of source %s, one paragraph of plain text." % (tag, tag),
    }


def doc_fields(topic, tag):
    url = "%s/%s/%s" % (HOST, topic, tag)
    return {
        "schema_version": 1,
        "doc_id": "bi-%s-%s" % (topic, tag),
        "source": {"id": "bi-%s-src" % topic, "kind": "inline", "name": "Bad input test"},
        "url": url,
        "canonical_url": url,
        "content_type": "text/plain",
        "fetched_at": TS,
        "title": "Headline of %s document %s" % (topic, tag),
        "excerpt": None,
        "published_at": "2024-05-01T08:00:00Z",
        "modified_at": None,
        "wordpress": None,
    }


def raw_msg(tag, body=None):
    d = doc_fields("raw", tag)
    d["body"] = body if body is not None else \
        "First line of raw document %s\n\nA paragraph of plain text in raw document %s." % (tag, tag)
    d["fetcher_version"] = "0.1.0"
    return d


def clean_msg(tag, text=None):
    d = doc_fields("clean", tag)
    d["text"] = text if text is not None else \
        "First line of clean document %s\n\nA paragraph of clean text in document %s." % (tag, tag)
    d["word_count"] = len(d["text"].split())
    d["links"] = []
    d["cleaner_version"] = "0.1.0"
    return d


def story_msg(tag, body=None, url=None):
    url = url if url is not None else "%s/stories/%s" % (HOST, tag)
    return {
        "schema_version": 1,
        "story_id": story_id_for(tag),
        "doc_id": "bi-stories-" + tag,
        "position": 0,
        "title": "Story headline " + tag,
        "summary": None,
        "body": body if body is not None else "The body of story %s, plain text." % tag,
        "url": url,
        "canonical_url": url,
        "outlet": "Bad Input Gazette",
        "photo_credit": None,
        "published_at": "2024-05-01T08:00:00Z",
        "language": "en",
        "source": {"id": "bi-stories-src", "kind": "inline", "name": "Bad input test"},
        "doc_url": url,
        "wordpress": None,
        "splitter": {"rule": "single", "version": "1"},
    }


BUILDERS = {"sources": source_msg, "raw": raw_msg, "clean": clean_msg, "stories": story_msg}
# a string field no transform looks at, for injecting bad bytes
FREE_FIELD = {"sources": "name", "raw": "excerpt", "clean": "excerpt", "stories": "summary"}


def with_field(m, key, value):
    m = dict(m)
    if value is DELETE:
        del m[key]
    else:
        m[key] = value
    return m


class Corpus:
    def __init__(self, outdir, seed):
        self.outdir = os.path.abspath(outdir)
        self.files = os.path.join(self.outdir, "files")
        self.rng = random.Random(seed)
        self.seed = seed
        self.valid = {t: [] for t in TOPIC_STAGE}
        self.bad = {t: [] for t in TOPIC_STAGE}

    def add_bad(self, topic, case, data, expect, **kw):
        c = dict(topic=topic, case=case, data=data, expect=expect, stage=TOPIC_STAGE[topic])
        c.update(kw)
        self.bad[topic].append(c)

    def add_valid(self, topic, case, data, url, body=None, **kw):
        c = dict(topic=topic, case=case, data=data, expect="valid", url=url,
                 marker={"field": "url", "value": url})
        if body is not None:
            c["body_sha256"] = sha(body.encode("utf-8"))
        c.update(kw)
        self.valid[topic].append(c)


# --- malformed inputs every stage must dead-letter the same way -----------

def envelope_cases(cp, topic):
    mk = BUILDERS[topic]
    free = FREE_FIELD[topic]
    n = [0]

    def base(**over):
        n[0] += 1
        m = mk("env%03d" % n[0])
        m.update(over)
        return m

    def bad(case, data, expect, **kw):
        cp.add_bad(topic, case, data, expect, **kw)

    # empty: a zero-length value and a NULL value (tombstone), sent with a key
    bad("empty value", b"", "empty", send="empty", key="bi-empty-" + topic)
    if topic != "sources":  # on the sources table a tombstone removes a source: no outcome
        bad("null value (tombstone)", b"", "empty", send="null", key="bi-null-" + topic)
    # white space only
    for i, ws in enumerate([b" ", b"\n", b"\t \r\n  ", b" " * 4096]):
        bad("white space only #%d" % i, ws, "invalid_json")

    # truncated JSON: one ASCII-only valid message cut at several points
    t = enc(base(), ascii_only=True)
    colon = t.index(b'"schema_version":') + len(b'"schema_version":')
    in_string = t.index(b'"', colon + 4) + 3
    for cut in sorted({1, 2, 10, colon, in_string, len(t) // 3, len(t) // 2, (2 * len(t)) // 3,
                       len(t) - 2, len(t) - 1}):
        bad("truncated at %d of %d bytes" % (cut, len(t)), t[:cut], "invalid_json")
    t = enc(base(**{free: "caf\u00e9 au lait"}), ascii_only=True)
    bad("truncated inside a \\u escape", t[:t.index(b"\\u00e9") + 4], "invalid_json")
    # cut inside a multi-byte character: the UTF-8 check comes before parsing
    t = enc(base(**{free: "caf\u00e9 \u20ac \U0001F600 end"}))
    bad("truncated inside a 3-byte UTF-8 character", t[:t.index("\u20ac".encode()) + 2], "invalid_utf8")
    bad("truncated inside a 4-byte UTF-8 character", t[:t.index("\U0001F600".encode()) + 3],
        "invalid_utf8")

    # invalid UTF-8 inside a string value (and elsewhere)
    for label, bb in [
            ("0xFF byte", b"\xff"),
            ("0xFE 0xFF (UTF-16 BOM bytes)", b"\xfe\xff"),
            ("Latin-1 e-acute", b"caf\xe9"),
            ("lone continuation byte", b"\x80"),
            ("overlong '/' C0 AF", b"\xc0\xaf"),
            ("overlong C1 BF", b"\xc1\xbf"),
            ("overlong 3-byte E0 80 AF", b"\xe0\x80\xaf"),
            ("overlong 4-byte F0 80 80 AF", b"\xf0\x80\x80\xaf"),
            ("lone high surrogate ED A0 80", b"\xed\xa0\x80"),
            ("lone low surrogate ED BF BF", b"\xed\xbf\xbf"),
            ("CESU-8 surrogate pair", b"\xed\xa0\xbd\xed\xb8\x80"),
            ("code point above U+10FFFF (F4 90 80 80)", b"\xf4\x90\x80\x80"),
            ("lead byte F5", b"\xf5\x80\x80\x80"),
            ("lead byte F8 (5-byte form)", b"\xf8\x88\x80\x80\x80"),
            ("truncated sequence E2 82 then ASCII", b"\xe2\x82x")]:
        m = enc(base(**{free: "@@BAD@@"}))
        bad("invalid UTF-8 in a string: " + label, m.replace(b"@@BAD@@", b"ok " + bb + b" ok"),
            "invalid_utf8")
    m = enc(base())
    bad("invalid UTF-8 in a key", m.replace(b'"schema_version"', b'"schema\xff_version"', 1), "invalid_utf8")
    bad("invalid UTF-8 after the closing brace", m + b"\xc3", "invalid_utf8")

    # NUL bytes: rejected before parsing (reason invalid_utf8, detail "NUL byte at N")
    m = enc(base(**{free: "@@NUL@@"}))
    bad("NUL byte inside a string", m.replace(b"@@NUL@@", b"a\x00b"), "invalid_utf8")
    m = enc(base())
    bad("NUL byte first", b"\x00" + m, "invalid_utf8")
    bad("NUL byte after the object", m + b"\x00", "invalid_utf8")
    bad("NUL byte between tokens", m.replace(b",", b",\x00", 1), "invalid_utf8")
    bad("only NUL bytes", b"\x00" * 8, "invalid_utf8")

    # syntactically invalid JSON
    m = enc(base(**{free: "@@X@@"}))

    def sub(s):
        return m.replace(b'"@@X@@"', s)
    bad("\\u0000 escape in a string", sub(b'"a\\u0000b"'), "invalid_json")
    bad("lone high surrogate escape \\ud800", sub(b'"a\\ud800b"'), "invalid_json")
    bad("lone low surrogate escape \\udc00", sub(b'"a\\udc00b"'), "invalid_json")
    bad("invalid escape \\x41", sub(b'"a\\x41"'), "invalid_json")
    bad("raw control character 0x01 in a string", sub(b'"a\x01b"'), "invalid_json")
    bad("raw newline in a string", sub(b'"line one\nline two"'), "invalid_json")
    bad("single-quoted string", sub(b"'single'"), "invalid_json")
    bad("NaN", sub(b"NaN"), "invalid_json")
    bad("-Infinity", sub(b"-Infinity"), "invalid_json")
    bad("integer too big for 64 bits", sub(b"123456789012345678901234567890"), "invalid_json")
    bad("number with a leading zero", sub(b"0123"), "invalid_json")
    m = enc(base())
    bad("trailing comma", m[:-1] + b",}", "invalid_json")
    bad("unquoted key", m.replace(b'"schema_version"', b"schema_version", 1), "invalid_json")
    bad("// comment before the object", b"// comment\n" + m, "invalid_json")
    bad("two objects", m + enc(base()), "invalid_json")
    bad("trailing garbage", m + b"x", "invalid_json")
    bad("UTF-8 BOM before the object", b"\xef\xbb\xbf" + m, "invalid_json")
    bad("unterminated nesting 3000 deep", m[:-1] + b',"deep":' + b"[" * 3000, "invalid_json")
    bad("nesting 100000 deep (parser depth limit)",
        m[:-1] + b',"deep":' + b"[" * 100000 + b"]" * 100000 + b"}", "invalid_json")
    # duplicate keys (JSON_REJECT_DUPLICATES)
    bad("duplicate schema_version key", m[:-1] + b',"schema_version":1}', "invalid_json")
    m = base()
    second = list(m.keys())[1]
    m = enc(m)
    bad("duplicate key %r" % second, m[:-1] + b',"%s":"again"}' % second.encode(), "invalid_json")
    bad("duplicate key in a nested object", m[:-1] + b',"nested":{"a":1,"a":2}}', "invalid_json")

    # JSON that is not an object
    bad("top-level array, empty", b"[]", "not_object")
    bad("top-level array holding a valid message", b"[" + enc(base()) + b"]", "not_object")
    for label, data in [("number", b"42"), ("negative real", b"-1.5e3"),
                        ("string", json.dumps(enc(base()).decode()).encode()),
                        ("null", b"null"), ("true", b"true")]:
        bad("top-level " + label, data, "not_object")

    # schema_version
    def sv(label, raw_value, expect, **kw):
        m = base()
        if raw_value is DELETE:
            del m["schema_version"]
            data = enc(m)
        else:
            m["schema_version"] = "@@SV@@"
            data = enc(m).replace(b'"@@SV@@"', raw_value)
        bad("schema_version " + label, data, expect, **kw)
    sv("missing", DELETE, "missing_field")
    sv('"1" (a string)', b'"1"', "wrong_type")
    sv("2", b"2", "unknown_schema_version")
    sv("0", b"0", "unknown_schema_version")
    sv("-1", b"-1", "unknown_schema_version")
    sv("9223372036854775807", b"9223372036854775807", "unknown_schema_version")
    sv("1.5", b"1.5", "wrong_type")
    sv("1.0", b"1.0", "wrong_type",
       note="jansson parses 1.0 as a real; JSON Schema would call it an integer")
    sv("1e0", b"1e0", "wrong_type")
    sv("null", b"null", "wrong_type")
    sv("true", b"true", "wrong_type")
    sv("[1]", b"[1]", "wrong_type")
    sv('{"v":1}', b'{"v":1}', "wrong_type")
    sv("99999999999999999999 (overflows)", b"99999999999999999999", "invalid_json")
    m = base()
    m["Schema_Version"] = m.pop("schema_version")
    bad("schema_version spelled Schema_Version", enc(m), "missing_field")
    bad("empty object", b"{}", "missing_field")
    bad("empty object with white space", b"{ \n }", "missing_field")


# --- malformed inputs specific to one stage's transform -------------------

def fetcher_cases(cp):
    n = [0]

    def src():
        n[0] += 1
        return source_msg("f%03d" % n[0])

    def bad(case, m, expect, **kw):
        cp.add_bad("sources", case, enc(m), expect, **kw)

    bad("only schema_version", {"schema_version": 1}, "missing_field")
    for key in ("id", "kind"):
        bad("%s missing" % key, with_field(src(), key, DELETE), "missing_field")
        bad("%s null" % key, with_field(src(), key, None), "missing_field")
        for label, v in [("a number", 5), ("an array", ["x"]), ("an object", {"x": 1}), ("a boolean", True)]:
            bad("%s is %s" % (key, label), with_field(src(), key, v), "wrong_type")
    bad("kind unknown", with_field(src(), "kind", "ftp"), "unsupported")
    # polled kinds: refused when the record is read, before any request is made
    for kind in ("wordpress", "wordpress_post", "feed"):
        bad("%s with a file: URL" % kind, dict(with_field(src(), "kind", kind), url="file:///etc/passwd"),
            "invalid_value")
        bad("%s without url" % kind, dict(with_field(src(), "kind", kind), url=None), "invalid_value")
    bad("wordpress poll_interval_s 0", dict(with_field(src(), "kind", "wordpress"), poll_interval_s=0),
        "invalid_value")
    bad("wordpress per_page 500", dict(with_field(src(), "kind", "wordpress"), per_page=500), "invalid_value")
    bad("wordpress auth without a password source",
        dict(with_field(src(), "kind", "wordpress"), auth={"user": "bot"}), "invalid_value")
    bad("wordpress auth password_env unset",
        dict(with_field(src(), "kind", "wordpress"), auth={"user": "bot", "password_env": "BI_NO_SUCH_VAR"}),
        "invalid_value")
    bad("format is a number", with_field(src(), "format", 7), "wrong_type")
    bad("format unknown", with_field(src(), "format", "pdf"), "invalid_value")
    bad("format null", with_field(src(), "format", None), "missing_field",
        note="a null member counts as missing (sp_json_member)")
    bad("inline without content", with_field(src(), "content", DELETE), "missing_field")
    bad("inline content null", with_field(src(), "content", None), "missing_field")
    bad("inline content is a number", with_field(src(), "content", 5), "wrong_type")
    bad("inline content is an array", with_field(src(), "content", ["a", "b"]), "wrong_type")
    bad("wordpress_json content that is not JSON", with_field(src(), "format", "wordpress_json"),
        "invalid_value")
    m = with_field(src(), "format", "wordpress_json")
    m["content"] = '{"id": 1, "title": {"rendered": "no content"}}'
    bad("wordpress_json object without content.rendered", m, "invalid_value")
    m = with_field(src(), "format", "auto")
    m["content"] = "[]"
    bad("auto content: empty JSON array", m, "invalid_value")
    m = with_field(src(), "format", "auto")
    m["content"] = "[1, 2, 3]"
    bad("auto content: JSON array of numbers", m, "invalid_value")
    m = with_field(src(), "format", "auto")
    post = {"id": 901, "link": HOST + "/wp/partial-901", "content": {"rendered": "<p>first post</p>"}}
    m["content"] = json.dumps([post, 5])
    bad("auto content: WordPress list with a non-post item", m, "invalid_value",
        marker={"field": "url", "value": post["link"]},
        note="its first post must not be emitted: the whole input is dead-lettered")

    def file_src(path):
        m = src()
        del m["content"]
        m["kind"] = "file"
        m["path"] = path
        return m
    bad("file without path", with_field(file_src("x"), "path", DELETE), "missing_field")
    bad("file path is a number", with_field(file_src("x"), "path", 42), "wrong_type")
    bad("file path does not exist", file_src(os.path.join(cp.files, "does-not-exist.txt")), "not_found")
    bad("file path empty", file_src(""), "invalid_value")
    bad("file outside --file-root", file_src("/etc/hostname"), "forbidden",
        note="the test runs the fetcher with --file-root at its temporary directory")
    bad("file path escaping --file-root with ..", file_src(os.path.join(cp.files, "../../../../../etc/hostname")),
        "forbidden")
    bad("file path is a directory", file_src(cp.files), "unsupported")
    fifo = os.path.join(cp.files, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    bad("file path is a FIFO (must not block the stage)", file_src(fifo), "unsupported")
    bad("file is Latin-1, not UTF-8", file_src(os.path.join(cp.files, "latin1.txt")), "invalid_utf8")
    bad("file holds a NUL byte", file_src(os.path.join(cp.files, "nul.txt")), "invalid_utf8")
    bad("file larger than 16 MiB", file_src(os.path.join(cp.files, "huge.txt")), "too_large",
        note="the fetcher reads at most 16 MiB of a file (FETCH_MAX_BYTES)")
    bad("file of 6 MB control characters: its raw document (each byte escaped as \\u0001) "
        "exceeds the 32 MiB a message can have", file_src(os.path.join(cp.files, "controls.txt")),
        "output_too_large", note="must not crash-loop the fetcher: the input is dead-lettered")

    # big sources: the fetcher runs with --max-message-bytes FETCHER_MAX_BYTES
    data, _ = with_big(source_msg("big10mb"), "content", "Headline of a 10 MB source", BIG)
    cp.add_bad("sources", "10 MB source over --max-message-bytes %d" % FETCHER_MAX_BYTES, data,
               "too_large")
    data, _ = with_big(source_msg("limit-plus-1"), "content", "Headline of a source one byte too big",
                       FETCHER_MAX_BYTES + 1)
    cp.add_bad("sources", "source of --max-message-bytes + 1 bytes", data, "too_large")


def cleaner_cases(cp):
    n = [0]

    def raw():
        n[0] += 1
        return raw_msg("c%03d" % n[0])

    def bad(case, m, expect, **kw):
        cp.add_bad("raw", case, enc(m), expect, **kw)

    bad("only schema_version", {"schema_version": 1}, "missing_field")
    for key in ("body", "content_type", "doc_id"):
        bad("%s missing" % key, with_field(raw(), key, DELETE), "missing_field")
        bad("%s null" % key, with_field(raw(), key, None), "missing_field")
        for label, v in [("a number", 5), ("an array", ["x"]), ("an object", {"x": 1}), ("a boolean", False)]:
            bad("%s is %s" % (key, label), with_field(raw(), key, v), "wrong_type")
    for ct in ("application/pdf", "TEXT/HTML", "", "text/html; charset=utf-8"):
        bad("content_type %r" % ct, with_field(raw(), "content_type", ct), "unsupported")
    # the cleaner checks every member a raw document must have
    for label, v in [("missing", DELETE), ("null", None)]:
        m = with_field(raw(), "source", v)
        bad("source %s" % label, m, "missing_field")
    m = with_field(raw(), "url", 12345)
    bad("url is a number", m, "wrong_type")

    # big raw documents (the cleaner keeps the default 16 MiB limit)
    data, _ = with_big(raw_msg("big-badutf8"), "body", "Headline of a 10 MB raw document with a bad byte",
                       BIG)
    i = data.rindex(b"words.") + 2
    cp.add_bad("raw", "10 MB body with a 0xFF byte near its end", data[:i] + b"\xff" + data[i + 1:],
               "invalid_utf8")
    data, _ = with_big(raw_msg("big-truncated"), "body", "Headline of a truncated 10 MB raw document", BIG)
    cp.add_bad("raw", "10 MB document truncated by 3 bytes", data[:-3], "invalid_json")
    data, _ = with_big(raw_msg("over16mib"), "body", "Headline of a raw document of 16 MiB + 1 byte",
                       DEFAULT_MAX_BYTES + 1)
    cp.add_bad("raw", "document of 16 MiB + 1 byte (the default limit + 1)", data, "too_large")
    data, _ = with_big(raw_msg("over24mb"), "body", "Headline of a raw document of 26 MB", 26 * 1000 * 1000)
    cp.add_bad("raw", "document of 26 MB: its dead letter keeps only the part of it that fits",
               data, "too_large", truncated_dead_letter=True)


def splitter_cases(cp):
    n = [0]

    def clean():
        n[0] += 1
        return clean_msg("s%03d" % n[0])

    def bad(case, m, expect, **kw):
        cp.add_bad("clean", case, enc(m), expect, **kw)

    bad("only schema_version", {"schema_version": 1}, "missing_field")
    for key in ("doc_id", "text"):
        bad("%s missing" % key, with_field(clean(), key, DELETE), "missing_field")
        bad("%s null" % key, with_field(clean(), key, None), "missing_field")
        for label, v in [("a number", 5), ("an array", ["x"]), ("an object", {"x": 1}), ("a boolean", True)]:
            bad("%s is %s" % (key, label), with_field(clean(), key, v), "wrong_type")
    bad("source missing", with_field(clean(), "source", DELETE), "missing_field")
    bad("source null", with_field(clean(), "source", None), "missing_field")
    bad("source is a string", with_field(clean(), "source", "bi-src"), "wrong_type")
    bad("source is an array", with_field(clean(), "source", []), "wrong_type")
    for key in ("url", "canonical_url", "published_at", "wordpress"):
        bad("%s missing" % key, with_field(clean(), key, DELETE), "missing_field")

    m = clean_msg("big-wrongtype")
    m["doc_id"] = 5
    data, _ = with_big(m, "text", "Headline of a 10 MB clean document whose doc_id is a number", BIG)
    cp.add_bad("clean", "10 MB document whose doc_id is a number", data, "wrong_type")


def deduper_cases(cp):
    n = [0]

    def story():
        n[0] += 1
        return story_msg("d%03d" % n[0])

    def bad(case, m, expect, **kw):
        cp.add_bad("stories", case, enc(m), expect, **kw)

    bad("only schema_version", {"schema_version": 1}, "missing_field")
    bad("story_id missing", with_field(story(), "story_id", DELETE), "missing_field")
    bad("story_id null", with_field(story(), "story_id", None), "missing_field")
    for label, v in [("a number", 1234567890123456), ("an array", ["0123456789abcdef"]),
                     ("an object", {"id": "0123456789abcdef"}), ("a boolean", True)]:
        bad("story_id is %s" % label, with_field(story(), "story_id", v), "wrong_type")
    for label, v in [("empty", ""), ("uppercase hex", "0123456789ABCDEF"), ("15 digits", "0123456789abcde"),
                     ("17 digits", "0123456789abcdef0"), ("non-hex letter", "0123456789abcdeg"),
                     ("leading space", " 123456789abcdef"), ("fullwidth digits", "\uff10" * 16),
                     ("1 MB long", "a" * 1000000)]:
        bad("story_id %s" % label, with_field(story(), "story_id", v), "invalid_value")
    m = with_field(story(), "canonical_url", 42)
    bad("canonical_url is a number", m, "wrong_type", marker={"field": "url", "value": m["url"]})
    m = with_field(story(), "body", 5)
    bad("body is a number", m, "wrong_type", marker={"field": "url", "value": m["url"]})

    m = story_msg("big-badid")
    m["story_id"] = "not-a-story-id!!"
    data, _ = with_big(m, "body", "Headline of a 10 MB story with an invalid story_id", BIG)
    cp.add_bad("stories", "10 MB story with an invalid story_id", data, "invalid_value")


# --- valid messages -------------------------------------------------------

VALID_FILE_TEXT = "Headline of the file source\n\nRead from a local file by the fetcher."
UNI = ("Unicode headline \u00e9\u00e8 \u4e2d\u6587 \u0645\u0631\u062d\u0628\u0627 \U0001F600\n\n"
       "Combining e\u0301, NBSP\u00a0here, line separator \u2028 and paragraph separator \u2029 inside.")


def uni(tag):
    """UNI, made the text of one message only: the deduper compares texts,
    and titles (the first line) of short stories."""
    return UNI.replace("Unicode headline", "Unicode headline (%s)" % tag, 1)


def valid_cases(cp):
    def src(m, body="auto", ascii_only=False, pretty=False, prefix=b"", suffix=b"", **kw):
        if body == "auto":
            body = m.get("content") if m.get("format") == "text" else None
        data = prefix + enc(m, ascii_only=ascii_only, pretty=pretty) + suffix
        cp.add_valid("sources", "valid source " + m["id"], data, m["url"], body=body, **kw)

    for i in range(4):
        src(source_msg("v%02d" % i))
    src(source_msg("v-html", fmt="html",
                   content="<h1>HTML headline</h1><p>A paragraph &amp; an entity.</p><script>x()</script>"),
        body="HTML headline\n\nA paragraph & an entity.")
    m = source_msg("v-auto-bracket", fmt="auto",
                   content="[Update] A headline starting with a bracket\n\nNot JSON at all.")
    src(m, body=m["content"], note="format auto: starts with '[' but is not JSON, so it is text")
    post = {"id": 4242, "link": HOST + "/wp/2024/05/01/harbour-4242/",
            "guid": {"rendered": HOST + "/?p=4242"}, "slug": "harbour-4242",
            "title": {"rendered": "Harbour reopens"}, "content": {"rendered": "<p>The harbour reopened.</p>"},
            "date_gmt": "2024-05-01T08:00:00", "modified_gmt": "2024-05-01T09:00:00",
            "categories": [3, 7], "tags": []}
    m = source_msg("v-wp", fmt="wordpress_json", content=json.dumps(post))
    del m["url"]
    cp.add_valid("sources", "valid source bi-src-v-wp (a WordPress REST API post)", enc(m), post["link"],
                 body="The harbour reopened.")
    src(source_msg("v-unicode", content=uni("source v-unicode")))
    src(source_msg("v-escaped", content=uni("source v-escaped")), ascii_only=True,
        note="non-ASCII as \\u escapes, U+1F600 as a surrogate pair")
    src(source_msg("v-pretty"), pretty=True, note="pretty-printed: newlines between tokens")
    src(source_msg("v-spaces"), prefix=b" \n\t", suffix=b"\n\n",
        note="white space before and after the object")
    m = source_msg("v-file")
    del m["content"]
    m["kind"] = "file"
    m["path"] = os.path.join(cp.files, "valid.txt")
    src(m, body=VALID_FILE_TEXT)
    m = source_msg("v-at-limit")
    data, text = with_big(m, "content", "Headline of a source of exactly %d bytes" % FETCHER_MAX_BYTES,
                          FETCHER_MAX_BYTES)
    cp.add_valid("sources", "valid source of exactly --max-message-bytes (%d bytes)" % FETCHER_MAX_BYTES,
                 data, m["url"], body=text)

    def add(topic, m, body, case, ascii_only=False, pretty=False, data=None, **kw):
        cp.add_valid(topic, case, data or enc(m, ascii_only=ascii_only, pretty=pretty), m["url"],
                     body=body, **kw)

    # raw documents
    for i in range(4):
        m = raw_msg("v%02d" % i)
        add("raw", m, m["body"], "valid raw v%02d" % i)
    m = raw_msg("v-html", body="<div><p>First &lt;para&gt; &#233;t&#xE9;</p><p>Second</p></div>")
    m["content_type"] = "text/html"
    add("raw", m, "First <para> \u00e9t\u00e9\n\nSecond", "valid raw v-html")
    m = raw_msg("v-unicode", body=uni("raw v-unicode"))
    add("raw", m, uni("raw v-unicode"), "valid raw v-unicode")
    m = raw_msg("v-wordpress")
    m["wordpress"] = {"id": 77, "link": m["url"], "slug": "v-wordpress", "categories": [1, 2], "tags": [5]}
    add("raw", m, m["body"], "valid raw v-wordpress")
    m = raw_msg("v-nulls")
    m["title"] = m["published_at"] = None
    add("raw", m, m["body"], "valid raw v-nulls (title and published_at null)")
    m = raw_msg("v-crlf", body="First line\r\nsecond line  \r\nthird line\r\n")
    add("raw", m, "First line\nsecond line\nthird line", "valid raw v-crlf (CRLF, trailing spaces)")
    m = raw_msg("v-pretty")
    add("raw", m, m["body"], "valid raw v-pretty", pretty=True)
    m = raw_msg("v-big")
    data, text = with_big(m, "body", "Headline of a valid 10 MB raw document", BIG)
    add("raw", m, text, "valid 10 MB raw document", data=data)

    # clean documents
    for i in range(4):
        m = clean_msg("v%02d" % i)
        add("clean", m, m["text"], "valid clean v%02d" % i)
    m = clean_msg("v-unicode", text=uni("clean v-unicode"))
    add("clean", m, uni("clean v-unicode"), "valid clean v-unicode")
    m = clean_msg("v-escaped", text=uni("clean v-escaped"))
    add("clean", m, uni("clean v-escaped"), "valid clean v-escaped (\\u escapes)", ascii_only=True)
    m = clean_msg("v-notitle")
    m["title"] = None
    add("clean", m, m["text"], "valid clean v-notitle (title from the first line)")
    m = clean_msg("v-empty-text", text="")
    add("clean", m, "", "valid clean v-empty-text")
    m = clean_msg("v-pretty")
    add("clean", m, m["text"], "valid clean v-pretty", pretty=True)
    unit = "Zeile mit Umlauten \u00e4\u00f6\u00fc, \u20ac und \U0001F600.\n"
    text = ("Headline of a valid 10 MB clean document\n\n" + unit * (BIG // len(unit.encode()))).rstrip("\n")
    m = clean_msg("v-bigutf8", text=text)
    add("clean", m, text, "valid 10 MB clean document, multi-byte UTF-8")

    # stories
    for i in range(5):
        m = story_msg("v%02d" % i)
        add("stories", m, m["body"], "valid story v%02d" % i)
    m = story_msg("v-unicode", body=uni("story v-unicode"))
    add("stories", m, uni("story v-unicode"), "valid story v-unicode")
    m = story_msg("v-nocanon")
    m["canonical_url"] = None
    add("stories", m, m["body"], "valid story v-nocanon (deduplicated by story_id)")
    m = story_msg("v-pretty")
    add("stories", m, m["body"], "valid story v-pretty", pretty=True)
    m = story_msg("v-big")
    data, text = with_big(m, "body", "Headline of a valid 10 MB story", BIG)
    add("stories", m, text, "valid 10 MB story", data=data)
    # two different stories whose canonical URLs share their first 5000 characters
    long_base = HOST + "/stories/long/" + "x" * 5000
    for k in ("a", "b"):
        m = story_msg("v-longurl-" + k, url=long_base + "/" + k)
        add("stories", m, m["body"], "valid story with a 5000+ character URL (%s)" % k)


def write_files(cp):
    os.makedirs(cp.files, exist_ok=True)
    for name, data in [
            ("valid.txt", VALID_FILE_TEXT.encode()),
            ("latin1.txt", "Caf\u00e9 cr\u00e8me, na\u00efve text in Latin-1.\n".encode("latin-1")),
            ("nul.txt", b"Text with a NUL\x00 byte.\n"),
            ("controls.txt", b"\x01" * 6000000),
            ("huge.txt", (b"A file of 16 MiB + 1 KiB, one line after another.\n" * 400000)
             [:DEFAULT_MAX_BYTES + 1024])]:
        with open(os.path.join(cp.files, name), "wb") as f:
            f.write(data)


def interleave(rng, valid, bad):
    """The malformed inputs shuffled, the valid ones spread evenly among
    them (one first, one last)."""
    bad = list(bad)
    rng.shuffle(bad)
    if len(valid) < 2:
        return list(valid) + bad
    out, vi = [], 0
    step = len(bad) / (len(valid) - 1)
    for i, b in enumerate(bad):
        while vi < len(valid) and vi * step <= i:
            out.append(valid[vi])
            vi += 1
        out.append(b)
    return out + list(valid[vi:])


def main(argv):
    args = list(argv)
    seed = SEED
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cp = Corpus(args[0], seed)
    os.makedirs(os.path.join(cp.outdir, "msgs"), exist_ok=True)
    write_files(cp)
    for topic in TOPIC_STAGE:
        envelope_cases(cp, topic)
    fetcher_cases(cp)
    cleaner_cases(cp)
    splitter_cases(cp)
    deduper_cases(cp)
    valid_cases(cp)

    messages, seen = [], {}
    order = ["file", "topic", "case", "send", "key", "size", "sha256", "expect", "stage", "url",
             "marker", "body_sha256", "note", "known_issue", "truncated_dead_letter"]
    for topic in TOPIC_STAGE:
        for c in interleave(cp.rng, cp.valid[topic], cp.bad[topic]):
            data = c.pop("data")
            c.setdefault("send", "file")
            c.setdefault("key", None)
            if c["send"] == "file":
                assert data, c["case"]  # kcat skips empty files: use send=empty
                ident = (topic, sha(data))
            else:
                assert data == b"" and c["key"], c["case"]
                ident = (topic, c["key"])
            if ident in seen:
                raise SystemExit("gen_bad_inputs: '%s' and '%s' are the same message" % (seen[ident], c["case"]))
            seen[ident] = c["case"]
            slug = "".join(ch if ch.isalnum() else "-" for ch in c["case"].lower())[:48].strip("-")
            c["file"] = "msgs/%04d-%s-%s.bin" % (len(messages) + 1, topic, slug)
            c["size"] = len(data)
            c["sha256"] = sha(data)
            with open(os.path.join(cp.outdir, c["file"]), "wb") as f:
                f.write(data)
            messages.append({k: c[k] for k in order if k in c})
    manifest = {
        "seed": seed,
        "topic_prefix": "news.",
        "stages": TOPIC_STAGE,
        "fetcher_max_message_bytes": FETCHER_MAX_BYTES,
        "messages": messages,
    }
    with open(os.path.join(cp.outdir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for topic in TOPIC_STAGE:
        ms = [m for m in messages if m["topic"] == topic]
        nv = sum(m["expect"] == "valid" for m in ms)
        print("%-8s %3d malformed, %2d valid, %10d bytes" % (topic, len(ms) - nv, nv, sum(m["size"] for m in ms)))
    nv = sum(m["expect"] == "valid" for m in messages)
    print("total    %3d malformed, %2d valid, %d marked known_issue" % (
        len(messages) - nv, nv, sum("known_issue" in m for m in messages)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
