/* jsonscan.c — validate JSON without building it (see jsonscan.h).
 *
 * Recursive descent over the bytes. Duplicate keys are found with one hash
 * set per message holding a seeded XXH3 of (object number, decoded key):
 * the seed is random per process, so nobody can craft colliding keys. */
#include "jsonscan.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "util.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct scanner {
    const unsigned char *s, *end, *p;
    const char *err;
    const unsigned char *err_at;
    /* duplicate-key set: open addressing over 64-bit hashes (0 = empty) */
    uint64_t *set;
    size_t set_cap, set_len;
    uint64_t objects; /* objects seen so far: each object's keys get its number */
    char *key;        /* decoded key buffer */
    size_t key_cap;
} scanner;

static uint64_t seed;

static int fail(scanner *sc, const char *what) {
    if (!sc->err) {
        sc->err = what;
        sc->err_at = sc->p;
    }
    return -1;
}

static void skip_ws(scanner *sc) {
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r')) sc->p++;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int read_u4(scanner *sc, unsigned *cp) {
    unsigned v = 0;
    if (sc->end - sc->p < 4) return fail(sc, "invalid escape");
    for (int i = 0; i < 4; i++) {
        int h = hexval(sc->p[i]);
        if (h < 0) return fail(sc, "invalid escape");
        v = v << 4 | (unsigned)h;
    }
    sc->p += 4;
    *cp = v;
    return 0;
}

static void key_put(scanner *sc, size_t *n, const void *src, size_t len) {
    if (len == 0) return; /* also keeps memcpy away from a NULL buffer */
    if (*n + len > sc->key_cap) {
        sc->key_cap = (*n + len) * 2 + 64;
        sc->key = sp_xrealloc(sc->key, sc->key_cap);
    }
    memcpy(sc->key + *n, src, len);
    *n += len;
}

/* Scan a string after its opening quote. With `decoded`, its decoded bytes
 * are left in sc->key[0..*decoded). */
static int scan_string(scanner *sc, size_t *decoded) {
    size_t n = 0;
    const unsigned char *run = sc->p;
    for (;;) {
        if (sc->p >= sc->end) return fail(sc, "premature end of input");
        unsigned char c = *sc->p;
        if (c == '"') {
            if (decoded) {
                key_put(sc, &n, run, (size_t)(sc->p - run));
                *decoded = n;
            }
            sc->p++;
            return 0;
        }
        if (c < 0x20) return fail(sc, "control character in string");
        if (c != '\\') {
            sc->p++;
            continue;
        }
        if (decoded) key_put(sc, &n, run, (size_t)(sc->p - run));
        sc->p++;
        if (sc->p >= sc->end) return fail(sc, "premature end of input");
        c = *sc->p++;
        if (c == 'u') {
            unsigned cp, lo;
            char u[4];
            size_t ulen;
            if (read_u4(sc, &cp)) return -1;
            if (cp == 0) return fail(sc, "\\u0000 is not allowed");
            if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(sc, "invalid Unicode escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (sc->end - sc->p < 2 || sc->p[0] != '\\' || sc->p[1] != 'u')
                    return fail(sc, "invalid Unicode escape");
                sc->p += 2;
                if (read_u4(sc, &lo)) return -1;
                if (lo < 0xDC00 || lo > 0xDFFF) return fail(sc, "invalid Unicode escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (decoded) {
                if (cp < 0x80) { u[0] = (char)cp; ulen = 1; }
                else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); ulen = 2; }
                else if (cp < 0x10000) { u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63)); u[2] = (char)(0x80 | (cp & 63)); ulen = 3; }
                else { u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63)); u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); ulen = 4; }
                key_put(sc, &n, u, ulen);
            }
        } else {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *f = c ? strchr(from, c) : NULL;
            if (f == NULL) return fail(sc, "invalid escape");
            if (decoded) key_put(sc, &n, &to[f - from], 1);
        }
        run = sc->p;
    }
}

/* Numbers: the RFC 8259 grammar; integers must fit in int64 and reals be
 * finite, as jansson requires. */
static int scan_number(scanner *sc, int *is_int, long long *ival) {
    const unsigned char *start = sc->p;
    int neg = 0, real = 0;
    unsigned long long v = 0;
    int overflow = 0;
    if (*sc->p == '-') { neg = 1; sc->p++; }
    if (sc->p >= sc->end) return fail(sc, "invalid number");
    if (*sc->p == '0') {
        sc->p++;
    } else if (*sc->p >= '1' && *sc->p <= '9') {
        while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') {
            unsigned d = (unsigned)(*sc->p++ - '0');
            if (v > (ULLONG_MAX - d) / 10) overflow = 1;
            else v = v * 10 + d;
        }
    } else {
        return fail(sc, "invalid number");
    }
    if (sc->p < sc->end && *sc->p == '.') {
        real = 1;
        sc->p++;
        if (sc->p >= sc->end || *sc->p < '0' || *sc->p > '9') return fail(sc, "invalid number");
        while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') sc->p++;
    }
    if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
        real = 1;
        sc->p++;
        if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-')) sc->p++;
        if (sc->p >= sc->end || *sc->p < '0' || *sc->p > '9') return fail(sc, "invalid number");
        while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') sc->p++;
    }
    if (!real) {
        if (overflow || v > (unsigned long long)LLONG_MAX + (unsigned long long)neg)
            return fail(sc, "integer out of range");
        *is_int = 1;
        *ival = neg ? (long long)(0ULL - v) : (long long)v;
        return 0;
    }
    {   /* a real: finite, as strtod reads it */
        size_t len = (size_t)(sc->p - start);
        char small[64], *buf = len < sizeof small ? small : sp_xmalloc(len + 1);
        double d;
        memcpy(buf, start, len);
        buf[len] = '\0';
        errno = 0;
        d = strtod(buf, NULL);
        if (buf != small) free(buf);
        if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) return fail(sc, "real number overflow");
    }
    *is_int = 0;
    return 0;
}

static int set_insert(scanner *sc, uint64_t h) {
    size_t i;
    if (h == 0) h = 1;
    if ((sc->set_len + 1) * 2 > sc->set_cap) {
        size_t old = sc->set_cap;
        uint64_t *prev = sc->set;
        sc->set_cap = old ? old * 2 : 64;
        sc->set = calloc(sc->set_cap, sizeof *sc->set);
        if (sc->set == NULL) abort();
        sc->set_len = 0;
        for (size_t k = 0; k < old; k++)
            if (prev[k]) set_insert(sc, prev[k]);
        free(prev);
    }
    for (i = h & (sc->set_cap - 1); sc->set[i]; i = (i + 1) & (sc->set_cap - 1))
        if (sc->set[i] == h) return -1;
    sc->set[i] = h;
    sc->set_len++;
    return 0;
}

static int scan_value(scanner *sc, int depth, sp_scan *top);

static int scan_object(scanner *sc, int depth, sp_scan *top) {
    uint64_t id = ++sc->objects;
    sc->p++; /* { */
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        return 0;
    }
    for (;;) {
        size_t klen;
        XXH3_state_t st;
        int is_sv;
        if (sc->p >= sc->end || *sc->p != '"') return fail(sc, "string or '}' expected");
        sc->p++;
        if (scan_string(sc, &klen)) return -1;
        XXH3_64bits_reset_withSeed(&st, seed);
        XXH3_64bits_update(&st, &id, sizeof id);
        XXH3_64bits_update(&st, sc->key, klen);
        if (set_insert(sc, XXH3_64bits_digest(&st))) return fail(sc, "duplicate object key");
        is_sv = top && klen == 14 && memcmp(sc->key, "schema_version", 14) == 0;
        skip_ws(sc);
        if (sc->p >= sc->end || *sc->p != ':') return fail(sc, "':' expected");
        sc->p++;
        skip_ws(sc);
        if (is_sv) {
            top->sv_kind = SP_SV_OTHER;
            if (sc->p < sc->end && (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))) {
                int is_int = 0;
                long long v = 0;
                if (scan_number(sc, &is_int, &v)) return -1;
                if (is_int) {
                    top->sv_kind = SP_SV_INTEGER;
                    top->sv_value = v;
                }
            } else if (scan_value(sc, depth + 1, NULL)) {
                return -1;
            }
        } else if (scan_value(sc, depth + 1, NULL)) {
            return -1;
        }
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == ',') {
            sc->p++;
            skip_ws(sc);
            continue;
        }
        if (sc->p < sc->end && *sc->p == '}') {
            sc->p++;
            return 0;
        }
        return fail(sc, "',' or '}' expected");
    }
}

static int scan_value(scanner *sc, int depth, sp_scan *top) {
    int is_int;
    long long v;
    if (depth > MAX_DEPTH) return fail(sc, "maximum parsing depth reached");
    skip_ws(sc);
    if (sc->p >= sc->end) return fail(sc, "premature end of input");
    switch (*sc->p) {
    case '{':
        if (top) top->is_object = 1;
        return scan_object(sc, depth, top);
    case '[':
        sc->p++;
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == ']') {
            sc->p++;
            return 0;
        }
        for (;;) {
            if (scan_value(sc, depth + 1, NULL)) return -1;
            skip_ws(sc);
            if (sc->p < sc->end && *sc->p == ',') {
                sc->p++;
                continue;
            }
            if (sc->p < sc->end && *sc->p == ']') {
                sc->p++;
                return 0;
            }
            return fail(sc, "',' or ']' expected");
        }
    case '"':
        sc->p++;
        return scan_string(sc, NULL);
    case 't':
        if (sc->end - sc->p >= 4 && memcmp(sc->p, "true", 4) == 0) { sc->p += 4; return 0; }
        return fail(sc, "invalid token");
    case 'f':
        if (sc->end - sc->p >= 5 && memcmp(sc->p, "false", 5) == 0) { sc->p += 5; return 0; }
        return fail(sc, "invalid token");
    case 'n':
        if (sc->end - sc->p >= 4 && memcmp(sc->p, "null", 4) == 0) { sc->p += 4; return 0; }
        return fail(sc, "invalid token");
    default:
        if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9')) return scan_number(sc, &is_int, &v);
        return fail(sc, "invalid token");
    }
}

int sp_json_scan(const char *buf, size_t len, sp_scan *r) {
    scanner sc;
    int rc;
    if (seed == 0) { /* per process, so that colliding keys cannot be prepared */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = XXH3_64bits(&ts, sizeof ts) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&sc;
    }
    memset(&sc, 0, sizeof sc);
    memset(r, 0, sizeof *r);
    sc.s = sc.p = (const unsigned char *)buf;
    sc.end = sc.s + len;
    rc = scan_value(&sc, 1, r);
    if (rc == 0) {
        skip_ws(&sc);
        if (sc.p != sc.end) rc = fail(&sc, "end of file expected");
    }
    if (rc != 0) {
        r->err = sc.err;
        r->err_pos = (size_t)(sc.err_at - sc.s);
        r->is_object = 0;
    }
    free(sc.set);
    free(sc.key);
    return rc;
}
