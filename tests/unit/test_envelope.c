/* test_envelope.c — sp_envelope_parse (common/envelope.c): the reason code
 * for each kind of bad input (empty, too_large, invalid_utf8, invalid_json,
 * not_object, missing_field, wrong_type, unknown_schema_version), the order
 * of the checks, and that a valid object comes back with its fields.
 * Inputs are copied into exact-size heap buffers (no NUL terminator) so
 * that ASan catches a read past `len`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"

#define MAX (16u << 20)

/* Parse `len` bytes; returns the object (caller decrefs) and fills *fail. */
static json_t *parse_n(const char *s, size_t len, size_t max, sp_fail *fail) {
    char *buf = malloc(len ? len : 1);
    json_t *j;
    assert_non_null(buf);
    memcpy(buf, s, len);
    memset(fail, 0, sizeof *fail);
    j = sp_envelope_parse(buf, len, max, fail);
    free(buf);
    return j;
}

static void expect_reason_n(const char *s, size_t len, size_t max, const char *reason) {
    sp_fail fail;
    json_t *j = parse_n(s, len, max, &fail);
    if (j) {
        json_decref(j);
        fail_msg("input '%.*s': expected %s, but it was accepted", (int)len, s, reason);
    }
    if (strcmp(fail.reason, reason) != 0)
        fail_msg("input '%.*s': reason %s (%s), expected %s", (int)len, s, fail.reason, fail.detail, reason);
    assert_true(fail.detail[0] != '\0');
}
#define EXPECT(lit, reason) expect_reason_n(lit, sizeof(lit) - 1, MAX, reason)

static void test_empty(void **state) {
    (void)state;
    expect_reason_n("", 0, MAX, "empty");
    expect_reason_n("", 0, 0, "empty"); /* empty wins over too_large */
}

static void test_too_large(void **state) {
    const char *m = "{\"schema_version\":1}"; /* 20 bytes */
    sp_fail fail;
    json_t *j;
    (void)state;
    expect_reason_n(m, strlen(m), strlen(m) - 1, "too_large");
    /* checked before UTF-8 and JSON */
    expect_reason_n("\xFF\xFF\xFF", 3, 2, "too_large");
    /* exactly max bytes is fine */
    j = parse_n(m, strlen(m), strlen(m), &fail);
    assert_non_null(j);
    json_decref(j);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    EXPECT("{\"schema_version\":1,\"t\":\"Caf\xE9\"}", "invalid_utf8");
    EXPECT("\xFF", "invalid_utf8");
    EXPECT("{\"schema_version\":1,\"t\":\"\xED\xA0\x80\"}", "invalid_utf8");
    EXPECT("{\"schema_version\":1,\"t\":\"\xC0\x80\"}", "invalid_utf8");
    /* a bad byte outside any string is still invalid_utf8, not invalid_json */
    EXPECT("{\"schema_version\":1}\xC3", "invalid_utf8");
}

static void test_nul_byte(void **state) {
    static const char m[] = "{\"schema_version\":1,\"t\":\"a\0b\"}";
    static const char tail[] = "{\"schema_version\":1}\0";
    (void)state;
    expect_reason_n(m, sizeof m - 1, MAX, "invalid_utf8");
    expect_reason_n(tail, sizeof tail - 1, MAX, "invalid_utf8");
    expect_reason_n("\0", 1, MAX, "invalid_utf8");
}

static void test_invalid_json(void **state) {
    (void)state;
    EXPECT("{\"schema_version\":1", "invalid_json");            /* truncated */
    EXPECT("{\"schema_version\":", "invalid_json");
    EXPECT("{", "invalid_json");
    EXPECT("{\"schema_version\":1} x", "invalid_json");         /* trailing garbage */
    EXPECT("{\"schema_version\":1}{}", "invalid_json");         /* two values */
    EXPECT("{\"schema_version\":1,\"schema_version\":1}", "invalid_json"); /* duplicate key */
    EXPECT("{\"schema_version\":1,\"a\":1,\"a\":2}", "invalid_json");
    EXPECT("{\"schema_version\":1,}", "invalid_json");          /* trailing comma */
    EXPECT("{'schema_version':1}", "invalid_json");
    EXPECT("{\"schema_version\":1,\"t\":\"a\\u0000b\"}", "invalid_json"); /* \u0000 escape */
    EXPECT("   ", "invalid_json");                              /* white space only */
    EXPECT("garbage", "invalid_json");
}

static void test_trailing_whitespace_ok(void **state) {
    static const char m[] = " {\"schema_version\":1}\r\n";
    sp_fail fail;
    json_t *j;
    (void)state;
    j = parse_n(m, sizeof m - 1, MAX, &fail);
    assert_non_null(j);
    json_decref(j);
}

static void test_not_object_array(void **state) {
    (void)state;
    EXPECT("[]", "not_object");
    EXPECT("[{\"schema_version\":1}]", "not_object");
}

/* RFC 8259 allows any value at the top level: a scalar is valid JSON that
 * is not an object, so its reason must be not_object, as for an array. */
static void test_not_object_scalars(void **state) {
    (void)state;
    EXPECT("1", "not_object");
    EXPECT("\"x\"", "not_object");
    EXPECT("null", "not_object");
    EXPECT("true", "not_object");
}

static void test_missing_field(void **state) {
    (void)state;
    EXPECT("{}", "missing_field");
    EXPECT("{\"Schema_Version\":1}", "missing_field");
    EXPECT("{\"data\":{\"schema_version\":1}}", "missing_field");
}

static void test_wrong_type(void **state) {
    (void)state;
    EXPECT("{\"schema_version\":\"1\"}", "wrong_type");
    EXPECT("{\"schema_version\":1.0}", "wrong_type"); /* jansson: a real */
    EXPECT("{\"schema_version\":1e0}", "wrong_type");
    EXPECT("{\"schema_version\":true}", "wrong_type");
    EXPECT("{\"schema_version\":[1]}", "wrong_type");
    EXPECT("{\"schema_version\":{}}", "wrong_type");
}

static void test_unknown_schema_version(void **state) {
    (void)state;
    EXPECT("{\"schema_version\":2}", "unknown_schema_version");
    EXPECT("{\"schema_version\":0}", "unknown_schema_version");
    EXPECT("{\"schema_version\":-1}", "unknown_schema_version");
    EXPECT("{\"schema_version\":9223372036854775807}", "unknown_schema_version");
}

static void test_valid(void **state) {
    static const char m[] =
        "{\"schema_version\":1,\"title\":\"Caf\xC3\xA9 \xF0\x9F\x98\x80\",\"n\":42,\"tags\":[\"a\",\"b\"]}";
    sp_fail fail;
    json_t *j;
    (void)state;
    j = parse_n(m, sizeof m - 1, MAX, &fail);
    assert_non_null(j);
    assert_true(json_is_object(j));
    assert_int_equal(json_object_size(j), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "schema_version")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "Caf\xC3\xA9 \xF0\x9F\x98\x80");
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 42);
    assert_int_equal(json_array_size(json_object_get(j, "tags")), 2);
    json_decref(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_trailing_whitespace_ok),
        cmocka_unit_test(test_not_object_array),
        cmocka_unit_test(test_not_object_scalars),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_unknown_schema_version),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
