#!/usr/bin/python3
"""Validate storypipe JSON Lines messages against the schemas in schemas/.

Usage:
  schema_check.py SCHEMA_NAME FILE.jsonl [FILE2.jsonl ...]
  schema_check.py --self-test

SCHEMA_NAME is the stem of a file in schemas/ (raw, clean, story, unique,
duplicate, dlq, source); "raw.schema.json" is accepted too.

Every non-empty line of every FILE must be one JSON object valid against the
schema (draft 2020-12, formats asserted). One line is printed per failing
message ("FILE:LINE: message"), then "N passed, M failed".

Lines must be UTF-8; duplicate object keys and NaN/Infinity are rejected.
"date-time" is checked as strict RFC 3339 by this script itself (stock
jsonschema skips it unless rfc3339-validator is installed).

Exit status: 0 all passed; 1 any failure, or nothing was checked at all;
2 usage error (unknown schema, missing/unreadable file, bad arguments).

--self-test checks that every schema is a valid draft 2020-12 schema with
descriptions on all properties and resolvable $refs, that an embedded example
of each message validates, and that broken variants (missing required field,
wrong type, extra field, schema_version 2, ...) are rejected for that reason.

Runs offline: every $ref is resolved from the files in schemas/; a $ref to
anything else is an error, never a download. Needs only Debian's
python3-jsonschema (4.10 on bookworm; newer versions work too).
"""

import base64
import copy
import datetime
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_SUFFIX = ".schema.json"
MAX_MESSAGE_CHARS = 400  # per reported error; instance reprs can be huge
MAX_ERRORS_PER_LINE = 5

# ---------------------------------------------------------------------------
# Formats. jsonschema checks "date-time" only when the optional
# rfc3339-validator module is installed (it is not on a stock bookworm), so
# the check is registered here: strict RFC 3339 section 5.6, same everywhere.

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-](\d{2}):(\d{2}))$", re.ASCII)


def is_rfc3339(value):
    if not isinstance(value, str):
        return True  # formats only constrain strings
    m = _RFC3339.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    if second == 60:  # leap second: allowed by RFC 3339
        second = 59
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def make_format_checker():
    # An instance with its own copy of the checkers, so registering here does
    # not touch FormatChecker's class-wide table.
    checker = FormatChecker(formats=list(FormatChecker.checkers))
    checker.checkers["date-time"] = (is_rfc3339, ())
    return checker


# ---------------------------------------------------------------------------
# Loading schemas and resolving $refs offline.

class SchemaSet:
    def __init__(self, schema_dir=SCHEMA_DIR):
        self.dir = Path(schema_dir)
        self.by_name = {}  # "raw" -> schema
        self.by_id = {}    # "$id" -> schema
        files = sorted(self.dir.glob("*" + SCHEMA_SUFFIX))
        if not files:
            raise RuntimeError("no *%s files in %s" % (SCHEMA_SUFFIX, self.dir))
        for path in files:
            with open(path, encoding="utf-8") as f:
                schema = json.load(f)
            name = path.name[: -len(SCHEMA_SUFFIX)]
            sid = schema.get("$id")
            if not isinstance(sid, str) or not sid:
                raise RuntimeError("%s: no $id" % path)
            if sid in self.by_id:
                raise RuntimeError("%s: duplicate $id %s" % (path, sid))
            self.by_name[name] = schema
            self.by_id[sid] = schema
        self.format_checker = make_format_checker()
        self._validators = {}

    def names(self):
        return sorted(self.by_name)

    def message_names(self):
        return [n for n in self.names() if n != "common"]

    def validator(self, name):
        if name not in self._validators:
            schema = self.by_name[name]
            self._validators[name] = self._make_validator(schema)
        return self._validators[name]

    def _make_validator(self, schema):
        try:
            from referencing import Registry, Resource  # jsonschema >= 4.18
            from referencing.exceptions import NoSuchResource
        except ImportError:
            Registry = None
        if Registry is not None:
            by_id = self.by_id

            def retrieve(uri):
                raise NoSuchResource(ref=uri)  # never go to the network

            registry = Registry(retrieve=retrieve).with_resources(
                (sid, Resource.from_contents(s)) for sid, s in by_id.items())
            return Draft202012Validator(
                schema, registry=registry, format_checker=self.format_checker)
        resolver = _offline_ref_resolver_class()(
            base_uri=schema["$id"], referrer=schema, store=dict(self.by_id))
        return Draft202012Validator(
            schema, resolver=resolver, format_checker=self.format_checker)

    def known_properties(self, schema, seen=None):
        """Property names a schema defines at its top level, following $ref,
        allOf/anyOf/oneOf and if/then/else (used to tidy error reports)."""
        seen = set() if seen is None else seen
        if not isinstance(schema, dict) or id(schema) in seen:
            return set()
        seen.add(id(schema))
        names = set(schema.get("properties", {}))
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self._lookup(ref)
            if target is not None:
                names |= self.known_properties(target, seen)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                names |= self.known_properties(sub, seen)
        for key in ("if", "then", "else"):
            names |= self.known_properties(schema.get(key), seen)
        return names

    def _lookup(self, ref):
        # Good enough for the refs used in schemas/: "FILE#/$defs/NAME".
        doc, _, pointer = ref.partition("#")
        target = None
        for sid, s in self.by_id.items():
            if doc and sid.rsplit("/", 1)[-1] == doc:
                target = s
        if target is None:
            return None
        for part in [p for p in pointer.split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return None
            target = target[part]
        return target


def _offline_ref_resolver_class():
    # jsonschema < 4.18 (Debian bookworm): RefResolver with a store of all
    # schemas; anything not in the store is an error instead of a download.
    from jsonschema.exceptions import RefResolutionError

    class OfflineRefResolver(jsonschema.RefResolver):
        def resolve_remote(self, uri):
            raise RefResolutionError(
                "$ref %r is not one of the schemas in %s (no network lookups)"
                % (uri, SCHEMA_DIR))

    return OfflineRefResolver


# ---------------------------------------------------------------------------
# Validating messages.

class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey("duplicate key %r" % key)
        obj[key] = value
    return obj


def _reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def parse_line(raw):
    """bytes -> (value, None) or (None, error message)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, "invalid UTF-8 at byte %d" % e.start
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys,
                          parse_constant=_reject_constant), None
    except _DuplicateKey as e:
        return None, "invalid JSON: %s" % e
    except ValueError as e:
        return None, "invalid JSON: %s" % e


def _shorten(text, limit=MAX_MESSAGE_CHARS):
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    # Cut the middle: messages end with the verdict ("... is not of type 'x'").
    head = limit * 2 // 3
    return text[:head] + " ... " + text[-(limit - head - 5):]


def _where(error):
    path = "$"
    for part in error.absolute_path:
        path += "[%d]" % part if isinstance(part, int) else "." + str(part)
    return path


def validate_message(schemas, name, value):
    """Return a list of error strings (empty when valid)."""
    validator = schemas.validator(name)
    errors = sorted(validator.iter_errors(value),
                    key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    known = None
    for e in errors:
        if e.validator == "unevaluatedProperties" and isinstance(e.instance, dict):
            # jsonschema reports every property of a failed allOf branch as
            # "unevaluated"; list only the ones no schema defines (the real
            # extras) and drop the error when that is none of them.
            if known is None:
                known = schemas.known_properties(e.schema)
            extras = sorted(k for k in e.instance if k not in known)
            if not extras:
                continue
            msg = "unexpected propert%s: %s" % (
                "y" if len(extras) == 1 else "ies", ", ".join(map(repr, extras)))
        else:
            msg = e.message
        line = "%s: %s" % (_where(e), _shorten(msg))
        if line not in out:
            out.append(line)
    if errors and not out:  # never hide a failure
        out.append("%s: %s" % (_where(errors[0]), _shorten(errors[0].message)))
    return out


def check_files(schemas, name, paths, out=sys.stdout):
    """Validate FILEs; return (passed, failed). Raises OSError on I/O errors."""
    passed = failed = 0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        # Split on \n only: U+2028 etc. are legal inside JSON strings.
        for lineno, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip(b" \t\r"):
                continue
            value, err = parse_line(raw)
            problems = [err] if err else validate_message(schemas, name, value)
            if problems:
                failed += 1
                shown = problems[:MAX_ERRORS_PER_LINE]
                more = len(problems) - len(shown)
                msg = "; ".join(shown) + (" (+%d more)" % more if more else "")
                print("%s:%d: %s" % (path, lineno, msg), file=out)
            else:
                passed += 1
    return passed, failed


# ---------------------------------------------------------------------------
# Self-test: the schemas are valid, examples pass, broken messages fail.

SOURCE_REF = {"id": "src-1", "kind": "wordpress_post", "name": "Example Gazette"}
WORDPRESS = {"id": 4242, "link": "https://news.example.org/2024/05/01/harbour/",
             "slug": "harbour", "categories": [3, 7], "tags": []}
STORY = {
    "schema_version": 1,
    "story_id": "0123456789abcdef",
    "doc_id": "doc-0001",
    "position": 0,
    "title": "Harbour reopens",
    "summary": None,
    "body": "The harbour reopened on Monday after repairs.",
    "url": "https://news.example.org/2024/05/01/harbour/",
    "canonical_url": None,
    "outlet": "Example Gazette",
    "photo_credit": None,
    "published_at": "2024-05-01T08:00:00+02:00",
    "language": "en",
    "source": SOURCE_REF,
    "doc_url": "https://news.example.org/2024/05/01/harbour/",
    "wordpress": WORDPRESS,
    "splitter": {"rule": "single", "version": "0.1.0"},
}
DOC = {
    "schema_version": 1,
    "doc_id": "doc-0001",
    "source": SOURCE_REF,
    "url": "https://news.example.org/wp-json/wp/v2/posts/4242",
    "canonical_url": "https://news.example.org/2024/05/01/harbour/",
    "content_type": "text/html",
    "fetched_at": "2024-05-01T10:15:30.123Z",
    "title": "Harbour reopens",
    "excerpt": None,
    "published_at": "2024-05-01T08:00:00+02:00",
    "modified_at": None,
    "wordpress": WORDPRESS,
}

EXAMPLES = {
    "source": {"schema_version": 1, "id": "src-1", "kind": "file",
               "path": "fixtures/a.html", "format": "html"},
    "raw": dict(DOC, body="<p>The harbour reopened.</p>", fetcher_version="0.1.0"),
    "clean": dict(DOC, text="The harbour reopened.", word_count=3,
                  links=[{"href": "https://example.org/", "text": "Example"}],
                  cleaner_version="0.1.0"),
    "story": STORY,
    "unique": dict(STORY, dedup={"decision": "new", "revision": 1,
                                 "deduper_version": "0.1.0"}),
    "duplicate": dict(STORY, dedup={"decision": "duplicate",
                                    "duplicate_of": "fedcba9876543210",
                                    "reason": "near", "distance": 3,
                                    "deduper_version": "0.1.0"}),
    "dlq": {"schema_version": 1, "stage": "cleaner", "reason": "invalid_json",
            "detail": "unexpected end of input at line 1 column 9",
            "input": {"topic": "news.raw", "partition": 2, "offset": 17,
                      "key": "doc-0001", "line": None},
            "original_base64": base64.b64encode(b'{"doc_id"').decode(),
            "original_size": 9, "original_truncated": False, "failed_at": "2024-05-01T10:15:31Z",
            "storypipe_version": "0.1.0"},
}

# Required field to drop, and a field to give the wrong type, per schema.
BREAK = {
    "source": ("id", ("allow_private", "yes")),
    "raw": ("body", ("fetched_at", 1714558530)),
    "clean": ("links", ("word_count", "3")),
    "story": ("splitter", ("position", "0")),
    "unique": ("dedup", ("body", None)),
    "duplicate": ("dedup", ("story_id", 12)),
    "dlq": ("input", ("original_size", -1.5)),
}


def _with(base, path, value=None, delete=False):
    msg = copy.deepcopy(base)
    target = msg
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return msg


# (schema, description, message, should_be_valid, text an error must contain)
def self_test_cases():
    E = EXAMPLES
    cases = []
    for name, example in E.items():
        missing, (field, wrong) = BREAK[name]
        cases += [
            (name, "example", example, True, None),
            (name, "missing required " + missing, _with(example, [missing], delete=True), False, missing),
            (name, "wrong type for " + field, _with(example, [field], wrong), False, field),
            (name, "extra top-level field", _with(example, ["bogus"], 1), False, "bogus"),
            (name, "schema_version 2", _with(example, ["schema_version"], 2), False, "schema_version"),
            (name, "schema_version \"1\"", _with(example, ["schema_version"], "1"), False, "schema_version"),
            (name, "not an object", [example], False, "not of type 'object'"),
        ]
    raw, clean, story, uniq, dup, dlq = (E[n] for n in ("raw", "clean", "story", "unique", "duplicate", "dlq"))
    cases += [
        # sources: kind-specific requirements
        ("source", "inline with content", {"schema_version": 1, "id": "s", "kind": "inline", "content": "Hi", "url": None, "allow_private": False, "name": "n"}, True, None),
        ("source", "inline without content", {"schema_version": 1, "id": "s", "kind": "inline"}, False, "'content' is a required"),
        ("source", "file without path", {"schema_version": 1, "id": "s", "kind": "file"}, False, "'path' is a required"),
        ("source", "wordpress_post with url", {"schema_version": 1, "id": "s", "kind": "wordpress_post", "url": "https://example.org/?p=1", "format": "wordpress_json"}, True, None),
        ("source", "wordpress_post without url", {"schema_version": 1, "id": "s", "kind": "wordpress_post"}, False, "'url' is a required"),
        ("source", "wordpress_post with null url", {"schema_version": 1, "id": "s", "kind": "wordpress_post", "url": None}, False, "$.url"),
        ("source", "unknown kind", {"schema_version": 1, "id": "s", "kind": "ftp", "url": "x"}, False, "$.kind"),
        ("source", "empty id", _with(E["source"], ["id"], ""), False, "id"),
        ("source", "unknown format", _with(E["source"], ["format"], "pdf"), False, "format"),
        # documents
        ("raw", "null wordpress and text/plain", _with(_with(raw, ["wordpress"], None), ["content_type"], "text/plain"), True, None),
        ("raw", "wordpress with only id", _with(raw, ["wordpress"], {"id": 1}), True, None),
        ("raw", "wordpress without id", _with(raw, ["wordpress", "id"], delete=True), False, "id"),
        ("raw", "extra field in wordpress", _with(raw, ["wordpress", "author"], 2), False, "author"),
        ("raw", "extra field in source", _with(raw, ["source", "url"], "x"), False, "url"),
        ("raw", "source without kind", _with(raw, ["source", "kind"], delete=True), False, "kind"),
        ("raw", "bad content_type", _with(raw, ["content_type"], "application/json"), False, "content_type"),
        ("raw", "fetched_at not RFC 3339", _with(raw, ["fetched_at"], "2024-05-01 10:15:30"), False, "fetched_at"),
        ("raw", "fetched_at impossible date", _with(raw, ["fetched_at"], "2024-02-30T00:00:00Z"), False, "fetched_at"),
        ("raw", "fetched_at null", _with(raw, ["fetched_at"], None), False, "fetched_at"),
        ("raw", "published_at date only", _with(raw, ["published_at"], "2024-05-01"), False, "published_at"),
        ("raw", "missing nullable title", _with(raw, ["title"], delete=True), False, "title"),
        ("raw", "empty doc_id", _with(raw, ["doc_id"], ""), False, "doc_id"),
        ("raw", "has clean's text field", _with(raw, ["text"], "x"), False, "text"),
        ("clean", "has raw's body field", _with(clean, ["body"], "<p>x</p>"), False, "body"),
        ("clean", "negative word_count", _with(clean, ["word_count"], -1), False, "word_count"),
        ("clean", "link without text", _with(clean, ["links"], [{"href": "h"}]), False, "links"),
        ("clean", "no links", _with(clean, ["links"], []), True, None),
        # stories
        ("story", "all nullable fields null", dict(STORY, title=None, url=None, outlet=None, published_at=None, language=None, doc_url=None, wordpress=None), True, None),
        ("story", "uppercase story_id", _with(story, ["story_id"], "0123456789ABCDEF"), False, "story_id"),
        ("story", "short story_id", _with(story, ["story_id"], "0123abc"), False, "story_id"),
        ("story", "negative position", _with(story, ["position"], -1), False, "position"),
        ("story", "splitter without version", _with(story, ["splitter", "version"], delete=True), False, "version"),
        ("story", "has dedup", dict(story, dedup=uniq["dedup"]), False, "dedup"),
        ("unique", "update revision 2", _with(uniq, ["dedup", "revision"], 2), True, None),
        ("unique", "replay", _with(uniq, ["dedup", "decision"], "replay"), True, None),
        ("unique", "revision 0", _with(uniq, ["dedup", "revision"], 0), False, "revision"),
        ("unique", "decision duplicate", _with(uniq, ["dedup", "decision"], "duplicate"), False, "decision"),
        ("unique", "extra field in dedup", _with(uniq, ["dedup", "reason"], "url"), False, "reason"),
        ("unique", "missing story field", _with(uniq, ["doc_id"], delete=True), False, "doc_id"),
        ("duplicate", "decision new", _with(dup, ["dedup", "decision"], "new"), False, "decision"),
        ("duplicate", "bad duplicate_of", _with(dup, ["dedup", "duplicate_of"], "nope"), False, "duplicate_of"),
        ("duplicate", "unknown reason", _with(dup, ["dedup", "reason"], "fuzzy"), False, "reason"),
        ("duplicate", "missing distance", _with(dup, ["dedup", "distance"], delete=True), False, "distance"),
        ("duplicate", "unique's dedup", _with(dup, ["dedup"], uniq["dedup"]), False, "dedup"),
        # dead letters
        ("dlq", "file input, empty original", dict(dlq, stage="fetcher", reason="empty", input={"topic": None, "partition": None, "offset": None, "key": None, "line": 3}, original_base64="", original_size=0), True, None),
        ("dlq", "unknown stage", _with(dlq, ["stage"], "router"), False, "stage"),
        ("dlq", "reason not a code", _with(dlq, ["reason"], "Invalid JSON"), False, "reason"),
        ("dlq", "input missing line", _with(dlq, ["input", "line"], delete=True), False, "line"),
        ("dlq", "extra field in input", _with(dlq, ["input", "timestamp"], 0), False, "timestamp"),
        ("dlq", "original_base64 not base64", _with(dlq, ["original_base64"], "not base64!"), False, "original_base64"),
        ("dlq", "failed_at null", _with(dlq, ["failed_at"], None), False, "failed_at"),
        ("dlq", "original_truncated missing", _with(dlq, ["original_truncated"], delete=True), False, "original_truncated"),
        ("dlq", "original_truncated not boolean", _with(dlq, ["original_truncated"], 1), False, "original_truncated"),
    ]
    return cases


def _lint_descriptions(node, where, problems):
    """Every property of every schema must have a description."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for key, sub in props.items():
                # Properties inside if/then conditions only restate constraints.
                if isinstance(sub, dict) and "description" not in sub \
                        and "/if/" not in where + "/" and "/then/" not in where + "/":
                    problems.append("%s/properties/%s has no description" % (where, key))
        for key, sub in node.items():
            _lint_descriptions(sub, "%s/%s" % (where, key), problems)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _lint_descriptions(sub, "%s/%d" % (where, i), problems)


def _lint_refs(schemas, node, where, problems):
    """Every $ref must name a file in schemas/ (or this one) and an existing
    location in it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            doc = ref.partition("#")[0]
            if "/" in doc or ":" in doc:
                problems.append("%s: $ref %r is not a relative ref to a sibling file" % (where, ref))
            elif schemas._lookup(ref if doc else where.split("/")[0] + SCHEMA_SUFFIX + ref) is None:
                problems.append("%s: $ref %r does not resolve" % (where, ref))
        for key, sub in node.items():
            _lint_refs(schemas, sub, "%s/%s" % (where, key), problems)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _lint_refs(schemas, sub, "%s/%d" % (where, i), problems)


def self_test(out=sys.stdout):
    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL: %s" % what, file=out)

    schemas = SchemaSet()
    expected = {"common", "source", "raw", "clean", "story", "unique", "duplicate", "dlq"}
    report(set(schemas.names()) == expected,
           "schemas/ holds %s, expected %s" % (schemas.names(), sorted(expected)))

    for name in schemas.names():
        schema = schemas.by_name[name]
        try:
            Draft202012Validator.check_schema(schema)
            report(True, "")
        except jsonschema.SchemaError as e:
            report(False, "%s: not a valid draft 2020-12 schema: %s" % (name, e.message))
        report(schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema",
               "%s: $schema is not draft 2020-12" % name)
        report(schema.get("$id") == "https://storypipe.dev/schemas/%s%s" % (name, SCHEMA_SUFFIX),
               "%s: $id %r does not match its file name" % (name, schema.get("$id")))
        report(bool(schema.get("title")) and bool(schema.get("description")),
               "%s: no title or description" % name)
        problems = []
        _lint_descriptions(schema, name, problems)
        _lint_refs(schemas, schema, name, problems)
        for p in problems:
            report(False, p)
        if not problems:
            report(True, "")
        if name != "common":
            closed = schema.get("additionalProperties") is False or \
                schema.get("unevaluatedProperties") is False
            report(closed, "%s: top level is not closed (additional/unevaluatedProperties)" % name)
            report(name in EXAMPLES, "%s: no embedded example" % name)

    for name, what, message, valid, expect in self_test_cases():
        try:
            errors = validate_message(schemas, name, message)
        except Exception as e:  # e.g. a $ref that does not resolve
            report(False, "%s: %s: %s: %s" % (name, what, type(e).__name__, e))
            continue
        if valid:
            report(not errors, "%s: %s: should be valid: %s" % (name, what, "; ".join(errors)))
        elif not errors:
            report(False, "%s: %s: should be rejected but validated" % (name, what))
        else:
            # Rejected for the intended reason, not some unrelated one.
            report(any(expect in e for e in errors),
                   "%s: %s: rejected, but no error mentions %r: %s"
                   % (name, what, expect, "; ".join(errors)))

    # The file checker itself: counts, blank lines, bad lines, empty input.
    with tempfile.TemporaryDirectory() as tmp:
        def run(content):
            path = os.path.join(tmp, "m.jsonl")
            with open(path, "wb") as f:
                f.write(content)
            sink = open(os.devnull, "w")
            try:
                return check_files(schemas, "dlq", [path], out=sink)
            finally:
                sink.close()
        good = json.dumps(EXAMPLES["dlq"]).encode()
        bad = json.dumps(dict(EXAMPLES["dlq"], schema_version=2)).encode()
        cases = [
            (b"", (0, 0)),
            (b"\n  \n\r\n", (0, 0)),
            (good + b"\n\n" + good, (2, 0)),
            (good + b"\n" + bad + b"\n", (1, 1)),
            (b"{\"a\":\n", (0, 1)),
            (b"\xff\xfe\n", (0, 1)),
            (good[:-1] + b", \"schema_version\": 1}\n", (0, 1)),  # duplicate key
            (b"NaN\n", (0, 1)),
        ]
        for content, want in cases:
            got = run(content)
            report(got == want, "check_files(%r...) = %s, expected %s" % (content[:20], got, want))
        sep = json.dumps(dict(EXAMPLES["dlq"], detail="a\u2028b"), ensure_ascii=False).encode()
        got = run(sep + b"\n")
        report(got == (1, 0), "U+2028 inside a string split the line: %s" % (got,))

    print("%d passed, %d failed" % (passed, failed), file=out)
    return 0 if failed == 0 and passed > 0 else 1


# ---------------------------------------------------------------------------

def usage(msg=None):
    if msg:
        print("schema_check.py: %s" % msg, file=sys.stderr)
    print("usage: schema_check.py SCHEMA_NAME FILE.jsonl [FILE.jsonl ...]\n"
          "       schema_check.py --self-test", file=sys.stderr)
    return 2


def main(argv):
    warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver on jsonschema >= 4.18
    if argv in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) < 2 or argv[0].startswith("-"):
        return usage()
    name = argv[0]
    if name.endswith(SCHEMA_SUFFIX):
        name = os.path.basename(name)[: -len(SCHEMA_SUFFIX)]
    try:
        schemas = SchemaSet()
    except (OSError, ValueError, RuntimeError) as e:
        print("schema_check.py: cannot load schemas: %s" % e, file=sys.stderr)
        return 2
    if name not in schemas.message_names():
        return usage("unknown schema %r (one of: %s)" % (name, ", ".join(schemas.message_names())))
    paths = argv[1:]
    for p in paths:
        if not os.path.isfile(p) or not os.access(p, os.R_OK):
            return usage("cannot read %s" % p)
    try:
        passed, failed = check_files(schemas, name, paths)
    except OSError as e:
        print("schema_check.py: %s" % e, file=sys.stderr)
        return 2
    except Exception as e:  # broken schema, e.g. a $ref outside schemas/
        print("schema_check.py: schema error: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 2
    print("%d passed, %d failed" % (passed, failed))
    if passed + failed == 0:
        print("schema_check.py: no messages found in %s" % " ".join(paths), file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
