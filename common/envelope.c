/* envelope.c — input checks and dead-letter records (see envelope.h). */
#include "envelope.h"

#include <string.h>

#include "jsonscan.h"
#include "util.h"
#include "version.h"

/* The checks before any JSON is read: size ... */
static int check_size(size_t len, size_t max_bytes, sp_fail *fail) {
    if (len == 0) {
        sp_fail_set(fail, "empty", "empty message");
        return -1;
    }
    if (len > max_bytes) {
        sp_fail_set(fail, "too_large", "message of %zu bytes exceeds the %zu byte limit", len, max_bytes);
        return -1;
    }
    return 0;
}

/* ... and encoding. */
static int check_encoding(const void *buf, size_t len, sp_fail *fail) {
    const char *nul;
    if ((nul = memchr(buf, '\0', len)) != NULL) {
        sp_fail_set(fail, "invalid_utf8", "NUL byte at %zu", (size_t)(nul - (const char *)buf));
        return -1;
    }
    if (!sp_utf8_valid(buf, len)) {
        sp_fail_set(fail, "invalid_utf8", "not valid UTF-8");
        return -1;
    }
    return 0;
}

/* The checks after the JSON is read: an object with schema_version 1. */
static int check_top(int is_object, sp_sv_kind sv, long long value, sp_fail *fail) {
    if (!is_object) {
        sp_fail_set(fail, "not_object", "top-level JSON value is not an object");
    } else if (sv == SP_SV_MISSING) {
        sp_fail_set(fail, "missing_field", "schema_version is missing");
    } else if (sv != SP_SV_INTEGER) {
        sp_fail_set(fail, "wrong_type", "schema_version is not an integer");
    } else if (value != SP_SCHEMA_VERSION) {
        sp_fail_set(fail, "unknown_schema_version", "schema_version %lld is not %d", value, SP_SCHEMA_VERSION);
    } else {
        return 0;
    }
    return -1;
}

json_t *sp_envelope_parse(const void *buf, size_t len, size_t max_bytes, sp_fail *fail) {
    json_error_t err;
    json_t *msg, *ver;
    sp_sv_kind sv;

    if (check_size(len, max_bytes, fail) || check_encoding(buf, len, fail)) return NULL;
    msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (msg == NULL) {
        sp_fail_set(fail, "invalid_json", "line %d column %d: %s", err.line, err.column, err.text);
        return NULL;
    }
    ver = json_object_get(msg, "schema_version");
    sv = ver == NULL ? SP_SV_MISSING : json_is_integer(ver) ? SP_SV_INTEGER : SP_SV_OTHER;
    if (check_top(json_is_object(msg), sv, ver ? (long long)json_integer_value(ver) : 0, fail)) {
        json_decref(msg);
        return NULL;
    }
    return msg;
}

int sp_envelope_check(const void *buf, size_t len, size_t max_bytes, sp_members *members, sp_fail *fail) {
    sp_scan scan;
    if (members) members->n = 0;
    if (check_size(len, max_bytes, fail)) return -1;
    /* a message the scanner accepts is valid UTF-8 without NUL: the
     * encoding is looked at on its own only when it does not, so that
     * the reason is the same as sp_envelope_parse() gives */
    if (sp_json_scan_members(buf, len, &scan, members) != 0) {
        if (check_encoding(buf, len, fail)) return -1;
        sp_fail_set(fail, "invalid_json", "byte %zu: %s", scan.err_pos, scan.err);
        return -1;
    }
    if (check_top(scan.is_object, scan.sv_kind, scan.sv_value, fail) != 0) {
        if (members) members->n = 0;
        return -1;
    }
    return 0;
}

json_t *sp_dlq_record(const char *stage, const sp_fail *fail, const sp_input *in,
                      const void *key, size_t key_len, const void *orig, size_t len, size_t keep) {
    char ts[40];
    char *b64 = sp_base64_encode(orig, keep < len ? keep : len);
    json_t *input, *rec;
    json_t *jkey = key && key_len <= SP_DLQ_MAX_KEY && sp_utf8_valid(key, key_len) ? json_stringn(key, key_len)
                                                                                   : json_null();

    sp_now_rfc3339(ts, sizeof ts);
    input = json_pack("{s:o, s:o, s:o, s:o, s:o}",
                      "topic", in->topic ? json_string(in->topic) : json_null(),
                      "partition", in->topic ? json_integer(in->partition) : json_null(),
                      "offset", in->topic ? json_integer(in->offset) : json_null(),
                      "key", jkey,
                      "line", in->line > 0 ? json_integer(in->line) : json_null());
    rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:s, s:I, s:b, s:s, s:s}",
                    "schema_version", SP_SCHEMA_VERSION, "stage", stage, "reason", fail->reason,
                    "detail", sp_utf8_valid(fail->detail, strlen(fail->detail)) ? fail->detail : "(detail not UTF-8)",
                    "input", input, "original_base64", b64, "original_size", (json_int_t)len,
                    "original_truncated", keep < len, "failed_at", ts, "storypipe_version", STORYPIPE_VERSION);
    free(b64);
    return rec;
}
