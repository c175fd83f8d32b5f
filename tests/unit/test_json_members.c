/* test_json_members.c — reading a message without a DOM (sp_json_members,
 * sp_members_get, sp_json_string_decode in jsonscan.c): hand-written cases,
 * then seeded random objects whose members, types, value bytes and decoded
 * strings must equal what jansson finds. */
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

/* The member `key` of the message, which must exist. */
static const sp_member *must_get(const sp_members *m, const char *key) {
    const sp_member *mb = sp_members_get(m, key);
    if (mb == NULL) fail_msg("member %s not found", key);
    return mb;
}

/* Assert member `key` of buf has type `type` and the value bytes `value`. */
static void assert_member(const char *buf, const sp_members *m, const char *key, char type, const char *value) {
    const sp_member *mb = must_get(m, key);
    assert_int_equal(mb->type, type);
    assert_int_equal(buf[mb->at], '"');
    assert_int_equal(mb->end - mb->start, strlen(value));
    assert_memory_equal(buf + mb->start, value, strlen(value));
}

static void test_nested_values(void **state) {
    static const char msg[] =
        "{\"a\":{\"x\":\"}{][,:\",\"y\":[1,{\"z\":\"\\\"}\"}],\"w\":{}},"
        "\"b\":\"q\\\"uo\\\"te\","
        "\"c\":\"ends with a backslash\\\\\","
        "\"d\":[\"]\",\"\\\\\",[[]],{\"}\":\"{\"}],"
        "\"e\":\"\\\\\\\"\","
        "\"f\":{}}";
    sp_members m = {0};
    (void)state;
    assert_int_equal(sp_json_members(msg, strlen(msg), &m), 0);
    assert_int_equal(m.n, 6);
    assert_member(msg, &m, "a", 'o', "{\"x\":\"}{][,:\",\"y\":[1,{\"z\":\"\\\"}\"}],\"w\":{}}");
    assert_member(msg, &m, "b", 's', "\"q\\\"uo\\\"te\"");
    assert_member(msg, &m, "c", 's', "\"ends with a backslash\\\\\"");
    assert_member(msg, &m, "d", 'a', "[\"]\",\"\\\\\",[[]],{\"}\":\"{\"}]");
    assert_member(msg, &m, "e", 's', "\"\\\\\\\"\"");
    assert_member(msg, &m, "f", 'o', "{}");
    assert_null(sp_members_get(&m, "x"));
    assert_null(sp_members_get(&m, "z"));
    assert_null(sp_members_get(&m, ""));
    /* in order, with the keys' offsets */
    assert_int_equal(m.v[0].at, 1);
    assert_memory_equal(m.v[5].key, "f", 1);
    sp_members_free(&m);
}

static void test_all_types_and_white_space(void **state) {
    static const char msg[] = " \r\n{ \"s\" : \"x\" ,\t\"i\":-0 , \"i2\":1234567890123,\"r\":1.5,\"r2\":-2E-2,"
                              "\"r3\":1e3 , \"o\" :{ \"k\" : [ ] } ,\"a\":[ 1 , 2 ],\"t\":true,\"f\":false,"
                              "\"n\":null ,\"e\":\"\" } \n";
    sp_members m = {0};
    (void)state;
    assert_int_equal(sp_json_members(msg, strlen(msg), &m), 0);
    assert_int_equal(m.n, 12);
    assert_member(msg, &m, "s", 's', "\"x\"");
    assert_member(msg, &m, "i", 'i', "-0");
    assert_member(msg, &m, "i2", 'i', "1234567890123");
    assert_member(msg, &m, "r", 'r', "1.5");
    assert_member(msg, &m, "r2", 'r', "-2E-2");
    assert_member(msg, &m, "r3", 'r', "1e3");
    assert_member(msg, &m, "o", 'o', "{ \"k\" : [ ] }");
    assert_member(msg, &m, "a", 'a', "[ 1 , 2 ]");
    assert_member(msg, &m, "t", 'b', "true");
    assert_member(msg, &m, "f", 'b', "false");
    assert_member(msg, &m, "n", 'n', "null");
    assert_member(msg, &m, "e", 's', "\"\"");
    sp_members_free(&m);
}

static void test_escaped_keys(void **state) {
    static const char msg[] = "{\"story\\u005fid\":\"s1\",\"plain\":1,\"\\\"q\\\"\":2,\"a\\\\b\":3,"
                              "\"\\u00e9t\\u00E9\":4,\"\\ud83d\\ude00\":5,\"\\/\\b\\f\\n\\r\\t\":6,\"\":7}";
    sp_members m = {0};
    (void)state;
    assert_int_equal(sp_json_members(msg, strlen(msg), &m), 0);
    assert_int_equal(m.n, 8);
    assert_member(msg, &m, "story_id", 's', "\"s1\"");
    assert_member(msg, &m, "plain", 'i', "1");
    assert_member(msg, &m, "\"q\"", 'i', "2");
    assert_member(msg, &m, "a\\b", 'i', "3");
    assert_member(msg, &m, "\xc3\xa9t\xc3\xa9", 'i', "4");
    assert_member(msg, &m, "\xf0\x9f\x98\x80", 'i', "5");
    assert_member(msg, &m, "/\b\f\n\r\t", 'i', "6");
    assert_member(msg, &m, "", 'i', "7");
    assert_null(sp_members_get(&m, "story\\u005fid"));
    /* keys without escapes point into the message */
    assert_ptr_equal(must_get(&m, "plain")->key, msg + must_get(&m, "plain")->at + 1);
    sp_members_free(&m);
}

/* Enough long escaped keys that their storage is reallocated during the
 * walk, and enough members that the member array grows: every key must
 * still be right afterwards (and ASan sees no use after free). */
static void test_many_escaped_keys(void **state) {
    char *msg = malloc(200000), *p = msg, name[64];
    sp_members m = {0};
    (void)state;
    *p++ = '{';
    for (int i = 0; i < 500; i++) {
        if (i) *p++ = ',';
        p += sprintf(p, "\"key\\u005f%d_with_an_escape_and_some_length_to_it\":%d", i, i);
    }
    *p++ = '}';
    for (int round = 0; round < 2; round++) { /* the second call reuses m */
        assert_int_equal(sp_json_members(msg, (size_t)(p - msg), &m), 0);
        assert_int_equal(m.n, 500);
        for (int i = 0; i < 500; i++) {
            char value[16];
            snprintf(name, sizeof name, "key_%d_with_an_escape_and_some_length_to_it", i);
            snprintf(value, sizeof value, "%d", i);
            assert_member(msg, &m, name, 'i', value);
            assert_ptr_equal(sp_members_get(&m, name), &m.v[i]);
        }
    }
    sp_members_free(&m);
    free(msg);
}

/* sp_members_next: in the message's order one key compared a lookup, and
 * any other order still finds every member (from the start again). */
static void test_next(void **state) {
    static const char msg[] = "{\"a\":1,\"bb\":2,\"c\":3,\"dd\":4}";
    sp_members m = {0};
    size_t next = 0;
    (void)state;
    assert_int_equal(sp_json_members(msg, strlen(msg), &m), 0);
    assert_ptr_equal(sp_members_next(&m, "a", &next), &m.v[0]);
    assert_int_equal(next, 1);
    assert_ptr_equal(sp_members_next(&m, "c", &next), &m.v[2]);
    assert_int_equal(next, 3);
    /* behind the cursor: found past the end, from the start */
    assert_ptr_equal(sp_members_next(&m, "bb", &next), &m.v[1]);
    assert_int_equal(next, 2);
    assert_ptr_equal(sp_members_next(&m, "dd", &next), &m.v[3]);
    assert_int_equal(next, 4);
    /* a cursor at or past the end starts at the beginning */
    assert_ptr_equal(sp_members_next(&m, "a", &next), &m.v[0]);
    next = 99;
    assert_ptr_equal(sp_members_next(&m, "c", &next), &m.v[2]);
    /* absent: NULL, the cursor left as it was */
    next = 2;
    assert_null(sp_members_next(&m, "b", &next));
    assert_null(sp_members_next(&m, "", &next));
    assert_int_equal(next, 2);
    sp_members_free(&m);
    /* no members */
    assert_int_equal(sp_json_members("{}", 2, &m), 0);
    next = 0;
    assert_null(sp_members_next(&m, "a", &next));
    sp_members_free(&m);
}

static void test_empty_and_not_objects(void **state) {
    static const char *const not_objects[] = {"[]", "[{\"a\":1}]", "\"{\\\"a\\\":1}\"", "1", "-1.5", "null",
                                              "true", " \n[ ]", ""};
    static const char full[] = "{\"a\":1,\"b\":2}";
    sp_members m = {0};
    (void)state;
    assert_int_equal(sp_json_members("{}", 2, &m), 0);
    assert_int_equal(m.n, 0);
    assert_int_equal(sp_json_members(" {\n} ", 6, &m), 0);
    assert_int_equal(m.n, 0);
    assert_null(sp_members_get(&m, "a"));
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
        assert_int_equal(sp_json_members(full, strlen(full), &m), 0);
        assert_int_equal(m.n, 2);
        assert_int_equal(sp_json_members(not_objects[i], strlen(not_objects[i]), &m), -1);
        assert_int_equal(m.n, 0); /* reset: nothing left from the call before */
        assert_null(sp_members_get(&m, "a"));
    }
    sp_members_free(&m);
    sp_members_free(&m); /* freeing twice is harmless */
}

/* Input that is not valid JSON: no promise about the result, only that the
 * walk stays inside the buffer (ASan checks that on heap copies). */
static void test_truncated_input_stays_in_bounds(void **state) {
    static const char msg[] = "{\"k\\u005f1\":\"a\\\"b\\\\\",\"o\":{\"x\":[1,\"]\"]},\"t\":true,\"n\":-1.5e3}";
    sp_members m = {0};
    char *out = NULL;
    size_t cap = 0;
    (void)state;
    for (size_t len = 0; len <= strlen(msg); len++) {
        char *copy = malloc(len ? len : 1);
        memcpy(copy, msg, len);
        (void)sp_json_members(copy, len, &m);
        for (size_t i = 0; i < m.n; i++) {
            assert_true(m.v[i].start <= m.v[i].end && m.v[i].end <= len);
            if (m.v[i].type == 's' && m.v[i].end - m.v[i].start >= 2)
                (void)sp_json_string_decode(copy, m.v[i].start, m.v[i].end, &out, &cap);
        }
        free(copy);
    }
    free(out);
    sp_members_free(&m);
}

/* Decode the JSON string literal `lit` (quotes included) and compare. */
static void assert_decodes(const char *lit, const char *want, size_t want_len) {
    char *out = NULL;
    size_t cap = 0, n;
    n = sp_json_string_decode(lit, 0, strlen(lit), &out, &cap);
    assert_int_equal(n, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(out[n], '\0');
    assert_true(cap > n);
    free(out);
}

static void test_string_decode(void **state) {
    static const char msg[] = "{\"a\":\"x\\ty\",\"b\":\"\"}";
    sp_members m = {0};
    char *out = NULL;
    size_t cap = 0;
    (void)state;
    assert_decodes("\"\"", "", 0);
    assert_decodes("\"plain text, no escapes\"", "plain text, no escapes", 22);
    assert_decodes("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
    assert_decodes("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6);
    assert_decodes("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
    assert_decodes("\"x\\uD834\\uDD1Ey\"", "x\xf0\x9d\x84\x9ey", 6);
    assert_decodes("\"\\u0001\\u001f\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
                   "\x01\x1f\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 13);
    assert_decodes("\"ends with a backslash\\\\\"", "ends with a backslash\\", 22);
    assert_decodes("\"\\\\\\\"\"", "\\\"", 2);
    assert_decodes("\"caf\xc3\xa9 \\n {}[]\"", "caf\xc3\xa9 \n {}[]", 12);
    /* straight from the members, into a buffer that is reused and grows */
    assert_int_equal(sp_json_members(msg, strlen(msg), &m), 0);
    assert_int_equal(sp_json_string_decode(msg, m.v[1].start, m.v[1].end, &out, &cap), 0);
    assert_string_equal(out, "");
    assert_int_equal(sp_json_string_decode(msg, m.v[0].start, m.v[0].end, &out, &cap), 3);
    assert_string_equal(out, "x\ty");
    {
        char *big = malloc(10002);
        big[0] = '"';
        memset(big + 1, 'z', 10000);
        big[10001] = '"';
        assert_int_equal(sp_json_string_decode(big, 0, 10002, &out, &cap), 10000);
        assert_true(cap >= 10001);
        assert_int_equal(out[9999], 'z');
        assert_int_equal(out[10000], '\0');
        free(big);
    }
    free(out);
    sp_members_free(&m);
}

/* ---- random objects, compared with jansson ---- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

static unsigned long rng_state;

static unsigned rnd(unsigned n) {
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)(rng_state >> 33) % n;
}

static void put_blank(text *t) {
    static const char *const blanks[] = {"", "", "", " ", "\n", " \t", "\r\n  "};
    puts_(t, blanks[rnd(7)]);
}

/* Contents of a string: pieces chosen to trip a careless skipper. */
static void put_string_body(text *t) {
    static const char *const pieces[] = {
        "word", " ", "\\\"", "\\\\", "\\/", "/", "\\b\\f\\n\\r\\t", "{", "}", "[", "]", ",", ":",
        "\\u0022", "\\u005c", "\\u00e9", "\\u20ac", "\\ud83d\\ude00", "\\uDBFF\\uDFFF", "\xc3\xa9",
        "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\u0001", "\\\\\\\"", "'", "true", "1.5e3"};
    unsigned n = rnd(8);
    for (unsigned i = 0; i < n; i++) puts_(t, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
    if (rnd(4) == 0) puts_(t, "\\\\"); /* a backslash right before the closing quote */
}

/* A key that decodes to k<id>, with some of its bytes escaped. */
static void put_key(text *t, unsigned id) {
    char plain[16];
    int n = snprintf(plain, sizeof plain, "k%u", id);
    puts_(t, "\"");
    for (int i = 0; i < n; i++) {
        char esc[8];
        if (rnd(5) == 0) {
            snprintf(esc, sizeof esc, rnd(2) ? "\\u%04x" : "\\u%04X", (unsigned char)plain[i]);
            puts_(t, esc);
        } else {
            put(t, &plain[i], 1);
        }
    }
    puts_(t, "\"");
}

static void put_value(text *t, int depth);

static void put_object(text *t, int depth, unsigned members) {
    puts_(t, "{");
    put_blank(t);
    for (unsigned i = 0; i < members; i++) {
        if (i) {
            puts_(t, ",");
            put_blank(t);
        }
        put_key(t, i);
        put_blank(t);
        puts_(t, ":");
        put_blank(t);
        put_value(t, depth + 1);
        put_blank(t);
    }
    puts_(t, "}");
}

static void put_value(text *t, int depth) {
    static const char *const numbers[] = {"0", "-0", "7", "-12", "9223372036854775807", "-9223372036854775808",
                                          "0.5", "-1.25", "1e3", "2E-2", "-3.5e+7", "1.0"};
    switch (rnd(depth > 3 ? 6 : 8)) {
    case 0:
    case 1:
        puts_(t, "\"");
        put_string_body(t);
        puts_(t, "\"");
        break;
    case 2: puts_(t, numbers[rnd(sizeof numbers / sizeof numbers[0])]); break;
    case 3: puts_(t, rnd(2) ? "true" : "false"); break;
    case 4: puts_(t, "null"); break;
    case 5:
        puts_(t, "\"");
        puts_(t, "{\\\"not\\\":[\\\"an object\\\"]}");
        puts_(t, "\"");
        break;
    case 6: put_object(t, depth, rnd(4)); break;
    default: {
        unsigned n = rnd(4);
        puts_(t, "[");
        put_blank(t);
        for (unsigned i = 0; i < n; i++) {
            if (i) puts_(t, ",");
            put_blank(t);
            put_value(t, depth + 1);
            put_blank(t);
        }
        puts_(t, "]");
        break;
    }
    }
}

/* Each member's escaped: a string value with a backslash. */
static void assert_escaped(const char *buf, const sp_members *m) {
    for (size_t i = 0; i < m->n; i++) {
        const sp_member *v = &m->v[i];
        assert_int_equal(v->escaped, v->type == 's' && memchr(buf + v->start, '\\', v->end - v->start) != NULL);
    }
}

/* Members of buf equal jansson's: same keys, types, value bytes (they parse
 * to an equal value) and decoded strings. Returns line_breaks. */
static int assert_members_match_jansson(const char *buf, size_t len, sp_members *m) {
    json_error_t err;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    sp_scan scan;
    char *out = NULL;
    size_t cap = 0;
    if (doc == NULL) fail_msg("generated bad JSON: %s: %.*s", err.text, (int)len, buf);
    assert_int_equal(sp_json_scan(buf, len, &scan), 0);
    /* line_breaks: the scanner's, where the text has a raw \n or \r (white
     * space only: escaped in strings, as they are here) */
    assert_int_equal(sp_json_scan_members(buf, len, &scan, m), 0);
    assert_int_equal(m->line_breaks, memchr(buf, '\n', len) != NULL || memchr(buf, '\r', len) != NULL);
    int breaks = m->line_breaks;
    assert_escaped(buf, m);
    if (!json_is_object(doc)) {
        assert_int_equal(sp_json_members(buf, len, m), -1);
        assert_int_equal(m->n, 0);
        json_decref(doc);
        return breaks;
    }
    assert_int_equal(sp_json_members(buf, len, m), 0);
    assert_int_equal(m->n, json_object_size(doc));
    assert_escaped(buf, m);
    for (size_t i = 0; i < m->n; i++) {
        const sp_member *mb = &m->v[i];
        char *key = strndup(mb->key, mb->key_len);
        json_t *v = json_object_get(doc, key), *again;
        if (v == NULL) fail_msg("member '%s' is not one of jansson's keys in %.*s", key, (int)len, buf);
        assert_int_equal(mb->key_len, strlen(key));
        assert_ptr_equal(sp_members_get(m, key), mb);
        assert_int_equal(sp_member_type(mb), sp_json_type(v));
        assert_int_equal(buf[mb->at], '"');
        again = json_loadb(buf + mb->start, mb->end - mb->start, JSON_DECODE_ANY, &err);
        if (again == NULL || !json_equal(again, v))
            fail_msg("value of '%s' is '%.*s'", key, (int)(mb->end - mb->start), buf + mb->start);
        if (mb->type == 's') {
            size_t n = sp_json_string_decode(buf, mb->start, mb->end, &out, &cap);
            assert_int_equal(n, json_string_length(v));
            assert_memory_equal(out, json_string_value(v), n);
        }
        json_decref(again);
        free(key);
    }
    free(out);
    json_decref(doc);
    return breaks;
}

static void test_random_objects_match_jansson(void **state) {
    sp_members m = {0};
    text t = {0};
    sp_scan scan;
    int breaks = 0;
    (void)state;
    rng_state = 20250301;
    for (int iter = 0; iter < 3000; iter++) {
        t.len = 0;
        put_blank(&t);
        if (iter % 50 == 49)
            put_value(&t, 0); /* sometimes not an object */
        else
            put_object(&t, 0, rnd(25));
        put_blank(&t);
        breaks += assert_members_match_jansson(t.s, t.len, &m);
    }
    assert_in_range(breaks, 1, 2999); /* texts with and without were met */
    /* nor after a text that fails, nor from sp_json_members() */
    const char *bad = "{\n\"a\":1,}", *good = "{\n\"a\":1}";
    assert_int_equal(sp_json_scan_members(bad, strlen(bad), &scan, &m), -1);
    assert_int_equal(m.line_breaks, 0);
    assert_int_equal(sp_json_members(good, strlen(good), &m), 0);
    assert_int_equal(m.line_breaks, 0);
    free(t.s);
    sp_members_free(&m);
}

/* sp_json_compact: white space outside strings goes, inside stays,
 * escaped quotes and backslashes do not end a string. */
static void test_compact(void **state) {
    char buf[] = "{\n  \"a b\" : [ 1 ,\t2 ],\r\n  \"c\":\"x \\\" \\\\ y\\n\" , \"d\" : { } }\n";
    const char *want = "{\"a b\":[1,2],\"c\":\"x \\\" \\\\ y\\n\",\"d\":{}}";
    size_t n = sp_json_compact(buf, strlen(buf));
    (void)state;
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
    json_t *a = json_loadb(buf, n, 0, NULL);
    assert_non_null(a);
    json_decref(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_nested_values),
        cmocka_unit_test(test_all_types_and_white_space),
        cmocka_unit_test(test_escaped_keys),
        cmocka_unit_test(test_many_escaped_keys),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_empty_and_not_objects),
        cmocka_unit_test(test_truncated_input_stays_in_bounds),
        cmocka_unit_test(test_string_decode),
        cmocka_unit_test(test_random_objects_match_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
