/* test_fields.c — the required-member checks (fields.c): exact verdicts,
 * reasons and details for hand-picked messages, then a differential over
 * seeded random stories: the jansson check (sp_check_story) and the raw one
 * (sp_check_story_members over sp_json_members) must agree on each, and the
 * raw members must be jansson's keys with the same types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fields.h"
#include "jsonscan.h"

static json_t *load(const char *buf, size_t len) {
    json_error_t err;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (doc == NULL) fail_msg("bad JSON in the test: %s: %.*s", err.text, (int)len, buf);
    return doc;
}

/* Check msg against `fields` both ways; both must give rc, reason and
 * detail (reason and detail "" when rc is 0). */
static void expect(const char *msg, const sp_field *fields, int rc, const char *reason, const char *detail) {
    json_t *doc = load(msg, strlen(msg));
    sp_members m = {0};
    sp_fail a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    assert_int_equal(sp_check_fields(doc, fields, &a), rc);
    assert_string_equal(a.reason, reason);
    assert_string_equal(a.detail, detail);
    (void)sp_json_members(msg, strlen(msg), &m);
    assert_int_equal(sp_check_members(&m, fields, &b), rc);
    assert_string_equal(b.reason, reason);
    assert_string_equal(b.detail, detail);
    sp_members_free(&m);
    json_decref(doc);
}

/* The same through the story checks. */
static void expect_story(const char *msg, int rc, const char *reason, const char *detail) {
    json_t *doc = load(msg, strlen(msg));
    sp_members m = {0};
    sp_fail a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    assert_int_equal(sp_check_story(doc, &a), rc);
    assert_string_equal(a.reason, reason);
    assert_string_equal(a.detail, detail);
    (void)sp_json_members(msg, strlen(msg), &m);
    assert_int_equal(sp_check_story_members(&m, &b), rc);
    assert_string_equal(b.reason, reason);
    assert_string_equal(b.detail, detail);
    /* and sp_check_story_found(): the same verdict, and each field's
     * member where the check found it */
    const sp_member *found[SP_STORY_FIELDS];
    sp_fail c;
    memset(&c, 0, sizeof c);
    assert_int_equal(sp_check_story_found(&m, found, &c), rc);
    assert_string_equal(c.reason, reason);
    if (rc == 0) {
        static const char *const names[SP_STORY_FIELDS] = {
            "story_id", "doc_id", "position", "title", "summary", "body", "url", "canonical_url",
            "outlet", "photo_credit", "published_at", "language", "source", "doc_url", "wordpress", "splitter"};
        for (int k = 0; k < SP_STORY_FIELDS; k++) {
            if (found[k] == NULL || found[k]->key_len != strlen(names[k]) ||
                memcmp(found[k]->key, names[k], found[k]->key_len) != 0)
                fail_msg("found[%d] is not %s", k, names[k]);
            if (found[k] != sp_members_get(&m, names[k])) fail_msg("found[%d]: another %s member", k, names[k]);
        }
    }
    sp_members_free(&m);
    json_decref(doc);
}

static void test_field_types(void **state) {
    static const sp_field fields[] = {{"s", SP_T_STRING},
                                      {"i", SP_T_INTEGER | SP_T_NULL},
                                      {"b", SP_T_BOOL},
                                      {"a", SP_T_ARRAY},
                                      {"o", SP_T_OBJECT},
                                      {NULL, 0}};
    (void)state;
    expect("{\"s\":\"x\",\"i\":1,\"b\":true,\"a\":[],\"o\":{}}", fields, 0, "", "");
    expect("{\"o\":{},\"a\":[1],\"b\":false,\"i\":null,\"s\":\"\"}", fields, 0, "", "");
    expect("{\"sx\":1,\"S\":\"x\"}", fields, -1, "missing_field", "s is missing");
    expect("{\"i\":1,\"b\":true,\"a\":[],\"o\":{}}", fields, -1, "missing_field", "s is missing");
    expect("{\"s\":null,\"i\":1}", fields, -1, "missing_field", "s is null");
    expect("{\"s\":1}", fields, -1, "wrong_type", "s has the wrong type");
    expect("{\"s\":{\"s\":\"x\"}}", fields, -1, "wrong_type", "s has the wrong type");
    expect("{\"s\":\"x\",\"i\":1.0}", fields, -1, "wrong_type", "i has the wrong type");
    expect("{\"s\":\"x\",\"i\":1e2}", fields, -1, "wrong_type", "i has the wrong type");
    expect("{\"s\":\"x\",\"i\":\"1\"}", fields, -1, "wrong_type", "i has the wrong type");
    expect("{\"s\":\"x\",\"i\":-5}", fields, -1, "missing_field", "b is missing");
    expect("{\"s\":\"x\",\"i\":-5,\"b\":null}", fields, -1, "missing_field", "b is null");
    expect("{\"s\":\"x\",\"i\":-5,\"b\":0}", fields, -1, "wrong_type", "b has the wrong type");
    expect("{\"s\":\"x\",\"i\":0,\"b\":true,\"a\":{}}", fields, -1, "wrong_type", "a has the wrong type");
    expect("{\"s\":\"x\",\"i\":0,\"b\":true,\"a\":[],\"o\":[]}", fields, -1, "wrong_type", "o has the wrong type");
    expect("{\"\\u0073\":\"x\",\"i\":0,\"b\":true,\"a\":[],\"o\":{}}", fields, 0, "", "");
    /* not an object: no members, so the first field is missing */
    expect("[{\"s\":\"x\"}]", fields, -1, "missing_field", "s is missing");
    expect("\"s\"", fields, -1, "missing_field", "s is missing");
    expect("null", fields, -1, "missing_field", "s is missing");
}

static const char good_story[] =
    "{\"schema_version\":1,\"story_id\":\"f7419b5b3bac252a\",\"doc_id\":\"1ceeb48b0e994d30\",\"position\":0,"
    "\"title\":\"A \\\"quoted\\\" title\",\"summary\":null,\"body\":\"Body {with} [brackets]\\\\\","
    "\"url\":\"https://example.com/a\",\"canonical_url\":null,\"outlet\":\"Outlet\",\"photo_credit\":null,"
    "\"published_at\":null,\"language\":\"en\",\"source\":{\"id\":\"s-1\",\"kind\":\"file\"},"
    "\"doc_url\":null,\"wordpress\":null,\"splitter\":{\"rule\":\"brief\",\"version\":\"2\"}}";

/* good_story with member `key`'s value replaced by `value` (NULL: removed). */
static char *story_with(const char *key, const char *value) {
    json_t *doc = load(good_story, strlen(good_story));
    char *out;
    if (value == NULL)
        json_object_del(doc, key);
    else
        json_object_set_new(doc, key, load(value, strlen(value)));
    out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return out;
}

static void test_story(void **state) {
    static const struct {
        const char *key, *value, *reason, *detail;
    } cases[] = {
        {"story_id", NULL, "missing_field", "story_id is missing"},
        {"story_id", "null", "missing_field", "story_id is null"},
        {"story_id", "7", "wrong_type", "story_id has the wrong type"},
        {"position", "1.5", "wrong_type", "position has the wrong type"},
        {"position", "\"0\"", "wrong_type", "position has the wrong type"},
        {"position", "null", "missing_field", "position is null"},
        {"title", "[]", "wrong_type", "title has the wrong type"},
        {"summary", "false", "wrong_type", "summary has the wrong type"},
        {"body", NULL, "missing_field", "body is missing"},
        {"source", "null", "missing_field", "source is null"},
        {"source", "\"x\"", "wrong_type", "source has the wrong type"},
        {"wordpress", "{}", "", ""},
        {"wordpress", "[]", "wrong_type", "wordpress has the wrong type"},
        {"splitter", NULL, "missing_field", "splitter is missing"},
        {"schema_version", NULL, "", ""}, /* not one of the story's fields */
        {"extra", "{\"story_id\":null}", "", ""},
    };
    (void)state;
    expect_story(good_story, 0, "", "");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *msg = story_with(cases[i].key, cases[i].value);
        expect_story(msg, cases[i].reason[0] ? -1 : 0, cases[i].reason, cases[i].detail);
        free(msg);
    }
}

/* ---- the differential over random stories ---- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s) {
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

static unsigned long rng_state;

static unsigned rnd(unsigned n) {
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)(rng_state >> 33) % n;
}

static const char *pick(const char *const *list, size_t n) { return list[rnd((unsigned)n)]; }
#define PICK(list) pick(list, sizeof list / sizeof list[0])

static const char *const strings[] = {
    "\"\"", "\"plain\"", "\"with \\\"quotes\\\" and {braces}\"", "\"ends in a backslash\\\\\"",
    "\"caf\\u00e9 \\ud83d\\ude00 \\n\\t\"", "\"caf\xc3\xa9 \xe2\x82\xac\"", "\"}]},\\\"x\\\":[{\"",
    "\"https://example.com/a?b=c&d=e\""};
static const char *const objects[] = {
    "{}", "{\"id\":\"s-1\",\"kind\":\"file\",\"name\":\"The Brief\"}",
    "{\"rule\":\"brief\",\"version\":\"2\"}", "{\"a\":{\"b\":[1,\"}\",{\"c\":null}]},\"d\":\"\\\"{\"}",
    "{\"story_id\":\"nested, not top-level\"}"};
static const char *const wrong_values[] = {"\"s\"", "0", "-3", "1.5", "2e3", "{}", "[]", "[\"x\",{}]",
                                           "true", "false", "null"};
static const char *const blanks[] = {"", "", "", "", " ", "\n  ", "\t"};

/* A value for a field allowed `types`. */
static const char *good_value(unsigned types) {
    if ((types & SP_T_NULL) && rnd(3) == 0) return "null";
    if (types & SP_T_STRING) return PICK(strings);
    if (types & SP_T_INTEGER) return rnd(2) ? "0" : "12345";
    if (types & SP_T_OBJECT) return PICK(objects);
    return "null";
}

/* The key `name` as it goes in the message: sometimes with its first
 * letter, or its underscore, written as a \u escape; sometimes a near
 * miss that is another key (then the field is absent). */
static void put_key(text *t, const char *name) {
    char buf[96];
    const char *underscore = strchr(name, '_');
    unsigned roll = rnd(36);
    if (roll < 3)
        snprintf(buf, sizeof buf, "\"\\u%04x%s\"", (unsigned char)name[0], name + 1);
    else if (roll < 6 && underscore)
        snprintf(buf, sizeof buf, "\"%.*s\\u005f%s\"", (int)(underscore - name), name, underscore + 1);
    else if (roll == 6)
        snprintf(buf, sizeof buf, "\"%s_\"", name);
    else if (roll == 7)
        snprintf(buf, sizeof buf, "\"%s \"", name);
    else
        snprintf(buf, sizeof buf, "\"%s\"", name);
    put(t, buf);
}

/* A story with each field present and right, absent, null or of some
 * type, in a random order, with unrelated members mixed in. */
static void put_story(text *t, const sp_field *fields, size_t nfields) {
    size_t order[32], n = 0;
    static const char *const extras[] = {"schema_version", "extra", "notes", "Story_id"};
    for (size_t i = 0; i < nfields + 4; i++)
        order[n++] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd((unsigned)i + 1), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    put(t, PICK(blanks));
    put(t, "{");
    int first = 1;
    for (size_t k = 0; k < n; k++) {
        const char *name, *value;
        if (order[k] < nfields) {
            unsigned roll = rnd(100);
            name = fields[order[k]].name;
            if (roll < 3) continue; /* absent */
            value = roll < 5 ? "null" : roll < 8 ? PICK(wrong_values) : good_value(fields[order[k]].types);
        } else {
            if (rnd(2)) continue;
            name = extras[order[k] - nfields];
            value = rnd(2) ? PICK(wrong_values) : PICK(objects);
        }
        if (!first) put(t, ",");
        first = 0;
        put(t, PICK(blanks));
        put_key(t, name);
        put(t, PICK(blanks));
        put(t, ":");
        put(t, PICK(blanks));
        put(t, value);
        put(t, PICK(blanks));
    }
    put(t, "}");
    put(t, PICK(blanks));
}

static void test_random_stories_agree(void **state) {
    /* the story's fields, as fields.c lists them (only their names and
     * types matter here: the verdicts are compared, not predicted) */
    static const sp_field story[] = {
        {"story_id", SP_T_STRING}, {"doc_id", SP_T_STRING}, {"position", SP_T_INTEGER},
        {"title", SP_T_STRING | SP_T_NULL}, {"summary", SP_T_STRING | SP_T_NULL}, {"body", SP_T_STRING},
        {"url", SP_T_STRING | SP_T_NULL}, {"canonical_url", SP_T_STRING | SP_T_NULL},
        {"outlet", SP_T_STRING | SP_T_NULL}, {"photo_credit", SP_T_STRING | SP_T_NULL},
        {"published_at", SP_T_STRING | SP_T_NULL}, {"language", SP_T_STRING | SP_T_NULL},
        {"source", SP_T_OBJECT}, {"doc_url", SP_T_STRING | SP_T_NULL}, {"wordpress", SP_T_OBJECT | SP_T_NULL},
        {"splitter", SP_T_OBJECT}};
    const size_t nfields = sizeof story / sizeof story[0];
    sp_members m = {0};
    text t = {0};
    int ok = 0, missing = 0, wrong = 0;
    (void)state;
    rng_state = 20250302;
    for (int iter = 0; iter < 3000; iter++) {
        json_t *doc;
        sp_fail a, b;
        sp_scan scan;
        int ra, rb;
        t.len = 0;
        put_story(&t, story, nfields);
        doc = load(t.s, t.len);
        assert_int_equal(sp_json_scan(t.s, t.len, &scan), 0);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        ra = sp_check_story(doc, &a);
        assert_int_equal(sp_json_members(t.s, t.len, &m), 0);
        rb = sp_check_story_members(&m, &b);
        if (ra != rb || strcmp(a.reason, b.reason) != 0 || strcmp(a.detail, b.detail) != 0)
            fail_msg("disagree on %s: jansson %d %s (%s), raw %d %s (%s)", t.s, ra, a.reason, a.detail, rb, b.reason,
                     b.detail);
        if (ra == 0) ok++;
        else if (strcmp(a.reason, "missing_field") == 0) missing++;
        else wrong++;
        /* the members are jansson's keys, with the same types */
        assert_int_equal(m.n, json_object_size(doc));
        for (size_t i = 0; i < m.n; i++) {
            char *key = strndup(m.v[i].key, m.v[i].key_len);
            json_t *v = json_object_get(doc, key);
            if (v == NULL) fail_msg("member '%s' is not a key of %s", key, t.s);
            assert_int_equal(sp_member_type(&m.v[i]), sp_json_type(v));
            free(key);
        }
        json_decref(doc);
    }
    /* every verdict came up often enough to mean something */
    assert_true(ok > 100);
    assert_true(missing > 100);
    assert_true(wrong > 100);
    free(t.s);
    sp_members_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_types),
        cmocka_unit_test(test_story),
        cmocka_unit_test(test_random_stories_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
