/* test_dlq_record.c — sp_dlq_record (common/envelope.c): the dead-letter
 * record has exactly the fields schemas/dlq.schema.json requires, with the
 * right types; original_base64 decodes back to the original bytes (also
 * non-UTF-8 and NUL bytes) and original_size matches; Kafka-style input
 * fills topic/partition/offset and leaves line null, stdio-style input
 * (topic NULL) the reverse; a missing or non-UTF-8 key becomes null; a
 * detail cut short by sp_fail_set stays readable; an original larger than
 * the output can take is kept in part (original_truncated) and a key longer
 * than SP_DLQ_MAX_KEY is not copied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "util.h"
#include "version.h"

static int b64val(int c) {
    const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(tbl, c) : NULL;
    return p ? (int)(p - tbl) : -1;
}

/* Strict RFC 4648 decoder; returns a malloc'ed buffer and its length, or NULL. */
static unsigned char *b64decode(const char *s, size_t *outlen) {
    size_t n = strlen(s), o = 0;
    unsigned char *out;
    if (n % 4) return NULL;
    out = malloc(n / 4 * 3 + 1);
    for (size_t i = 0; i < n; i += 4) {
        int a = b64val(s[i]), b = b64val(s[i + 1]);
        int pad3 = s[i + 2] == '=', pad4 = s[i + 3] == '=';
        int c = pad3 ? 0 : b64val(s[i + 2]), d = pad4 ? 0 : b64val(s[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0 || (pad3 && !pad4) || ((pad3 || pad4) && i + 4 != n)) {
            free(out);
            return NULL;
        }
        out[o++] = (unsigned char)(a << 2 | b >> 4);
        if (!pad3) out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
        if (!pad4) out[o++] = (unsigned char)((c & 3) << 6 | d);
    }
    *outlen = o;
    return out;
}

/* RFC 3339 UTC with milliseconds as sp_now_rfc3339 writes it. */
static int looks_like_rfc3339(const char *s) {
    static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (strlen(s) != sizeof pat - 1) return 0;
    for (size_t i = 0; pat[i]; i++)
        if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i]) return 0;
    return 1;
}

/* The checks every record must pass, whatever its input. */
static void check_schema(json_t *rec, const char *stage, const sp_fail *fail,
                         const void *orig, size_t len) {
    static const char *const required[] = {"schema_version", "stage", "reason", "detail", "input",
                                           "original_base64", "original_size", "original_truncated",
                                           "failed_at", "storypipe_version"};
    static const char *const input_keys[] = {"topic", "partition", "offset", "key", "line"};
    json_t *input;
    unsigned char *back;
    size_t backlen = 0;

    assert_non_null(rec);
    assert_true(json_is_object(rec));
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (json_object_get(rec, required[i]) == NULL) fail_msg("field %s is missing", required[i]);
    assert_int_equal(json_object_size(rec), sizeof required / sizeof *required); /* no extras */

    assert_true(json_is_integer(json_object_get(rec, "schema_version")));
    assert_int_equal(json_integer_value(json_object_get(rec, "schema_version")), 1);
    assert_string_equal(json_string_value(json_object_get(rec, "stage")), stage);
    assert_string_equal(json_string_value(json_object_get(rec, "reason")), fail->reason);
    assert_true(json_is_string(json_object_get(rec, "detail")));
    assert_true(looks_like_rfc3339(json_string_value(json_object_get(rec, "failed_at"))));
    assert_string_equal(json_string_value(json_object_get(rec, "storypipe_version")), STORYPIPE_VERSION);

    input = json_object_get(rec, "input");
    assert_true(json_is_object(input));
    for (size_t i = 0; i < sizeof input_keys / sizeof *input_keys; i++)
        if (json_object_get(input, input_keys[i]) == NULL) fail_msg("input.%s is missing", input_keys[i]);
    assert_int_equal(json_object_size(input), sizeof input_keys / sizeof *input_keys);

    assert_true(json_is_integer(json_object_get(rec, "original_size")));
    assert_int_equal(json_integer_value(json_object_get(rec, "original_size")), len);
    assert_true(json_is_string(json_object_get(rec, "original_base64")));
    back = b64decode(json_string_value(json_object_get(rec, "original_base64")), &backlen);
    assert_non_null(back);
    assert_int_equal(backlen, len);
    assert_memory_equal(back, orig, len);
    free(back);
    assert_true(json_is_false(json_object_get(rec, "original_truncated")));

    /* and it serialises (every string in it is valid UTF-8) */
    {
        char *s = json_dumps(rec, JSON_COMPACT);
        assert_non_null(s);
        free(s);
    }
}

static void test_kafka_input(void **state) {
    static const char orig[] = "{\"schema_version\":1,\"t\":\"Caf\xE9\"}\0\xFF\x80tail";
    sp_fail fail;
    sp_input in = {.topic = "news.raw", .partition = 3, .offset = 42, .line = 0};
    json_t *rec, *input;
    (void)state;
    sp_fail_set(&fail, "invalid_utf8", "not valid UTF-8");
    rec = sp_dlq_record("cleaner", &fail, &in, "doc-1", 5, orig, sizeof orig - 1, sizeof orig - 1);
    check_schema(rec, "cleaner", &fail, orig, sizeof orig - 1);
    assert_string_equal(json_string_value(json_object_get(rec, "detail")), "not valid UTF-8");
    input = json_object_get(rec, "input");
    assert_string_equal(json_string_value(json_object_get(input, "topic")), "news.raw");
    assert_int_equal(json_integer_value(json_object_get(input, "partition")), 3);
    assert_int_equal(json_integer_value(json_object_get(input, "offset")), 42);
    assert_string_equal(json_string_value(json_object_get(input, "key")), "doc-1");
    assert_true(json_is_null(json_object_get(input, "line")));
    json_decref(rec);
}

static void test_kafka_offset_zero(void **state) {
    sp_fail fail;
    sp_input in = {.topic = "news.raw", .partition = 0, .offset = 0, .line = 0};
    json_t *rec, *input;
    (void)state;
    sp_fail_set(&fail, "empty", "empty message");
    rec = sp_dlq_record("cleaner", &fail, &in, NULL, 0, "", 0, 0);
    check_schema(rec, "cleaner", &fail, "", 0);
    assert_string_equal(json_string_value(json_object_get(rec, "original_base64")), "");
    input = json_object_get(rec, "input");
    assert_true(json_is_integer(json_object_get(input, "partition")));
    assert_int_equal(json_integer_value(json_object_get(input, "partition")), 0);
    assert_true(json_is_integer(json_object_get(input, "offset")));
    assert_int_equal(json_integer_value(json_object_get(input, "offset")), 0);
    assert_true(json_is_null(json_object_get(input, "key"))); /* no key */
    json_decref(rec);
}

static void test_stdio_input(void **state) {
    static const char orig[] = "not json \x01\x02";
    sp_fail fail;
    sp_input in = {.topic = NULL, .partition = -1, .offset = -1, .line = 7};
    json_t *rec, *input;
    (void)state;
    sp_fail_set(&fail, "invalid_json", "line %d column %d: %s", 1, 1, "'[' or '{' expected near 'not'");
    rec = sp_dlq_record("splitter", &fail, &in, NULL, 0, orig, sizeof orig - 1, sizeof orig - 1);
    check_schema(rec, "splitter", &fail, orig, sizeof orig - 1);
    assert_string_equal(json_string_value(json_object_get(rec, "detail")),
                        "line 1 column 1: '[' or '{' expected near 'not'");
    input = json_object_get(rec, "input");
    assert_true(json_is_null(json_object_get(input, "topic")));
    assert_true(json_is_null(json_object_get(input, "partition")));
    assert_true(json_is_null(json_object_get(input, "offset")));
    assert_true(json_is_null(json_object_get(input, "key")));
    assert_true(json_is_integer(json_object_get(input, "line")));
    assert_int_equal(json_integer_value(json_object_get(input, "line")), 7);
    json_decref(rec);
}

static void test_non_utf8_key_is_null(void **state) {
    static const char key[] = "k\xFF\xFE";
    sp_fail fail;
    sp_input in = {.topic = "news.clean", .partition = 1, .offset = 9, .line = 0};
    json_t *rec;
    (void)state;
    sp_fail_set(&fail, "transform_failed", "rejected by the splitter");
    rec = sp_dlq_record("splitter", &fail, &in, key, sizeof key - 1, "{}", 2, 2);
    check_schema(rec, "splitter", &fail, "{}", 2);
    assert_true(json_is_null(json_object_get(json_object_get(rec, "input"), "key")));
    json_decref(rec);
}

static void test_key_uses_key_len(void **state) {
    sp_fail fail;
    sp_input in = {.topic = "news.clean", .partition = 1, .offset = 9, .line = 0};
    json_t *rec;
    (void)state;
    sp_fail_set(&fail, "transform_failed", "x");
    /* only the first 3 bytes are the key; the rest must not leak in */
    rec = sp_dlq_record("splitter", &fail, &in, "abc\xFF" "def", 3, "{}", 2, 2);
    check_schema(rec, "splitter", &fail, "{}", 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "input"), "key")), "abc");
    json_decref(rec);
}

static void test_large_binary_original(void **state) {
    size_t len = 70001;
    unsigned char *orig = malloc(len);
    sp_fail fail;
    sp_input in = {.topic = "news.raw", .partition = 5, .offset = 123456789012LL, .line = 0};
    json_t *rec;
    (void)state;
    for (size_t i = 0; i < len; i++) orig[i] = (unsigned char)(i * 131 + 7);
    sp_fail_set(&fail, "too_large", "message of %zu bytes exceeds the %zu byte limit", len, (size_t)70000);
    rec = sp_dlq_record("deduper", &fail, &in, NULL, 0, orig, len, len);
    check_schema(rec, "deduper", &fail, orig, len);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "input"), "offset")),
                     123456789012LL);
    json_decref(rec);
    free(orig);
}

static void test_non_utf8_detail_replaced(void **state) {
    sp_fail fail;
    sp_input in = {.topic = NULL, .partition = -1, .offset = -1, .line = 2};
    json_t *rec;
    (void)state;
    sp_fail_set(&fail, "unsupported", "content_type '%s'", "text/\xFF");
    rec = sp_dlq_record("cleaner", &fail, &in, NULL, 0, "x", 1, 1);
    check_schema(rec, "cleaner", &fail, "x", 1);
    assert_string_equal(json_string_value(json_object_get(rec, "detail")), "(detail not UTF-8)");
    json_decref(rec);
}

/* sp_fail_set truncates the detail to 511 bytes; when the cut falls inside
 * a multi-byte character the detail should lose that character only, not
 * all of its text. */
static void test_truncated_detail_stays_readable(void **state) {
    char value[1200];
    sp_fail fail;
    sp_input in = {.topic = NULL, .partition = -1, .offset = -1, .line = 3};
    json_t *rec;
    char detail[sizeof fail.detail];
    (void)state;
    value[0] = '\0';
    for (int i = 0; i < 500; i++) strcat(value, "\xC3\xA9"); /* 1000 bytes of é */
    /* "content_type '" is 14 bytes: the 511-byte cut falls after 248.5 é */
    sp_fail_set(&fail, "unsupported", "content_type '%s'", value);
    rec = sp_dlq_record("cleaner", &fail, &in, NULL, 0, "x", 1, 1);
    check_schema(rec, "cleaner", &fail, "x", 1);
    snprintf(detail, sizeof detail, "%s", json_string_value(json_object_get(rec, "detail")));
    json_decref(rec); /* before the checks: a failure must not also leak */
    if (strncmp(detail, "content_type '\xC3\xA9\xC3\xA9", 18) != 0 || strlen(detail) < 500)
        fail_msg("detail is '%.40s' (%zu bytes), expected the first 500+ bytes of the text",
                 detail, strlen(detail));
}

static void test_truncated_original(void **state) {
    static const char orig[] = "0123456789abcdefghij";
    sp_input in = {.topic = "news.raw", .partition = 1, .offset = 2, .line = 0};
    sp_fail fail;
    char key[SP_DLQ_MAX_KEY + 2];
    json_t *rec;
    unsigned char *back;
    size_t backlen = 0;
    (void)state;
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    sp_fail_set(&fail, "too_large", "big");
    rec = sp_dlq_record("cleaner", &fail, &in, key, sizeof key - 1, orig, 20, 7);
    assert_true(json_is_true(json_object_get(rec, "original_truncated")));
    assert_int_equal(json_integer_value(json_object_get(rec, "original_size")), 20);
    back = b64decode(json_string_value(json_object_get(rec, "original_base64")), &backlen);
    assert_non_null(back);
    assert_int_equal(backlen, 7);
    assert_memory_equal(back, orig, 7);
    free(back);
    assert_true(json_is_null(json_object_get(json_object_get(rec, "input"), "key")));
    json_decref(rec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_original),
        cmocka_unit_test(test_kafka_input),
        cmocka_unit_test(test_kafka_offset_zero),
        cmocka_unit_test(test_stdio_input),
        cmocka_unit_test(test_non_utf8_key_is_null),
        cmocka_unit_test(test_key_uses_key_len),
        cmocka_unit_test(test_large_binary_original),
        cmocka_unit_test(test_non_utf8_detail_replaced),
        cmocka_unit_test(test_truncated_detail_stays_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
