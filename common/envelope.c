/* envelope.c — input checks and dead-letter records (see envelope.h). */
#include "envelope.h"

#include <string.h>

#include "util.h"
#include "version.h"

json_t *sp_envelope_parse(const void *buf, size_t len, size_t max_bytes, sp_fail *fail) {
    json_error_t err;
    json_t *msg, *ver;
    size_t i;

    if (len == 0) {
        sp_fail_set(fail, "empty", "empty message");
        return NULL;
    }
    if (len > max_bytes) {
        sp_fail_set(fail, "too_large", "message of %zu bytes exceeds the %zu byte limit", len, max_bytes);
        return NULL;
    }
    for (i = 0; i < len && ((const char *)buf)[i] != '\0'; i++)
        ;
    if (i < len || !sp_utf8_valid(buf, len)) {
        sp_fail_set(fail, "invalid_utf8", i < len ? "NUL byte at %zu" : "not valid UTF-8", i);
        return NULL;
    }
    msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (msg == NULL) {
        sp_fail_set(fail, "invalid_json", "line %d column %d: %s", err.line, err.column, err.text);
        return NULL;
    }
    if (!json_is_object(msg)) {
        sp_fail_set(fail, "not_object", "top-level JSON value is not an object");
        json_decref(msg);
        return NULL;
    }
    ver = json_object_get(msg, "schema_version");
    if (ver == NULL) {
        sp_fail_set(fail, "missing_field", "schema_version is missing");
    } else if (!json_is_integer(ver)) {
        sp_fail_set(fail, "wrong_type", "schema_version is not an integer");
    } else if (json_integer_value(ver) != SP_SCHEMA_VERSION) {
        sp_fail_set(fail, "unknown_schema_version", "schema_version %lld is not %d",
                    (long long)json_integer_value(ver), SP_SCHEMA_VERSION);
    } else {
        return msg;
    }
    json_decref(msg);
    return NULL;
}

json_t *sp_dlq_record(const char *stage, const sp_fail *fail, const sp_input *in,
                      const void *key, size_t key_len, const void *orig, size_t len) {
    char ts[40];
    char *b64 = sp_base64_encode(orig, len);
    json_t *input, *rec;
    json_t *jkey = key && sp_utf8_valid(key, key_len) ? json_stringn(key, key_len) : json_null();

    sp_now_rfc3339(ts, sizeof ts);
    input = json_pack("{s:o, s:o, s:o, s:o, s:o}",
                      "topic", in->topic ? json_string(in->topic) : json_null(),
                      "partition", in->topic ? json_integer(in->partition) : json_null(),
                      "offset", in->topic ? json_integer(in->offset) : json_null(),
                      "key", jkey,
                      "line", in->line > 0 ? json_integer(in->line) : json_null());
    rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:s, s:I, s:s, s:s}",
                    "schema_version", SP_SCHEMA_VERSION, "stage", stage, "reason", fail->reason,
                    "detail", sp_utf8_valid(fail->detail, strlen(fail->detail)) ? fail->detail : "(detail not UTF-8)",
                    "input", input, "original_base64", b64, "original_size", (json_int_t)len,
                    "failed_at", ts, "storypipe_version", STORYPIPE_VERSION);
    free(b64);
    return rec;
}
