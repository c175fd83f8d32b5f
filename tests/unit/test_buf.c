/* test_buf.c — sp_buf (common/buf.c): puts of every size against a plain
 * reference copy, the NUL after every put, printf that fits and printf that
 * has to grow the buffer first, bytes with NULs inside, take and free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

/* 3000 puts of 0 to 199 bytes each: the same bytes as a reference built
 * with one big array, and a NUL after them at every step. */
static void test_puts_match_reference(void **state) {
    (void)state;
    sp_buf b = {0};
    size_t ref_len = 0, ref_cap = 3000 * 200;
    char *ref = malloc(ref_cap), piece[200];
    unsigned x = 12345;
    for (int i = 0; i < 3000; i++) {
        size_t n = (x = x * 1103515245u + 12345u) >> 16 & 0xFF;
        n %= sizeof piece;
        for (size_t k = 0; k < n; k++) piece[k] = (char)((x >> 8) + k);
        sp_buf_put(&b, piece, n);
        memcpy(ref + ref_len, piece, n);
        ref_len += n;
        assert_int_equal(b.len, ref_len);
        assert_true(b.cap > b.len);
        assert_int_equal(b.s[b.len], '\0');
    }
    assert_memory_equal(b.s, ref, ref_len);
    free(ref);
    sp_buf_free(&b);
    assert_null(b.s);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

/* A put of nothing on an empty buffer still gives a C string. */
static void test_empty(void **state) {
    (void)state;
    sp_buf b = {0};
    sp_buf_put(&b, NULL, 0);
    assert_non_null(b.s);
    assert_string_equal(b.s, "");
    sp_buf_free(&b);
    char *s = sp_buf_take(&b); /* nothing was ever put */
    assert_string_equal(s, "");
    free(s);
}

/* NUL bytes inside are bytes like any other. */
static void test_binary(void **state) {
    (void)state;
    sp_buf b = {0};
    sp_buf_put(&b, "a\0b", 3);
    sp_buf_put(&b, "\0", 1);
    sp_buf_puts(&b, "c");
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.s, "a\0b\0c", 6);
    sp_buf_free(&b);
}

static void test_printf(void **state) {
    (void)state;
    sp_buf b = {0};
    sp_buf_printf(&b, "%s=%d", "x", 42);
    assert_string_equal(b.s, "x=42");
    /* longer than all the room there is: the buffer grows, then the text
     * is written whole */
    char big[5000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    size_t cap = b.cap;
    assert_true(cap < sizeof big);
    sp_buf_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 4 + 2 + sizeof big - 1);
    assert_int_equal(b.s[4], '[');
    assert_int_equal(b.s[b.len - 1], ']');
    assert_int_equal(strspn(b.s + 5, "y"), sizeof big - 1);
    assert_int_equal(b.s[b.len], '\0');
    /* what fits exactly: the NUL is the last byte of the room */
    sp_buf_free(&b);
    sp_buf_room(&b, 0);
    size_t room = b.cap - 1;
    char fill[256];
    assert_true(room < sizeof fill);
    memset(fill, 'z', room);
    fill[room] = '\0';
    cap = b.cap;
    sp_buf_printf(&b, "%s", fill);
    assert_int_equal(b.cap, cap);
    assert_int_equal(b.len, room);
    assert_string_equal(b.s, fill);
    sp_buf_free(&b);
}

/* take hands the bytes over and leaves an empty buffer to use again. */
static void test_take(void **state) {
    (void)state;
    sp_buf b = {0};
    sp_buf_puts(&b, "first");
    char *s = sp_buf_take(&b);
    assert_string_equal(s, "first");
    assert_null(b.s);
    assert_int_equal(b.len, 0);
    sp_buf_puts(&b, "second");
    assert_string_equal(b.s, "second");
    free(s);
    sp_buf_free(&b);
}

/* room: where the next bytes go, and at least that many of them. */
static void test_room(void **state) {
    (void)state;
    sp_buf b = {0};
    sp_buf_puts(&b, "ab");
    char *at = sp_buf_room(&b, 1000);
    assert_ptr_equal(at, b.s + 2);
    assert_true(b.cap >= 2 + 1000 + 1);
    memcpy(at, "cd", 2);
    b.len += 2;
    b.s[b.len] = '\0';
    assert_string_equal(b.s, "abcd");
    sp_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_puts_match_reference), cmocka_unit_test(test_empty), cmocka_unit_test(test_binary),
        cmocka_unit_test(test_printf),  cmocka_unit_test(test_take),  cmocka_unit_test(test_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
