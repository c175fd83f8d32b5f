/* test_ids.c — stable ids (common/ids.c): sp_id_hex writes 16 lowercase hex
 * digits (zero-padded, big-endian digit order); sp_hash64 and sp_id2 are
 * deterministic; sp_id2 changes when either part changes, and the 0-byte
 * separator keeps ("ab","c") apart from ("a","bc"); sp_seen_story_bytes
 * takes the hex back, and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ids.h"
#include "seen.h"

static void assert_id_format(const char *id) {
    assert_int_equal(strlen(id), SP_ID_LEN - 1);
    for (int i = 0; i < SP_ID_LEN - 1; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            fail_msg("'%s': character %d is not a lowercase hex digit", id, i);
}

static void test_id_hex(void **state) {
    char id[SP_ID_LEN];
    (void)state;
    sp_id_hex(0, id);
    assert_string_equal(id, "0000000000000000");
    sp_id_hex(1, id);
    assert_string_equal(id, "0000000000000001");
    sp_id_hex(0xABCDEF, id);
    assert_string_equal(id, "0000000000abcdef");
    sp_id_hex(0x0123456789ABCDEFULL, id);
    assert_string_equal(id, "0123456789abcdef");
    sp_id_hex(UINT64_MAX, id);
    assert_string_equal(id, "ffffffffffffffff");
    sp_id_hex(sp_hash64("x", 1), id);
    assert_id_format(id);
}

static void test_hash64_deterministic(void **state) {
    (void)state;
    assert_true(sp_hash64("hello", 5) == sp_hash64("hello", 5));
    assert_true(sp_hash64("hello", 5) != sp_hash64("hellO", 5));
    assert_true(sp_hash64("hello", 5) != sp_hash64("hello", 4));
    assert_true(sp_hash64("a\0b", 3) != sp_hash64("a\0c", 3)); /* length, not NUL, ends the input */
}

static void test_id2_deterministic(void **state) {
    char a[SP_ID_LEN], b[SP_ID_LEN];
    (void)state;
    sp_id2("https://example.com/a", "Title", a);
    sp_id2("https://example.com/a", "Title", b);
    assert_id_format(a);
    assert_string_equal(a, b);
    sp_id2("", "", a);
    assert_id_format(a);
}

static void test_id2_differs_per_part(void **state) {
    char base[SP_ID_LEN], x[SP_ID_LEN];
    (void)state;
    sp_id2("source-1", "doc-1", base);
    sp_id2("source-2", "doc-1", x);
    assert_string_not_equal(base, x);
    sp_id2("source-1", "doc-2", x);
    assert_string_not_equal(base, x);
    sp_id2("doc-1", "source-1", x); /* order matters */
    assert_string_not_equal(base, x);
}

static void test_id2_separator(void **state) {
    char x[SP_ID_LEN], y[SP_ID_LEN], z[SP_ID_LEN];
    (void)state;
    sp_id2("ab", "c", x);
    sp_id2("a", "bc", y);
    assert_string_not_equal(x, y);
    sp_id2("abc", "", y);
    sp_id2("", "abc", z);
    assert_string_not_equal(x, y);
    assert_string_not_equal(x, z);
    assert_string_not_equal(y, z);
}

static void test_id2_is_hash_of_parts_joined_by_nul(void **state) {
    char x[SP_ID_LEN], y[SP_ID_LEN];
    (void)state;
    /* as documented in ids.h: the id of a "\0" b */
    sp_id2("ab", "c", x);
    sp_id_hex(sp_hash64("ab\0c", 4), y);
    assert_string_equal(x, y);
}

/* sp_seen_story_bytes (common/seen.c) takes back what sp_id_hex writes, and
 * refuses every byte but 0-9 a-f at every position, and other lengths. */
static void test_story_bytes(void **state) {
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char id[SP_ID_LEN];
    uint8_t b[8];
    (void)state;
    for (int k = 0; k < 1000; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        sp_id_hex(x, id);
        assert_int_equal(sp_seen_story_bytes(id, 16, b), 0);
        for (int i = 0; i < 8; i++) assert_int_equal(b[i], (uint8_t)(x >> (56 - 8 * i)));
    }
    sp_id_hex(0x0123456789abcdefull, id);
    for (int pos = 0; pos < 16; pos++)
        for (int c = 0; c < 256; c++) {
            char t[SP_ID_LEN];
            memcpy(t, id, sizeof t);
            t[pos] = (char)c;
            int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if ((sp_seen_story_bytes(t, 16, b) == 0) != ok) fail_msg("byte 0x%02x at %d: %s", c, pos, ok ? "refused" : "taken");
        }
    assert_int_equal(sp_seen_story_bytes(id, 15, b), -1);
    assert_int_equal(sp_seen_story_bytes(id, 17, b), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_hex),
        cmocka_unit_test(test_story_bytes),
        cmocka_unit_test(test_hash64_deterministic),
        cmocka_unit_test(test_id2_deterministic),
        cmocka_unit_test(test_id2_differs_per_part),
        cmocka_unit_test(test_id2_separator),
        cmocka_unit_test(test_id2_is_hash_of_parts_joined_by_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
