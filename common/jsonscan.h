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
 * which also makes it valid UTF-8 without NUL bytes (checked in strings;
 * anything else is ASCII by the grammar), else -1 with err/err_pos set. */
int sp_json_scan(const char *buf, size_t len, sp_scan *r);

/* Reading a message sp_json_scan() accepted, without a DOM: its top-level
 * members as offsets into the bytes, and string values decoded on demand.
 * These trust the input to be valid (they do not check it again); on other
 * input they never read outside buf, but what they find is unspecified. */

/* One top-level member of an object, as offsets into its message. */
typedef struct sp_member {
    const char *key;   /* the decoded key (not NUL-terminated) */
    size_t key_len;
    size_t at;         /* offset of the key's opening quote */
    size_t start, end; /* the value's bytes: buf[start..end) (a string's quotes included) */
    char type;         /* 's' string, 'i' integer, 'r' real, 'o' object, 'a' array, 'b' true/false, 'n' null */
    char escaped;      /* a string with an escape: its bytes are not its text (sp_json_string_decode) */
} sp_member;

typedef struct sp_members {
    sp_member *v;
    size_t n, cap;
    /* sp_json_scan_members() only (else 0): the text has a line break, \n
     * or \r, which JSON allows only as white space between tokens (a
     * string holds none unescaped): a stage writing it out on one line
     * knows whether it must compact it */
    int line_breaks;
    /* private: storage for decoded keys that had escapes */
    char *keys;
    size_t keys_len, keys_cap;
} sp_members;

/* sp_json_scan(), and the top-level members of the object it accepts into
 * m (reset first; 0 members when it fails or the value is not an object),
 * as sp_json_members() would give them: a stage that validates a message
 * and then reads it walks it once, not twice. */
int sp_json_scan_members(const char *buf, size_t len, sp_scan *r, sp_members *m);

/* The top-level members of buf[0..len), an object sp_json_scan() accepted,
 * into m (reused across calls: it is reset, not freed; start from a zeroed
 * sp_members). 0, or -1 (with no members) when the value is not an object.
 * Keys without escapes point into buf; keys with escapes are decoded into
 * m's own storage. Pointers stay valid until the next call with m, or
 * sp_members_free(m). */
int sp_json_members(const char *buf, size_t len, sp_members *m);
void sp_members_free(sp_members *m);
/* The member named `key` (NUL-terminated), or NULL. */
const sp_member *sp_members_get(const sp_members *m, const char *key);
/* The same, looking first at member *next and on from there (then from the
 * start), and setting *next just past the member found: looking up names in
 * the order the message has them (a schema's order, most often) compares
 * one key each. Start *next at 0. In a message with duplicate keys (which
 * sp_json_scan() refuses) which of them it finds depends on *next. */
const sp_member *sp_members_next(const sp_members *m, const char *key, size_t *next);
/* The decoded bytes of the string value buf[start..end) (as sp_member gives
 * it, quotes included) into *out, grown as needed (*cap its size); returns
 * the decoded length. *out is NUL-terminated. */
size_t sp_json_string_decode(const char *buf, size_t start, size_t end, char **out, size_t *cap);

/* Remove the white space outside strings from buf[0..len), valid JSON, in
 * place (a message copied from pretty-printed input stays one line).
 * Returns the new length. */
size_t sp_json_compact(char *buf, size_t len);

#endif
