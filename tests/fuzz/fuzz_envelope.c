/* fuzz_envelope.c — differential libFuzzer target for the envelope check.
 *
 * sp_envelope_parse (jansson's json_loadb) and sp_envelope_check (the
 * jsonscan scanner, no DOM) must give the same verdict and the same reason
 * code for every input: a disagreement prints both and aborts, which
 * libFuzzer reports as a crash with the input saved as the reproducer. The
 * same property as tests/unit/test_jsonscan.c, coverage-guided, and under
 * ASan + UBSan (leaks included) for both paths. For an object both accept,
 * the raw member walker (sp_json_members) must find jansson's keys, with
 * their types and decoded string values, and the raw story check the same
 * verdict as jansson's (sp_check_story_members vs sp_check_story). The
 * scanner's two paths for strings (AVX2 where the processor has it, SSE2)
 * must give the same verdict and detail. The check notes which strings have
 * escapes and whether the text has a line break: memchr must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "fields.h"
#include "jsonscan.h"
#include "util.h"

/* Above libFuzzer's -max_len, so too_large is never the verdict (both paths
 * share that check anyway). */
#define MAX_BYTES (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void disagree(const char *what, const uint8_t *data, size_t size) {
    fprintf(stderr, "\nfuzz_envelope: %s on %zu bytes '%.*s'\n", what, size, (int)(size > 300 ? 300 : size),
            (const char *)data);
    abort();
}

/* The raw view of an object jansson parsed agrees with jansson's, and the
 * envelope check found the same members as it scanned (`found`). */
static void check_members(json_t *j, const uint8_t *data, size_t size, const sp_members *found) {
    static sp_members m;
    static char *text;
    static size_t cap;
    sp_fail a, b;
    if (sp_json_members((const char *)data, size, &m) != 0) disagree("members of an object not found", data, size);
    if (m.n != json_object_size(j) || found->n != m.n) disagree("member count", data, size);
    for (size_t i = 0; i < m.n; i++) {
        const sp_member *x = &m.v[i], *y = &found->v[i];
        if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0 || x->at != y->at ||
            x->start != y->start || x->end != y->end || x->type != y->type || x->escaped != y->escaped)
            disagree("member found by the check", data, size);
        if (x->escaped != (x->type == 's' && memchr(data + x->start, '\\', x->end - x->start) != NULL))
            disagree("escaped", data, size);
    }
    /* a line break can only be white space between tokens */
    if (found->line_breaks != (memchr(data, '\n', size) != NULL || memchr(data, '\r', size) != NULL))
        disagree("line_breaks", data, size);
    for (size_t i = 0; i < m.n; i++) {
        char *key = strndup(m.v[i].key, m.v[i].key_len);
        json_t *v = json_object_get(j, key);
        if (v == NULL || memchr(m.v[i].key, 0, m.v[i].key_len) || sp_json_type(v) != sp_member_type(&m.v[i])) disagree("member", data, size);
        if (json_is_string(v)) {
            size_t n = sp_json_string_decode((const char *)data, m.v[i].start, m.v[i].end, &text, &cap);
            if (n != json_string_length(v) || memcmp(text, json_string_value(v), n) != 0) disagree("string value", data, size);
        }
        free(key);
    }
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (sp_check_story(j, &a) != sp_check_story_members(&m, &b) || strcmp(a.reason, b.reason) != 0 ||
        strcmp(a.detail, b.detail) != 0)
        disagree("story check", data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static sp_members found;
    sp_fail a, b;
    json_t *j;
    int rb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    j = sp_envelope_parse(data, size, MAX_BYTES, &a);
    rb = sp_envelope_check(data, size, MAX_BYTES, &found, &b);
    if ((j != NULL) != (rb == 0) || strcmp(a.reason, b.reason) != 0) {
        fprintf(stderr, "\nfuzz_envelope: disagreement on %zu bytes '%.*s'\n  jansson: %s (%s)\n  scanner: %s (%s)\n",
                size, (int)(size > 300 ? 300 : size), (const char *)data, j ? "ok" : a.reason, j ? "" : a.detail,
                rb == 0 ? "ok" : b.reason, rb == 0 ? "" : b.detail);
        abort();
    }
    if (j && json_is_object(j)) check_members(j, data, size, &found);
    json_decref(j);
    /* the scanner's SSE2 path for strings says what its AVX2 path said */
    sp_fail c;
    memset(&c, 0, sizeof c);
    sp_no_avx2 = 1;
    int rc = sp_envelope_check(data, size, MAX_BYTES, &found, &c);
    sp_no_avx2 = 0;
    if (rc != rb || strcmp(b.reason, c.reason) != 0 || strcmp(b.detail, c.detail) != 0) {
        fprintf(stderr, "\nfuzz_envelope: the scanner's two paths disagree on %zu bytes '%.*s': %s (%s), SSE2 %s (%s)\n",
                size, (int)(size > 300 ? 300 : size), (const char *)data, rb == 0 ? "ok" : b.reason, b.detail,
                rc == 0 ? "ok" : c.reason, c.detail);
        abort();
    }
    return 0;
}
