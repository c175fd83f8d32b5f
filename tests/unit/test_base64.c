/* test_base64.c — sp_base64_encode (common/util.c): the RFC 4648 section 10
 * test vectors, binary input including 0x00 and 0xFF, all 256 byte values
 * (checked by decoding back), and the output length 4*ceil(n/3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void check(const void *in, size_t len, const char *expect) {
    char *out = sp_base64_encode(in, len);
    assert_non_null(out);
    assert_string_equal(out, expect);
    free(out);
}

static int b64val(int c) {
    const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(tbl, c) : NULL;
    return p ? (int)(p - tbl) : -1;
}

/* A strict decoder for the round trip; returns the decoded length or -1. */
static long decode(const char *s, unsigned char *out) {
    size_t n = strlen(s);
    long o = 0;
    if (n % 4) return -1;
    for (size_t i = 0; i < n; i += 4) {
        int a = b64val(s[i]), b = b64val(s[i + 1]);
        int c = s[i + 2] == '=' ? 0 : b64val(s[i + 2]);
        int d = s[i + 3] == '=' ? 0 : b64val(s[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0) return -1;
        out[o++] = (unsigned char)(a << 2 | b >> 4);
        if (s[i + 2] != '=') out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
        if (s[i + 3] != '=') out[o++] = (unsigned char)((c & 3) << 6 | d);
    }
    return o;
}

static void test_rfc4648_vectors(void **state) {
    (void)state;
    check("", 0, "");
    check("f", 1, "Zg==");
    check("fo", 2, "Zm8=");
    check("foo", 3, "Zm9v");
    check("foob", 4, "Zm9vYg==");
    check("fooba", 5, "Zm9vYmE=");
    check("foobar", 6, "Zm9vYmFy");
}

static void test_binary_bytes(void **state) {
    (void)state;
    check("\x00", 1, "AA==");
    check("\x00\x00", 2, "AAA=");
    check("\x00\x00\x00", 3, "AAAA");
    check("\xFF", 1, "/w==");
    check("\xFF\xFF", 2, "//8=");
    check("\xFF\xFF\xFF", 3, "////");
    check("\x00\xFF\x00\xFF", 4, "AP8A/w==");
    check("\xFB\xEF\xBE", 3, "++++");      /* the two non-alphanumeric digits */
    check("\xFB\xFF", 2, "+/8=");
    check("a\x00" "b", 3, "YQBi");          /* a NUL inside does not end the input */
}

static void test_all_bytes_round_trip(void **state) {
    unsigned char in[256], back[256];
    (void)state;
    for (int i = 0; i < 256; i++) in[i] = (unsigned char)i;
    for (size_t len = 0; len <= sizeof in; len++) {
        char *out = sp_base64_encode(in + (256 - len), len);
        assert_int_equal(strlen(out), 4 * ((len + 2) / 3));
        assert_int_equal(decode(out, back), (long)len);
        assert_memory_equal(back, in + (256 - len), len);
        free(out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_binary_bytes),
        cmocka_unit_test(test_all_bytes_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
