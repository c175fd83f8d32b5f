/* jsonscan.h — validate JSON without building it.
 *
 * The envelope check of stages that forward bytes (a raw transform) must
 * not pay for a DOM it does not use: this scanner accepts exactly what
 * jansson's json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) accepts
 * (strict RFC 8259; no \u0000; paired surrogates; duplicate keys in any
 * object rejected; integers within int64; finite reals; nesting up to 2048)
 * and reports the top-level object's schema_version. The input must already
 * be valid UTF-8. A differential test keeps the two in agreement. */
#ifndef SP_JSONSCAN_H
#define SP_JSONSCAN_H

#include <stddef.h>

typedef enum {
    SP_SV_MISSING = 0, /* no schema_version member (or not an object) */
    SP_SV_INTEGER,     /* an integer: see sv_value */
    SP_SV_OTHER,       /* present with another type */
} sp_sv_kind;

typedef struct sp_scan {
    int is_object;      /* the top-level value is an object */
    sp_sv_kind sv_kind;
    long long sv_value;
    size_t err_pos;     /* on failure: byte offset of the error */
    const char *err;    /* on failure: what is wrong */
} sp_scan;

/* 0 when buf[0..len) is one JSON value (surrounded by white space only),
 * else -1 with err/err_pos set. */
int sp_json_scan(const char *buf, size_t len, sp_scan *r);

#endif
