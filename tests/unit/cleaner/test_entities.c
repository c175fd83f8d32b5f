/* test_entities.c — HTML5 character references (services/cleaner/entities.c
 * and its generated table): the table itself (2,231 names, sorted, every name
 * decodes to its own value), the named/numeric/attribute rules and the output
 * bound, then every html5lib tokenizer case of namedEntities.test,
 * numericEntities.test and entities.test that is about text: Data-state cases
 * whose output is only Character tokens (html_decode with in_attribute = 0
 * must give their concatenation) and cases whose output is one start tag with
 * attributes (each raw attribute value, html_decode'd with in_attribute = 1,
 * must give the expected value). Parse errors are not checked.
 *
 * The fixtures are tests/fixtures/html5lib/ (copied from html5lib-tests),
 * found through $STORYPIPE_SOURCE if set, else relative to this file.
 * Linked with the cleaner's library (storypipe_cleaner). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "entities.h"
#include "html5lib.h"
#include "util.h"

static int is_alpha(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_alnum(unsigned char c) { return (c >= '0' && c <= '9') || is_alpha(c); }

/* ---- helpers ------------------------------------------------------------ */

/* html_charref on an exact-size heap copy (ASan catches a read past len). */
static size_t charref(const char *s, size_t len, int attr, char *u, size_t *ulen) {
    char *buf = malloc(len ? len : 1);
    size_t r;
    assert_non_null(buf);
    memcpy(buf, s, len);
    *ulen = 0;
    r = html_charref(buf, len, attr, u, ulen);
    free(buf);
    return r;
}

/* Decode `in` (a C string) and check consumed bytes and output. */
static void expect_ref(const char *in, int attr, size_t want_used, const char *want) {
    char u[8];
    size_t ulen;
    size_t used = charref(in, strlen(in), attr, u, &ulen);
    if (used != want_used || (want && (ulen != strlen(want) || memcmp(u, want, ulen) != 0))) {
        fprintf(stderr, "'%s' (attr %d): consumed %zu, want %zu; got '%.*s'\n", in, attr, used, want_used,
                (int)ulen, u);
        fail();
    }
}
#define NOT_REF(in, attr) expect_ref(in, attr, 0, NULL)

/* html_decode into a heap buffer of exactly HTML_DECODE_BOUND(len) bytes. */
static char *decode(const char *s, size_t len, int attr, size_t *out_len) {
    char *in = malloc(len ? len : 1), *out = malloc(len ? HTML_DECODE_BOUND(len) : 1);
    assert_non_null(in);
    assert_non_null(out);
    memcpy(in, s, len);
    *out_len = html_decode(in, len, attr, out);
    assert_true(*out_len <= HTML_DECODE_BOUND(len));
    free(in);
    return out;
}

static const char *row_name(const struct html_entity *e) { return html_entity_names + e->name_off; }

/* ---- the table ---------------------------------------------------------- */

static void test_table(void **state) {
    size_t legacy = 0;
    (void)state;
    assert_int_equal(html_entity_name_count, 2231);
    assert_int_equal(html_entity_count, 2125);
    for (size_t i = 0; i < html_entity_count; i++) {
        const struct html_entity *e = &html_entities[i];
        assert_true(e->name_len >= 1 && e->name_len <= 31);
        assert_true(e->utf8_len >= 1 && e->utf8_len <= HTML_CHARREF_MAX_UTF8);
        for (size_t k = 0; k < e->name_len; k++) assert_true(is_alnum((unsigned char)row_name(e)[k]));
        if (e->flags & HTML_ENTITY_LEGACY) legacy++;
        if (i) { /* strictly increasing, bytewise, a prefix first */
            const struct html_entity *p = &html_entities[i - 1];
            size_t n = p->name_len < e->name_len ? p->name_len : e->name_len;
            int c = memcmp(row_name(p), row_name(e), n);
            assert_true(c < 0 || (c == 0 && p->name_len < e->name_len));
        }
    }
    /* 2,125 names with ';' + 106 legacy ones without = the 2,231 of the spec */
    assert_int_equal(legacy, 106);
    assert_int_equal(html_entity_count + legacy, 2231);
}

/* Every name, with ';' and (legacy ones) without, decodes to its own row. */
static void test_every_name(void **state) {
    char in[40], u[8];
    size_t ulen;
    (void)state;
    for (size_t i = 0; i < html_entity_count; i++) {
        const struct html_entity *e = &html_entities[i];
        size_t n = e->name_len;
        in[0] = '&';
        memcpy(in + 1, row_name(e), n);
        in[n + 1] = ';';
        for (int attr = 0; attr < 2; attr++) {
            assert_int_equal(charref(in, n + 2, attr, u, &ulen), n + 2);
            assert_int_equal(ulen, e->utf8_len);
            assert_memory_equal(u, e->utf8, ulen);
            /* without the ';', at the end of the input */
            size_t used = charref(in, n + 1, attr, u, &ulen);
            if (e->flags & HTML_ENTITY_LEGACY) {
                assert_int_equal(used, n + 1);
                assert_memory_equal(u, e->utf8, ulen);
            } else {
                assert_true(used < n + 1); /* at most a shorter legacy prefix ("&notin" -> "&not") */
            }
        }
        if (e->flags & HTML_ENTITY_LEGACY) { /* followed by an alphanumeric or '=' */
            in[n + 1] = 'x';
            assert_int_equal(charref(in, n + 2, 0, u, &ulen), n + 1);
            assert_int_equal(charref(in, n + 2, 1, u, &ulen), 0);
            in[n + 1] = '=';
            assert_int_equal(charref(in, n + 2, 0, u, &ulen), n + 1);
            assert_int_equal(charref(in, n + 2, 1, u, &ulen), 0);
            in[n + 1] = '"';
            assert_int_equal(charref(in, n + 2, 1, u, &ulen), n + 1);
        }
    }
}

/* The output bound: only &nGt; and &nLt; are longer decoded (5 -> 6 bytes). */
static void test_expansion(void **state) {
    size_t grow = 0, olen;
    char *out;
    (void)state;
    for (size_t i = 0; i < html_entity_count; i++) {
        const struct html_entity *e = &html_entities[i];
        size_t with_semi = (size_t)e->name_len + 2;
        if (e->flags & HTML_ENTITY_LEGACY) assert_true(e->utf8_len <= e->name_len + 1);
        if (e->utf8_len > with_semi) {
            grow++;
            assert_int_equal(e->utf8_len, with_semi + 1);
            assert_int_equal(with_semi, 5); /* so HTML_DECODE_BOUND = len + len/5 holds */
        }
    }
    assert_int_equal(grow, 2);
    /* numeric: never longer than the reference, checked for every value */
    for (uint32_t cp = 0; cp <= 0x110000; cp++) {
        char in[16], u[8];
        size_t ulen;
        int n = snprintf(in, sizeof in, "&#%u", (unsigned)cp);
        assert_int_equal(html_charref(in, (size_t)n, 0, u, &ulen), (size_t)n);
        assert_true(ulen <= (size_t)n);
        n = snprintf(in, sizeof in, "&#x%X", (unsigned)cp);
        assert_int_equal(html_charref(in, (size_t)n, 0, u, &ulen), (size_t)n);
        assert_true(ulen <= (size_t)n);
    }
    static const char worst[] = "&nGt;&nLt;&nGt;&nLt;";
    out = decode(worst, sizeof worst - 1, 0, &olen);
    assert_int_equal(olen, 24);
    assert_int_equal(olen, HTML_DECODE_BOUND(sizeof worst - 1));
    assert_memory_equal(out, "\xE2\x89\xAB\xE2\x83\x92\xE2\x89\xAA\xE2\x83\x92", 12);
    free(out);
}

/* ---- the rules ---------------------------------------------------------- */

static void test_named(void **state) {
    (void)state;
    expect_ref("&notit;", 0, 4, "\xC2\xAC");     /* ¬ then "it;" */
    expect_ref("&notin;", 0, 7, "\xE2\x88\x89"); /* ∉ */
    expect_ref("&notin", 0, 4, "\xC2\xAC");      /* notin needs its ';' */
    expect_ref("&noti", 0, 4, "\xC2\xAC");
    expect_ref("&not", 0, 4, "\xC2\xAC");
    expect_ref("&amp;", 0, 5, "&");
    expect_ref("&amp", 0, 4, "&");
    expect_ref("&ampxyz", 0, 4, "&");
    expect_ref("&AMP;", 0, 5, "&");
    expect_ref("&lang;", 0, 6, "\xE2\x9F\xA8");
    expect_ref("&CounterClockwiseContourIntegral;", 0, 33, "\xE2\x88\xB3");
    expect_ref("&NotEqualTilde;", 0, 15, "\xE2\x89\x82\xCC\xB8"); /* two code points */
    expect_ref("&fjlig;", 0, 7, "fj");
    expect_ref("&frac12", 0, 7, "\xC2\xBD");
    expect_ref("&frac12;", 0, 8, "\xC2\xBD");
    NOT_REF("&lang", 0);       /* not legacy */
    NOT_REF("&Amp;", 0);       /* case matters */
    NOT_REF("&xyzzy;", 0);     /* ambiguous ampersand */
    NOT_REF("&", 0);
    NOT_REF("& ", 0);
    NOT_REF("&;", 0);
    NOT_REF("&&amp;", 0);
    NOT_REF("&\xC3\xA9", 0);
    /* attributes */
    NOT_REF("&not=", 1);
    NOT_REF("&noti;", 1);
    NOT_REF("&amp1", 1);
    NOT_REF("&lang=", 1);
    expect_ref("&not=", 0, 4, "\xC2\xAC");
    expect_ref("&not;=", 1, 5, "\xC2\xAC");
    expect_ref("&notin;x", 1, 7, "\xE2\x88\x89");
    expect_ref("&not", 1, 4, "\xC2\xAC");   /* end of input */
    expect_ref("&not&", 1, 4, "\xC2\xAC");
    expect_ref("&not-", 1, 4, "\xC2\xAC");
    expect_ref("&amp;x", 1, 5, "&");
}

static void test_numeric(void **state) {
    (void)state;
    expect_ref("&#65;", 0, 5, "A");
    expect_ref("&#65", 0, 4, "A");
    expect_ref("&#65x", 0, 4, "A");
    expect_ref("&#x41;", 0, 6, "A");
    expect_ref("&#X41;", 0, 6, "A");
    expect_ref("&#x1F600;", 0, 9, "\xF0\x9F\x98\x80");
    expect_ref("&#x1f600", 0, 8, "\xF0\x9F\x98\x80");
    expect_ref("&#65;", 1, 5, "A");
    expect_ref("&#65=", 1, 4, "A"); /* the attribute rule is for names only */
    expect_ref("&#0;", 0, 4, "\xEF\xBF\xBD");
    expect_ref("&#x0", 0, 4, "\xEF\xBF\xBD");
    expect_ref("&#xD800;", 0, 8, "\xEF\xBF\xBD");
    expect_ref("&#xDFFF;", 0, 8, "\xEF\xBF\xBD");
    expect_ref("&#xD7FF;", 0, 8, "\xED\x9F\xBF");
    expect_ref("&#x10FFFF;", 0, 10, "\xF4\x8F\xBF\xBF");
    expect_ref("&#x110000;", 0, 10, "\xEF\xBF\xBD");
    expect_ref("&#1114111;", 0, 10, "\xF4\x8F\xBF\xBF");
    expect_ref("&#1114112;", 0, 10, "\xEF\xBF\xBD");
    expect_ref("&#99999999999999999999999999999999999999999;", 0, 44, "\xEF\xBF\xBD");
    expect_ref("&#xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF41;", 0, 42, "\xEF\xBF\xBD");
    expect_ref("&#4294967361;", 0, 13, "\xEF\xBF\xBD"); /* 2^32 + 65 must not wrap to 'A' */
    expect_ref("&#x100000041;", 0, 13, "\xEF\xBF\xBD");
    expect_ref("&#00000000000000000000000000000065;", 0, 35, "A");
    expect_ref("&#x0000000000000000000000000000000041;", 0, 38, "A");
    expect_ref("&#128;", 0, 6, "\xE2\x82\xAC");  /* € */
    expect_ref("&#x82;", 0, 6, "\xE2\x80\x9A");  /* ‚ */
    expect_ref("&#x9F;", 0, 6, "\xC5\xB8");      /* Ÿ */
    expect_ref("&#x81;", 0, 6, "\xC2\x81");      /* no mapping: stays C1 */
    expect_ref("&#x8D;", 0, 6, "\xC2\x8D");
    expect_ref("&#x8F;", 0, 6, "\xC2\x8F");
    expect_ref("&#x90;", 0, 6, "\xC2\x90");
    expect_ref("&#x9D;", 0, 6, "\xC2\x9D");
    expect_ref("&#xA0;", 0, 6, "\xC2\xA0");
    expect_ref("&#13;", 0, 5, "\r");
    expect_ref("&#1;", 0, 4, "\x01");
    expect_ref("&#x7F;", 0, 6, "\x7F");
    expect_ref("&#xFFFE;", 0, 8, "\xEF\xBF\xBE");
    expect_ref("&#x10FFFE;", 0, 10, "\xF4\x8F\xBF\xBE");
    NOT_REF("&#", 0);
    NOT_REF("&#;", 0);
    NOT_REF("&#x", 0);
    NOT_REF("&#x;", 0);
    NOT_REF("&#xg;", 0);
    NOT_REF("&#X", 0);
    NOT_REF("&# 1;", 0);
    NOT_REF("&#a;", 0);
}

static void test_decode(void **state) {
    static const struct {
        const char *in;
        int attr;
        const char *out;
    } cases[] = {
        {"", 0, ""},
        {"plain text", 0, "plain text"},
        {"a &amp; b &lt;c&gt; &#233;t&eacute; &notit; &notin; &", 0,
         "a & b <c> \xC3\xA9t\xC3\xA9 \xC2\xACit; \xE2\x88\x89 &"},
        {"&&&amp&&", 0, "&&&&&"},
        {"?a=1&not=2&amp=3&copy;", 1, "?a=1&not=2&amp=3\xC2\xA9"},
        {"?a=1&not=2&amp=3&copy;", 0, "?a=1\xC2\xAC=2&=3\xC2\xA9"},
        {"&#x26;amp;", 0, "&amp;"}, /* decoded once, not twice */
        {"x&#", 0, "x&#"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t olen;
        char *out = decode(cases[i].in, strlen(cases[i].in), cases[i].attr, &olen);
        if (olen != strlen(cases[i].out) || memcmp(out, cases[i].out, olen) != 0) {
            fprintf(stderr, "decode '%s' (attr %d): got '%.*s', want '%s'\n", cases[i].in, cases[i].attr,
                    (int)olen, out, cases[i].out);
            fail();
        }
        free(out);
    }
}

/* ---- html5lib ----------------------------------------------------------- */

/* "Preprocessing the input stream": CR LF and lone CR become LF. */
static void normalize_newlines(sp_buf *b) {
    size_t o = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->s[i] == '\r') {
            b->s[o++] = '\n';
            if (i + 1 < b->len && b->s[i + 1] == '\n') i++;
        } else {
            b->s[o++] = b->s[i];
        }
    }
    b->len = o;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f'; }

/* The raw value of attribute `want` in a simple start tag "<name a=v ...>"
 * (v double-, single- or un-quoted). 0 if the tag is not that simple. */
static int raw_attribute(const char *s, size_t n, const char *want, const char **val, size_t *val_len) {
    size_t i = 0;
    if (n < 2 || s[0] != '<' || !is_alpha((unsigned char)s[1])) return 0;
    while (i < n && !is_space(s[i]) && s[i] != '>') i++;
    for (;;) {
        while (i < n && is_space(s[i])) i++;
        if (i >= n || s[i] == '>') return 0;
        size_t ns = i;
        while (i < n && !is_space(s[i]) && s[i] != '=' && s[i] != '>') i++;
        size_t nl = i - ns;
        if (i >= n || s[i] != '=') return 0; /* valueless attributes: not handled */
        i++;
        size_t vs, vl;
        if (i < n && (s[i] == '"' || s[i] == '\'')) {
            char q = s[i++];
            vs = i;
            while (i < n && s[i] != q) i++;
            if (i >= n) return 0;
            vl = i - vs;
            i++;
        } else {
            vs = i;
            while (i < n && !is_space(s[i]) && s[i] != '>') i++;
            vl = i - vs;
        }
        if (nl == strlen(want) && memcmp(s + ns, want, nl) == 0) { /* names are lower case here */
            *val = s + vs;
            *val_len = vl;
            return 1;
        }
    }
}

static int h5_passed, h5_failed, h5_text, h5_attr, h5_skipped;

static void report_failure(const char *file, json_t *t, const char *why, const char *got, size_t got_len,
                           const char *want, size_t want_len) {
    if (h5_failed <= 20)
        fprintf(stderr, "FAIL %s: %s\n  input: %s\n  %s: got '%.*s' (%zu bytes), want '%.*s' (%zu bytes)\n", file,
                json_string_value(json_object_get(t, "description")),
                json_string_value(json_object_get(t, "input")), why, (int)got_len, got, got_len, (int)want_len,
                want, want_len);
}

static void run_case(const char *file, json_t *t) {
    json_t *states = json_object_get(t, "initialStates"), *output = json_object_get(t, "output");
    json_t *in_json = json_object_get(t, "input"), *tok, *start_tag = NULL;
    int dbl = json_is_true(json_object_get(t, "doubleEscaped")), data_state = 0, only_chars = 1, other = 0;
    size_t k;
    sp_buf input = {0}, want = {0}, piece = {0};

    if (!states) data_state = 1;
    json_array_foreach(states, k, tok) if (json_is_string(tok) && strcmp(json_string_value(tok), "Data state") == 0)
        data_state = 1;
    if (!data_state || !json_is_string(in_json) || !json_is_array(output)) {
        h5_skipped++;
        return;
    }
    h5_get_text(&input, in_json, dbl);
    normalize_newlines(&input);
    sp_buf_put(&want, "", 0);
    json_array_foreach(output, k, tok) {
        if (json_is_string(tok) && strcmp(json_string_value(tok), "ParseError") == 0) continue;
        const char *kind = json_is_array(tok) ? json_string_value(json_array_get(tok, 0)) : NULL;
        if (kind && strcmp(kind, "Character") == 0 && json_is_string(json_array_get(tok, 1))) {
            h5_get_text(&piece, json_array_get(tok, 1), dbl);
            sp_buf_put(&want, piece.s, piece.len);
        } else if (kind && strcmp(kind, "StartTag") == 0 && !start_tag &&
                   json_object_size(json_array_get(tok, 2)) > 0) {
            start_tag = tok;
            only_chars = 0;
        } else {
            other = 1;
        }
    }

    if (only_chars && !other) { /* text in the Data state */
        size_t olen;
        char *got = decode(input.s, input.len, 0, &olen);
        h5_text++;
        if (olen == want.len && memcmp(got, want.s, olen) == 0) {
            h5_passed++;
        } else {
            h5_failed++;
            report_failure(file, t, "text", got, olen, want.s, want.len);
        }
        free(got);
    } else if (start_tag && !other && want.len == 0) { /* attribute values */
        json_t *attrs = json_array_get(start_tag, 2), *v;
        const char *name;
        int ok = 1, usable = 1;
        json_object_foreach(attrs, name, v) {
            const char *raw;
            size_t raw_len, olen;
            if (!json_is_string(v) || !raw_attribute(input.s, input.len, name, &raw, &raw_len)) {
                usable = 0;
                break;
            }
            h5_get_text(&want, v, dbl);
            char *got = decode(raw, raw_len, 1, &olen);
            if (olen != want.len || memcmp(got, want.s, olen) != 0) {
                if (ok) report_failure(file, t, name, got, olen, want.s, want.len);
                ok = 0;
            }
            free(got);
        }
        if (!usable) {
            h5_skipped++;
        } else {
            h5_attr++;
            if (ok) h5_passed++;
            else h5_failed++;
        }
    } else {
        h5_skipped++;
    }
    sp_buf_free(&input);
    sp_buf_free(&want);
    sp_buf_free(&piece);
}

static void test_html5lib(void **state) {
    (void)state;
    for (size_t f = 0; f < H5_FILES; f++) {
        json_t *root, *tests, *t;
        size_t i;
        int before = h5_text + h5_attr, skipped_before = h5_skipped;
        if ((tests = h5_load(h5_files[f], &root)) == NULL) fail();
        json_array_foreach(tests, i, t) run_case(h5_files[f], t);
        printf("html5lib %s: %zu cases, %d applicable, %d skipped\n", h5_files[f], json_array_size(tests),
               h5_text + h5_attr - before, h5_skipped - skipped_before);
        json_decref(root);
    }
    printf("html5lib: %d applicable (%d text, %d attribute values), %d skipped\n", h5_text + h5_attr, h5_text,
           h5_attr, h5_skipped);
    assert_int_equal(h5_failed, 0);
    assert_true(h5_text + h5_attr > 4000); /* the fixtures were read, not silently empty */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),   cmocka_unit_test(test_every_name), cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_named),   cmocka_unit_test(test_numeric),    cmocka_unit_test(test_decode),
        cmocka_unit_test(test_html5lib),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    printf("%d passed, %d failed\n", h5_passed, h5_failed);
    return failed;
}
