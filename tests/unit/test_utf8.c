/* test_utf8.c — sp_utf8_valid (common/util.c): accepts well-formed UTF-8 of
 * every length (1 to 4 bytes, incl. the boundary code points) and rejects
 * truncated sequences, overlong forms, UTF-16 surrogates, code points above
 * U+10FFFF, the bytes C0/C1/F5..FF and lone continuation bytes. Every input
 * is copied into an exact-size heap buffer so that ASan catches a read past
 * `len`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* sp_utf8_valid on exactly `len` heap bytes. */
static int valid(const char *s, size_t len) {
    char *buf = malloc(len ? len : 1);
    int r;
    assert_non_null(buf);
    memcpy(buf, s, len);
    r = sp_utf8_valid(buf, len);
    free(buf);
    return r;
}
#define V(lit) valid(lit, sizeof(lit) - 1)

static void test_empty_and_ascii(void **state) {
    char all[128];
    (void)state;
    assert_int_equal(valid("", 0), 1);
    assert_int_equal(V("hello, world"), 1);
    for (int i = 0; i < 128; i++) all[i] = (char)i; /* includes NUL: valid UTF-8 */
    assert_int_equal(valid(all, sizeof all), 1);
}

static void test_two_byte(void **state) {
    (void)state;
    assert_int_equal(V("caf\xC3\xA9"), 1);       /* é U+00E9 */
    assert_int_equal(V("\xC2\x80"), 1);          /* U+0080, smallest 2-byte */
    assert_int_equal(V("\xDF\xBF"), 1);          /* U+07FF, largest 2-byte */
}

static void test_three_byte(void **state) {
    (void)state;
    assert_int_equal(V("\xE2\x82\xAC"), 1);      /* € U+20AC */
    assert_int_equal(V("\xE0\xA0\x80"), 1);      /* U+0800, smallest 3-byte */
    assert_int_equal(V("\xED\x9F\xBF"), 1);      /* U+D7FF, just below surrogates */
    assert_int_equal(V("\xEE\x80\x80"), 1);      /* U+E000, just above surrogates */
    assert_int_equal(V("\xEF\xBF\xBF"), 1);      /* U+FFFF */
}

static void test_four_byte(void **state) {
    (void)state;
    assert_int_equal(V("\xF0\x9F\x98\x80"), 1);  /* 😀 U+1F600 */
    assert_int_equal(V("\xF0\x90\x80\x80"), 1);  /* U+10000, smallest 4-byte */
    assert_int_equal(V("\xF4\x8F\xBF\xBF"), 1);  /* U+10FFFF, largest code point */
    assert_int_equal(V("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z"), 1); /* mixed */
}

static void test_truncated_at_end(void **state) {
    (void)state;
    assert_int_equal(V("\xC3"), 0);
    assert_int_equal(V("abc\xC3"), 0);
    assert_int_equal(V("\xE2\x82"), 0);
    assert_int_equal(V("\xE2"), 0);
    assert_int_equal(V("\xF0\x9F\x98"), 0);
    assert_int_equal(V("\xF0\x9F"), 0);
    assert_int_equal(V("\xF0"), 0);
    /* `len` cuts a valid sequence short: must not look past it */
    assert_int_equal(valid("\xC3\xA9", 1), 0);
    assert_int_equal(valid("\xE2\x82\xAC", 2), 0);
    assert_int_equal(valid("\xF0\x9F\x98\x80", 3), 0);
}

static void test_truncated_in_the_middle(void **state) {
    (void)state;
    assert_int_equal(V("\xC3" "A"), 0);
    assert_int_equal(V("\xE2\x82" "A"), 0);
    assert_int_equal(V("\xF0\x9F\x98" "A"), 0);
    assert_int_equal(V("\xE2" "\xC3\xA9"), 0); /* a new lead byte where a continuation is due */
}

static void test_overlongs(void **state) {
    (void)state;
    assert_int_equal(V("\xC0\x80"), 0);          /* NUL in 2 bytes */
    assert_int_equal(V("\xC1\xBF"), 0);          /* U+007F in 2 bytes */
    assert_int_equal(V("\xC0\xAF"), 0);          /* '/' in 2 bytes */
    assert_int_equal(V("\xE0\x80\x80"), 0);      /* NUL in 3 bytes */
    assert_int_equal(V("\xE0\x9F\xBF"), 0);      /* U+07FF in 3 bytes */
    assert_int_equal(V("\xF0\x80\x80\x80"), 0);  /* NUL in 4 bytes */
    assert_int_equal(V("\xF0\x8F\xBF\xBF"), 0);  /* U+FFFF in 4 bytes */
}

static void test_surrogates(void **state) {
    (void)state;
    assert_int_equal(V("\xED\xA0\x80"), 0);      /* U+D800 */
    assert_int_equal(V("\xED\xBF\xBF"), 0);      /* U+DFFF */
    assert_int_equal(V("\xED\xA0\xBD\xED\xB8\x80"), 0); /* CESU-8 pair for U+1F600 */
}

static void test_above_max(void **state) {
    (void)state;
    assert_int_equal(V("\xF4\x90\x80\x80"), 0);  /* U+110000 */
    assert_int_equal(V("\xF4\xBF\xBF\xBF"), 0);
}

static void test_invalid_lead_bytes(void **state) {
    char b[4];
    (void)state;
    for (int c = 0xF5; c <= 0xFF; c++) {
        b[0] = (char)c; b[1] = (char)0x80; b[2] = (char)0x80; b[3] = (char)0x80;
        assert_int_equal(valid(b, 1), 0);
        assert_int_equal(valid(b, 4), 0);
    }
    assert_int_equal(V("\xC0"), 0);
    assert_int_equal(V("\xC1"), 0);
    assert_int_equal(V("\xF8\x88\x80\x80\x80"), 0); /* old 5-byte form */
    assert_int_equal(V("\xFC\x84\x80\x80\x80\x80"), 0); /* old 6-byte form */
}

static void test_lone_continuation_bytes(void **state) {
    char b[1];
    (void)state;
    for (int c = 0x80; c <= 0xBF; c++) {
        b[0] = (char)c;
        assert_int_equal(valid(b, 1), 0);
    }
    assert_int_equal(V("abc\x80"), 0);
    assert_int_equal(V("\xC3\xA9\xA9"), 0); /* one continuation too many */
    assert_int_equal(V("Caf\xE9"), 0);      /* Latin-1 é */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_ascii),
        cmocka_unit_test(test_two_byte),
        cmocka_unit_test(test_three_byte),
        cmocka_unit_test(test_four_byte),
        cmocka_unit_test(test_truncated_at_end),
        cmocka_unit_test(test_truncated_in_the_middle),
        cmocka_unit_test(test_overlongs),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_above_max),
        cmocka_unit_test(test_invalid_lead_bytes),
        cmocka_unit_test(test_lone_continuation_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
