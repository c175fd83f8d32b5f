/* test_jsonscan.c — the raw envelope check (sp_envelope_check, built on the
 * jsonscan scanner) must give the same verdict and reason code as the DOM
 * check (sp_envelope_parse, built on jansson) for every input: hand-picked
 * edge cases, then a million seeded mutations of valid messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "jsonscan.h"
#include "util.h"

/* The members the check found as it scanned are the ones
 * sp_json_members() finds in the message it accepted. */
static int same_members(const char *buf, size_t len, const sp_members *found) {
    static sp_members m;
    if (sp_json_members(buf, len, &m) != 0 || m.n != found->n) return 0;
    for (size_t i = 0; i < m.n; i++) {
        const sp_member *x = &m.v[i], *y = &found->v[i];
        if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0 || x->at != y->at ||
            x->start != y->start || x->end != y->end || x->type != y->type)
            return 0;
    }
    return 1;
}

static int agree_path(const char *buf, size_t len);

/* Both of the scanner's string paths (AVX2 where the processor has it, and
 * SSE2) agree with jansson. */
static int agree(const char *buf, size_t len) {
    int ok = 1;
    for (int path = 0; path < 2 && ok; path++) {
        sp_no_avx2 = path;
        ok = agree_path(buf, len);
        if (!ok) fprintf(stderr, "(on the %s path)\n", path ? "SSE2" : "AVX2 if any");
    }
    sp_no_avx2 = 0;
    return ok;
}

static int agree_path(const char *buf, size_t len) {
    static sp_members found;
    sp_fail a, b;
    json_t *j;
    int rb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    j = sp_envelope_parse(buf, len, 1 << 20, &a);
    rb = sp_envelope_check(buf, len, 1 << 20, &found, &b);
    json_decref(j);
    if ((j != NULL) != (rb == 0) || strcmp(a.reason, b.reason) != 0) {
        fprintf(stderr, "disagree on %zu bytes '%.*s': jansson %s (%s), scanner %s (%s)\n", len,
                (int)(len > 200 ? 200 : len), buf, j ? "ok" : a.reason, a.detail, rb == 0 ? "ok" : b.reason,
                b.detail);
        return 0;
    }
    if (rb == 0 ? !same_members(buf, len, &found) : found.n != 0) {
        fprintf(stderr, "members found by the check differ on %zu bytes '%.*s'\n", len, (int)(len > 200 ? 200 : len), buf);
        return 0;
    }
    return 1;
}

static const char *const cases[] = {
    "{\"schema_version\":1}", "{\"schema_version\":1,\"a\":[1,2.5,-3e2,true,false,null,\"x\"]}",
    /* a top-level key with escapes, then one whose value has keys of its own */
    "{\"schema_version\":1,\"k\\u0065y\":{\"in\\\"ner\":{\"x\":1}},\"\\\\\":[{\"y\":2}],\"z\":\"\\n\"}",
    " \t\r\n{\"schema_version\" : 1 } \n", "{\"schema_version\":2}", "{\"schema_version\":0}",
    "{\"schema_version\":-1}", "{\"schema_version\":1.0}", "{\"schema_version\":1e0}",
    "{\"schema_version\":\"1\"}", "{\"schema_version\":null}", "{\"schema_version\":[1]}",
    "{\"schema_version\":{}}", "{\"schema_version\":true}", "{}", "[]", "[1]", "42", "-1.5e3",
    "\"str\"", "null", "true", "false", "{\"schema_versio\":1}", "{\"schema_version\\u0000\":1}",
    "{\"schema\\u005fversion\":1}", "{\"schema_version\":1,\"schema_version\":1}",
    "{\"schema_version\":1,\"schema\\u005fversion\":2}", "{\"schema_version\":1,\"a\":{\"b\":1,\"b\":2}}",
    "{\"schema_version\":1,\"a\":{\"b\":1},\"c\":{\"b\":2}}", "{\"schema_version\":1,\"a\":[{\"b\":1},{\"b\":1}]}",
    "{\"schema_version\":9223372036854775807}", "{\"schema_version\":9223372036854775808}",
    "{\"schema_version\":-9223372036854775808}", "{\"schema_version\":-9223372036854775809}",
    "{\"schema_version\":1,\"x\":123456789012345678901234567890}", "{\"schema_version\":1,\"x\":1e400}",
    "{\"schema_version\":1,\"x\":-1e400}", "{\"schema_version\":1,\"x\":1e-400}", "{\"schema_version\":01}",
    "{\"schema_version\":1.}", "{\"schema_version\":.5}", "{\"schema_version\":-}", "{\"schema_version\":+1}",
    "{\"schema_version\":1e}", "{\"schema_version\":1e+}", "{\"schema_version\":1,\"x\":0.0e-0}",
    "{\"schema_version\":1,\"s\":\"\\ud83d\\ude00\"}", "{\"schema_version\":1,\"s\":\"\\ud83d\"}",
    "{\"schema_version\":1,\"s\":\"\\ude00\"}", "{\"schema_version\":1,\"s\":\"\\ud83d\\u0041\"}",
    "{\"schema_version\":1,\"s\":\"\\u0000\"}", "{\"schema_version\":1,\"s\":\"\\x\"}",
    "{\"schema_version\":1,\"s\":\"\\u12\"}", "{\"schema_version\":1,\"s\":\"\\u12G4\"}",
    "{\"schema_version\":1,\"s\":\"tab\there\"}", "{\"schema_version\":1,\"s\":\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"}",
    "{\"schema_version\":1,}", "{\"schema_version\":1", "{\"schema_version\"1}", "{schema_version:1}",
    "{'schema_version':1}", "{\"schema_version\":1}}", "{\"schema_version\":1} x", "{\"schema_version\":1}{}",
    "{\"schema_version\":1,\"a\":[1,]}", "{\"schema_version\":1,\"a\":[,1]}", "{\"schema_version\":1,\"a\":tru}",
    "{\"schema_version\":1,\"a\":nul}", "{\"schema_version\":1,\"a\":NaN}", "{\"schema_version\":1,\"a\":Infinity}",
    "{\"schema_version\":1,\"é\":\"ü\",\"日本\":\"語\"}", "{\"schema_version\":1,\"k\":\"\xf0\x9f\x98\x80\"}",
    "\xef\xbb\xbf{\"schema_version\":1}", " ", "{\"schema_version\":1,\"\":1,\"\":2}",
    "{\"a\":1,\"schema_version\":1}", "{\"a\":{\"schema_version\":1}}",
    /* UTF-8, which the scanner checks inside strings, 16 bytes at a time
     * up to a byte from 0x80: at every offset of a 16-byte block, cut
     * short, overlong, a surrogate, above U+10FFFF, in keys, and after an
     * error of JSON (the encoding's reason wins, as in jansson) */
    "{\"schema_version\":1,\"s\":\"0123456789abcd\xc3\xa9" "f0123456789\xe2\x82\xac\"}",
    "{\"schema_version\":1,\"s\":\"0123456789abcde\xc3\xa9\"}", "{\"schema_version\":1,\"s\":\"\xc3\"}",
    "{\"schema_version\":1,\"s\":\"0123456789abcdef0123\xe2\x82\"}", "{\"schema_version\":1,\"s\":\"\xe2\x82",
    "{\"schema_version\":1,\"s\":\"\xc1\xbf\"}", "{\"schema_version\":1,\"s\":\"\xe0\x9f\xbf\"}",
    "{\"schema_version\":1,\"s\":\"\xed\xbf\xbf\"}", "{\"schema_version\":1,\"s\":\"\xf4\x90\x80\x80\"}",
    "{\"schema_version\":1,\"s\":\"\xf4\x8f\xbf\xbf\"}", "{\"schema_version\":1,\"s\":\"\x80" "abc\"}",
    "{\"schema_version\":1,\"\xff\":1}", "{\"schema_version\":1,\"k\xc3\xa9y\":1,\"k\xc3\xa9y\":2}",
    "{\"schema_version\" 1,\"s\":\"\xff\"}", "{\"schema_version\":1,\"s\":\"\xc3\xa9\"} \xc3\xa9",
    "{\"schema_version\":1,\"s\":\"\xc3\xa9\\u00e9\\\"\xe6\x97\xa5\"}",
};

static void test_edge_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(agree(cases[i], strlen(cases[i])));
}

static void test_deep_nesting(void **state) {
    (void)state;
    for (int depth = 2040; depth <= 2056; depth += 4) {
        size_t len = 32 + 2 * (size_t)depth;
        char *buf = malloc(len + 1), *p = buf;
        p += sprintf(p, "{\"schema_version\":1,\"d\":");
        for (int i = 0; i < depth; i++) *p++ = '[';
        for (int i = 0; i < depth; i++) *p++ = ']';
        *p++ = '}';
        assert_true(agree(buf, (size_t)(p - buf)));
        free(buf);
    }
}

/* The duplicate-key set, the keys compared one by one and the key buffer
 * start inside the scanner (64 set entries, 64 keys, 128 key bytes) and
 * move to the heap past that; an object's keys go from one-by-one to the
 * set past LINEAR_KEYS (24), or at its first escaped key: n distinct keys of
 * `klen` bytes (with an escape in each, or none, or in the last only) in
 * one object, then the same with the first key repeated last (found after
 * the moves), and with a key that only differs in its last byte. */
static void test_many_and_long_keys(void **state) {
    static const size_t counts[] = {1, 23, 24, 25, 31, 32, 33, 64, 65, 100, 1000},
                        lengths[] = {1, 7, 8, 9, 16, 127, 128, 129, 300};
    (void)state;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
            for (int variant = 0; variant < 9; variant++) {
                int escape = variant / 3; /* 0 every key, 1 none, 2 the last only */
                size_t n = counts[c], klen = lengths[l], cap = 64 + (n + 1) * (klen + 24);
                char *buf = malloc(cap), *p = buf;
                p += sprintf(p, "{\"schema_version\":1");
                for (size_t i = 0; i <= n; i++) {
                    size_t id = i == n ? (variant % 3 == 1 ? 0 : n + 1) : i;
                    int escaped = escape == 0 || (escape == 2 && i == n);
                    if (i == n && variant % 3 == 0) break;
                    p += sprintf(p, ",\"%s%0*zu%s\":%zu", escaped ? "\\u0041" : "A", (int)klen, id,
                                 i == n && variant % 3 == 2 ? "z" : "", i);
                }
                *p++ = '}';
                assert_true((size_t)(p - buf) < cap);
                assert_true(agree(buf, (size_t)(p - buf)));
                if (variant % 3 == 1) { /* the repeated key must be refused */
                    sp_fail f;
                    memset(&f, 0, sizeof f);
                    assert_int_not_equal(sp_envelope_check(buf, (size_t)(p - buf), 1 << 20, NULL, &f), 0);
                }
                free(buf);
            }
}

/* Keys of nested objects are their own: a child may have its parent's
 * keys, a parent's key after a child is compared with the parent's own,
 * and siblings do not see each other's keys. */
static void test_nested_keys(void **state) {
    static const struct {
        const char *json;
        int ok;
    } cases[] = {
        {"{\"schema_version\":1,\"a\":{\"a\":1,\"schema_version\":2},\"b\":{\"a\":{\"a\":3}}}", 1},
        {"{\"schema_version\":1,\"a\":{\"b\":1},\"b\":2}", 1},
        {"{\"schema_version\":1,\"a\":{\"b\":1},\"a\":2}", 0},
        {"{\"schema_version\":1,\"x\":[{\"k\":1},{\"k\":2}],\"y\":{\"k\":1,\"k\":2}}", 0},
        {"{\"schema_version\":1,\"x\":[{\"k\":1},{\"k\":2}],\"y\":{\"k\":1,\"l\":2}}", 1},
        {"{\"schema_version\":1,\"headline\":1,\"headlinf\":2,\"headline\":3}", 0},
        {"{\"schema_version\":1,\"published_at\":1,\"published_on\":2}", 1},
        {"{\"schema_version\":1,\"a\":1,\"\\u0061\":2}", 0},
        {"{\"schema_version\":1,\"\\u0061\":1,\"a\":2}", 0},
        {"{\"schema_version\":1,\"a\\u0000\":1,\"a\":2}", 0},
        {"{\"schema_version\":1,\"\":1,\"\":2}", 0},
        {"{\"schema_version\":1,\"\":1,\"a\":{\"\":2}}", 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sp_fail f;
        size_t len = strlen(cases[i].json);
        memset(&f, 0, sizeof f);
        if (!agree(cases[i].json, len)) fail_msg("case %zu: the checks disagree", i);
        if ((sp_envelope_check(cases[i].json, len, 1 << 20, NULL, &f) == 0) != cases[i].ok)
            fail_msg("case %zu: %s", i, cases[i].ok ? "refused" : "taken");
    }
}

/* Mutate valid messages at random (seeded): flip, insert, delete bytes
 * drawn from JSON's own alphabet, truncate. */
static void test_random_mutations(void **state) {
    static const char *const seeds[] = {
        "{\"schema_version\":1,\"id\":\"a-1\",\"kind\":\"inline\",\"content\":\"Hello \\u00e9 world\",\"n\":[1,-2.5e3,true,null]}",
        "{\"schema_version\":1,\"doc\":{\"a\":{\"b\":[{\"c\":\"d\"},{\"c\":\"e\"}]},\"x\":0.125}}",
        "{\"schema_version\":1,\"s\":\"\\ud83d\\ude00\\n\\t\",\"big\":9223372036854775807}",
        /* strings past 32 and 64 bytes, for the 32- and 16-byte loops */
        "{\"schema_version\":1,\"body\":\"The quick brown fox jumps over the lazy dog, \\\"twice\\\", caf\xc3\xa9 "
        "au lait and more words to go past sixty-four bytes of plain text\",\"t\":\"0123456789abcdef0123456789abcdef!\"}",
    };
    static const char alphabet[] = "{}[]:,\"\\u0123456789abcdefeE+-. \n\ttrueflsn\xc3\xa9";
    unsigned long rng = 20250203;
    char buf[512];
    long checked = 0;
    (void)state;
    for (long iter = 0; iter < 1000000; iter++) {
        const char *s = seeds[iter % 4];
        size_t len = strlen(s);
        memcpy(buf, s, len);
        int edits = 1 + (int)(iter % 3);
        for (int e = 0; e < edits; e++) {
            rng = rng * 6364136223846793005UL + 1442695040888963407UL;
            size_t pos = (rng >> 33) % (len + 1);
            char c = alphabet[(rng >> 13) % (sizeof alphabet - 1)];
            switch ((rng >> 7) % 4) {
            case 0: if (pos < len) buf[pos] = c; break;
            case 1: if (len < sizeof buf - 1) { memmove(buf + pos + 1, buf + pos, len - pos); buf[pos] = c; len++; } break;
            case 2: if (pos < len) { memmove(buf + pos, buf + pos + 1, len - pos - 1); len--; } break;
            default: len = pos; break;
            }
        }
        if (!agree(buf, len)) fail_msg("disagreement after %ld inputs", checked);
        checked++;
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_many_and_long_keys),
        cmocka_unit_test(test_nested_keys),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
