/* jsonscan.c — validate JSON without building it (see jsonscan.h).
 *
 * Recursive descent over the bytes. Duplicate keys: an object's keys are
 * compared with the keys before them in it (their first 8 bytes and length
 * first), up to LINEAR_KEYS of them; an object with more keys, or a key
 * with an escape, has its keys in one hash set per message instead,
 * holding XXH3 of the decoded key, seeded by the object's number and a
 * seed random per process, so nobody can craft colliding keys. (A story's
 * 20-odd keys each hashed and looked up cost 3% of the deduper's cycles,
 * most of it waiting on the hash and a mispredicted probe; comparing a key
 * with 16 others is a few instructions each, all predicted.) */
#include "jsonscan.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* xxhash's header-only mode: XXH3 compiled into this file, so that a key's
 * hash (a few bytes, every key of every message) inlines instead of being a
 * call into libxxhash. The same function, the same values. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util.h"

/* strings are also scanned 32 bytes at a time where the processor has AVX2
 * (util.h: SP_AVX2, sp_avx2()) */
#ifdef SP_AVX2
#include <immintrin.h>
#endif

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct scanner {
    const unsigned char *s, *end, *p;
    const char *err;
    const unsigned char *err_at;
    /* duplicate-key set: open addressing over 64-bit hashes (0 = empty),
     * set_local zeroed when first used (set_ready) */
    uint64_t *set;
    size_t set_cap, set_len;
    int set_ready;
    /* the keys of the objects being scanned, compared one by one: each
     * object's after its parent's, gone when it ends */
    struct seen_key *keys;
    size_t n_keys, keys_cap;
    uint64_t objects; /* objects seen so far: each object's keys get its number */
    char *key;        /* decoded key buffer */
    size_t key_cap;
    int breaks;           /* a line break was met (white space between tokens) */
    int escaped;          /* the last string scanned had an escape */
    const char *key_text; /* the key just scanned, decoded: in the message when it has no escape, else sc->key */
    sp_members *members; /* the top-level object's members go here, when wanted */
    /* where set, keys and key start, so that a message's few keys take no malloc */
    uint64_t set_local[64];
    struct seen_key {
        uint64_t head; /* the first 8 bytes, 0 past the key's end */
        const unsigned char *at; /* in the message: keys without an escape only */
        size_t len;
    } keys_local[64];
    char key_local[128];
} scanner;

static uint64_t seed;

static int fail(scanner *sc, const char *what) {
    if (!sc->err) {
        sc->err = what;
        sc->err_at = sc->p;
    }
    return -1;
}

static const char *skip_blank(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* skip_blank(), noting a line break (rare: most messages have no white
 * space at all). Its own loop, not skip_blank() and a second look at what
 * it skipped: that costs 6 instructions more a call, 440 a story of the
 * deduper's (callgrind), for the empty stretch most calls skip. */
static void skip_ws_run(scanner *sc) {
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r')) {
        sc->breaks |= *sc->p == '\n' || *sc->p == '\r';
        sc->p++;
    }
}

/* Inline, the test for the common case: no white space here (a byte above
 * ' ', which no white space is), 4 times a member. */
static inline void skip_ws(scanner *sc) {
    if (sc->p < sc->end && *sc->p > ' ') return;
    skip_ws_run(sc);
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits at p (with at least 4 bytes left), or -1. */
static long hex4(const char *p) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) return -1;
        v = v << 4 | h;
    }
    return v;
}

static int read_u4(scanner *sc, unsigned *cp) {
    long v = sc->end - sc->p >= 4 ? hex4((const char *)sc->p) : -1;
    if (v < 0) return fail(sc, "invalid escape");
    sc->p += 4;
    *cp = (unsigned)v;
    return 0;
}

/* Room for len bytes of key in sc->key. */
static void key_reserve(scanner *sc, size_t len) {
    if (len <= sc->key_cap) return;
    sc->key_cap = len * 2 + 64;
    if (sc->key != sc->key_local) free(sc->key);
    sc->key = sp_xmalloc(sc->key_cap);
}

/* Decode a string's contents src[0..n) (between its quotes) into dst, which
 * has room for n bytes: decoding never makes a string longer (an escape of
 * 2, 6 or 12 bytes gives 1, at most 3, or 4). Returns the decoded length.
 * Runs without a backslash are copied whole. */
static size_t decode_string(const char *src, size_t n, char *dst) {
    const char *p = src, *end = src + n;
    char *out = dst;
    while (p < end) {
        const char *backslash = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((backslash ? backslash : end) - p);
        memcpy(out, p, run);
        out += run;
        if (backslash == NULL || end - backslash < 2) break;
        p = backslash + 2;
        switch (backslash[1]) {
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u': {
            long cp = end - p >= 4 ? hex4(p) : -1, lo;
            if (cp < 0) return (size_t)(out - dst); /* not valid JSON: stop */
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                (lo = hex4(p + 2)) >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            out += sp_utf8_encode((uint32_t)cp, out);
            break;
        }
        default: *out++ = backslash[1]; break; /* \" \\ \/ */
        }
    }
    return (size_t)(out - dst);
}

/* 1 when one of the 8 bytes of w is '"', '\\', a control character or
 * from 0x80 up (bit tricks: a byte's top bit is set by the subtraction
 * when it was zero, or below 0x20). */
static int special_in(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((w - ones * 0x20) & ~w) | w) & highs ? 1
                                                                                                               : 0;
}

#ifdef __SSE2__
/* A bit for each of the 16 bytes at p that is '"', '\\', a control
 * character or from 0x80 up. */
static inline unsigned special16(const unsigned char *p) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"')), backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), _mm_or_si128(control, x)));
}
#endif

#ifdef SP_AVX2
/* The first byte of p[0..end) that is '"', '\\', a control character or
 * from 0x80 up, 32 bytes at a time; where fewer than 32 bytes are left
 * without one, the first of those. */
__attribute__((target("avx2"))) static const unsigned char *plain_end_avx2(const unsigned char *p,
                                                                           const unsigned char *end) {
    while (end - p >= 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i quote = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'));
        __m256i backslash = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
        __m256i control = _mm256_cmpeq_epi8(_mm256_max_epu8(x, _mm256_set1_epi8(0x1F)), _mm256_set1_epi8(0x1F));
        unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_or_si256(quote, backslash), _mm256_or_si256(control, x)));
        if (m) return p + __builtin_ctz(m);
        p += 32;
    }
    return p;
}
#endif

/* Scan a string after its opening quote. With `decoded`, its decoded bytes
 * are at sc->key_text[0..*decoded): the message's own bytes when the string
 * has no escape, else decoded into sc->key (by decode_string, once it is
 * checked). */
static int scan_string(scanner *sc, size_t *decoded) {
    const unsigned char *start = sc->p;
    int escaped = 0;
    for (;;) {
        /* plain ASCII text, the common case, up to the first '"', '\\',
         * control character or byte from 0x80 up (the start of a UTF-8
         * sequence, checked here: the bytes outside strings can only be
         * ASCII, so a message scanned is valid UTF-8 throughout): 16 bytes
         * here first, where most strings (keys, ids, short values) end
         * without a call of plain_end_avx2() (780 instructions fewer a
         * story of the deduper's); then 32 at a time with AVX2, then 16,
         * then 8 */
#ifdef __SSE2__
        if (sc->end - sc->p >= 16) {
            unsigned m = special16(sc->p);
            if (m) {
                sc->p += __builtin_ctz(m);
                goto special;
            }
            sc->p += 16;
        }
#endif
#ifdef SP_AVX2
        if (sc->end - sc->p >= 32 && sp_avx2()) {
            sc->p = plain_end_avx2(sc->p, sc->end);
            if (sc->end - sc->p >= 32) goto special; /* it stopped at one */
        }
#endif
#ifdef __SSE2__
        while (sc->end - sc->p >= 16) {
            unsigned m = special16(sc->p);
            if (m) {
                sc->p += __builtin_ctz(m);
                break;
            }
            sc->p += 16;
        }
#endif
        while (sc->end - sc->p >= 8) {
            uint64_t w;
            memcpy(&w, sc->p, 8);
            if (special_in(w)) break;
            sc->p += 8;
        }
#if defined SP_AVX2 || defined __SSE2__
    special:
#endif
        if (sc->p >= sc->end) return fail(sc, "premature end of input");
        unsigned char c = *sc->p;
        if (c == '"') {
            sc->escaped = escaped;
            if (decoded) {
                size_t n = (size_t)(sc->p - start);
                sc->key_text = (const char *)start;
                *decoded = n;
                if (escaped) {
                    key_reserve(sc, n);
                    *decoded = decode_string((const char *)start, n, sc->key);
                    sc->key_text = sc->key;
                }
            }
            sc->p++;
            return 0;
        }
        if (c < 0x20) return fail(sc, "control character in string");
        if (c >= 0x80) {
            /* the common 2- and 3-byte sequences here (any continuation
             * bytes make them valid: no overlong form, no surrogate), the
             * rest by sp_utf8_decode() */
            if (c >= 0xC2 && c <= 0xDF && sc->end - sc->p >= 2 && (sc->p[1] & 0xC0) == 0x80) {
                sc->p += 2;
                continue;
            }
            if (c >= 0xE1 && c <= 0xEF && c != 0xED && sc->end - sc->p >= 3 &&
                (sc->p[1] & 0xC0) == 0x80 && (sc->p[2] & 0xC0) == 0x80) {
                sc->p += 3;
                continue;
            }
            uint32_t cp;
            size_t k = sp_utf8_decode(sc->p, (size_t)(sc->end - sc->p), &cp);
            if (k == 0) return fail(sc, "invalid UTF-8");
            sc->p += k;
            continue;
        }
        if (c != '\\') {
            sc->p++;
            continue;
        }
        sc->p++;
        escaped = 1;
        if (sc->p >= sc->end) return fail(sc, "premature end of input");
        c = *sc->p++;
        if (c == 'u') {
            unsigned cp, lo;
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
        } else if (c == 0 || strchr("\"\\/bfnrt", c) == NULL) {
            return fail(sc, "invalid escape");
        }
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
    if (!sc->set_ready) {
        memset(sc->set_local, 0, sizeof sc->set_local);
        sc->set_ready = 1;
    }
    if (h == 0) h = 1;
    if ((sc->set_len + 1) * 2 > sc->set_cap) {
        size_t old = sc->set_cap;
        uint64_t *prev = sc->set;
        sc->set_cap = old * 2;
        sc->set = calloc(sc->set_cap, sizeof *sc->set);
        if (sc->set == NULL) abort();
        sc->set_len = 0;
        for (size_t k = 0; k < old; k++)
            if (prev[k]) set_insert(sc, prev[k]);
        if (prev != sc->set_local) free(prev);
    }
    for (i = h & (sc->set_cap - 1); sc->set[i]; i = (i + 1) & (sc->set_cap - 1))
        if (sc->set[i] == h) return -1;
    sc->set[i] = h;
    sc->set_len++;
    return 0;
}

/* Keys an object's keys are compared with one by one; past that many, its
 * keys go to the hash set. */
#define LINEAR_KEYS 24

/* XXH3 of a key, seeded by its object's number (see the top). */
static uint64_t key_hash(const void *key, size_t len, uint64_t object) {
    return XXH3_64bits_withSeed(key, len, seed + object * 0x9E3779B97F4A7C15ull);
}

/* The first 8 bytes of k[0..len) as a number, 0 past len, whatever the
 * machine's byte order; reads 8 bytes when the message has them after k. */
static uint64_t key_head(const scanner *sc, const unsigned char *k, size_t len) {
    uint64_t v = 0;
    size_t n = len < 8 ? len : 8;
    if (sc->end - k >= 8) {
        memcpy(&v, k, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        return n == 8 ? v : v & ((1ull << 8 * n) - 1);
    }
    for (size_t i = 0; i < n; i++) v |= (uint64_t)k[i] << 8 * i;
    return v;
}

/* Room for one more key in sc->keys. */
static void keys_room(scanner *sc) {
    if (sc->n_keys < sc->keys_cap) return;
    size_t cap = sc->keys_cap * 2;
    struct seen_key *k = sp_xmalloc(cap * sizeof *k);
    memcpy(k, sc->keys, sc->n_keys * sizeof *k);
    if (sc->keys != sc->keys_local) free(sc->keys);
    sc->keys = k;
    sc->keys_cap = cap;
}

/* 1 when the key just scanned (sc->key_text, klen) is one object number
 * `object` had already; else it is noted. The object's keys so far are
 * sc->keys[first..n_keys), or, once *hashed, in the hash set. */
static int key_dup(scanner *sc, uint64_t object, size_t first, int *hashed, size_t klen) {
    const unsigned char *k = (const unsigned char *)sc->key_text;
    if (!*hashed && (sc->escaped || sc->n_keys - first >= LINEAR_KEYS)) {
        /* to the hash set: the keys so far (all different), then this one */
        for (size_t i = first; i < sc->n_keys; i++) (void)set_insert(sc, key_hash(sc->keys[i].at, sc->keys[i].len, object));
        sc->n_keys = first;
        *hashed = 1;
    }
    if (*hashed) return set_insert(sc, key_hash(k, klen, object)) != 0;
    uint64_t head = key_head(sc, k, klen);
    for (size_t i = first; i < sc->n_keys; i++)
        if (sc->keys[i].head == head && sc->keys[i].len == klen &&
            (klen <= 8 || memcmp(sc->keys[i].at + 8, k + 8, klen - 8) == 0))
            return 1;
    keys_room(sc);
    sc->keys[sc->n_keys++] = (struct seen_key){head, k, klen};
    return 0;
}

static int scan_value(scanner *sc, int depth, sp_scan *top);
static const char *number_end(const char *p, const char *end, char *type);
static char *members_key_room(sp_members *m, size_t n);
static void members_push(sp_members *m, const sp_member *mb);
static void members_place_keys(sp_members *m);
static void members_reset(sp_members *m);

/* Note a top-level member just scanned in sc->members, as sp_json_members()
 * would find it: its key's opening quote at key_at, raw_len bytes of key
 * there, klen once decoded, its value from value_at to sc->p. A key with
 * escapes (escapes only shorten) was decoded into sc->key, which the
 * value's own keys overwrite: member_key() kept it. */
static void member_add(scanner *sc, const unsigned char *key_at, size_t raw_len, size_t klen,
                       const unsigned char *value_at) {
    sp_member mb;
    const char *v = (const char *)value_at;
    mb.at = (size_t)(key_at - sc->s);
    mb.start = (size_t)(value_at - sc->s);
    mb.end = (size_t)(sc->p - sc->s);
    mb.key_len = klen;
    mb.key = klen == raw_len ? (const char *)key_at + 1 : NULL; /* NULL: in m->keys, see members_push() */
    mb.escaped = 0;
    switch (*v) {
    case '"': mb.type = 's', mb.escaped = (char)sc->escaped; break;
    case '{': mb.type = 'o'; break;
    case '[': mb.type = 'a'; break;
    case 't': case 'f': mb.type = 'b'; break;
    case 'n': mb.type = 'n'; break;
    default: number_end(v, (const char *)sc->p, &mb.type); break;
    }
    members_push(sc->members, &mb);
}

/* A top-level key with escapes, decoded in sc->key (klen bytes): kept at
 * the end of the members' key storage for member_add(). */
static void member_key(scanner *sc, size_t raw_len, size_t klen) {
    if (klen != raw_len) memcpy(members_key_room(sc->members, klen), sc->key_text, klen);
}

static int scan_object(scanner *sc, int depth, sp_scan *top) {
    uint64_t id = ++sc->objects;
    size_t first = sc->n_keys; /* this object's keys go after its parent's */
    int hashed = 0;
    sc->p++; /* { */
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        return 0;
    }
    for (;;) {
        size_t klen;
        int is_sv;
        size_t key_raw; /* the key's bytes between its quotes */
        const unsigned char *key_at = sc->p, *value_at;
        if (sc->p >= sc->end || *sc->p != '"') return fail(sc, "string or '}' expected");
        sc->p++;
        if (scan_string(sc, &klen)) return -1;
        key_raw = (size_t)(sc->p - key_at) - 2;
        if (top && sc->members) member_key(sc, key_raw, klen);
        if (key_dup(sc, id, first, &hashed, klen)) return fail(sc, "duplicate object key");
        is_sv = top && klen == 14 && memcmp(sc->key_text, "schema_version", 14) == 0;
        skip_ws(sc);
        if (sc->p >= sc->end || *sc->p != ':') return fail(sc, "':' expected");
        sc->p++;
        skip_ws(sc);
        value_at = sc->p;
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
        if (top && sc->members) member_add(sc, key_at, key_raw, klen, value_at);
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == ',') {
            sc->p++;
            skip_ws(sc);
            continue;
        }
        if (sc->p < sc->end && *sc->p == '}') {
            sc->p++;
            sc->n_keys = first; /* its keys are done with */
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

int sp_json_scan(const char *buf, size_t len, sp_scan *r) { return sp_json_scan_members(buf, len, r, NULL); }

int sp_json_scan_members(const char *buf, size_t len, sp_scan *r, sp_members *m) {
    scanner sc;
    int rc;
    while (seed == 0) seed = sp_random64(); /* per process, so that colliding keys cannot be prepared */
    /* not its local arrays (a kilobyte and more): set_local is zeroed when
     * first used, keys_local and key_local are written before read */
    memset(&sc, 0, offsetof(scanner, set_local));
    memset(r, 0, sizeof *r);
    if (m) members_reset(m);
    sc.members = m;
    sc.set = sc.set_local;
    sc.set_cap = sizeof sc.set_local / sizeof sc.set_local[0];
    sc.keys = sc.keys_local;
    sc.keys_cap = sizeof sc.keys_local / sizeof sc.keys_local[0];
    sc.key = sc.key_local;
    sc.key_cap = sizeof sc.key_local;
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
        if (m) members_reset(m);
    }
    if (m) {
        members_place_keys(m);
        m->line_breaks = rc == 0 && sc.breaks;
    }
    if (sc.set != sc.set_local) free(sc.set);
    if (sc.keys != sc.keys_local) free(sc.keys);
    if (sc.key != sc.key_local) free(sc.key);
    return rc;
}

/* ---- Reading a valid message: top-level members, string values ----
 *
 * The input was validated by sp_json_scan(), so these only look for where
 * things end: a string at its first quote not escaped by a backslash (found
 * with memchr), an object or array when its brackets balance. Every read is
 * still bounded by the buffer, so other input cannot make them overrun it. */

/* The closing quote of a string whose contents start at p (just after its
 * opening quote), or end when there is none. A quote is escaped when an odd
 * number of backslashes precede it. */
static const char *string_end(const char *p, const char *end) {
    for (;;) {
        const char *quote = memchr(p, '"', (size_t)(end - p));
        const char *b;
        if (quote == NULL) return end;
        /* p[-1] is a quote (the opening one or an escaped one), so counting
         * back stops at p at the latest */
        for (b = quote; b > p && b[-1] == '\\'; b--) continue;
        if ((quote - b) % 2 == 0) return quote;
        p = quote + 1;
    }
}

/* Just past the object or array that starts at p (its '{' or '['). */
static const char *container_end(const char *p, const char *end) {
    size_t depth = 0;
    for (; p < end; p++) {
        switch (*p) {
        case '"':
            p = string_end(p + 1, end);
            if (p == end) return end;
            break;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            if (--depth == 0) return p + 1;
            break;
        default:
            break;
        }
    }
    return end;
}

/* Just past the literal of `len` bytes at p (true, false, null). */
static const char *literal_end(const char *p, const char *end, size_t len) {
    return (size_t)(end - p) >= len ? p + len : end;
}

/* Just past the number at p; *type is 'r' when it has a fraction or an
 * exponent (as jansson decides), else 'i'. */
static const char *number_end(const char *p, const char *end, char *type) {
    *type = 'i';
    for (; p < end; p++) {
        char c = *p;
        if ((c >= '0' && c <= '9') || c == '-' || c == '+') continue;
        if (c == '.' || c == 'e' || c == 'E') {
            *type = 'r';
            continue;
        }
        break;
    }
    return p;
}

/* Just past the value at p (not white space), with its type. */
static const char *value_end(const char *p, const char *end, char *type) {
    switch (*p) {
    case '"':
        *type = 's';
        p = string_end(p + 1, end);
        return p < end ? p + 1 : end;
    case '{':
        *type = 'o';
        return container_end(p, end);
    case '[':
        *type = 'a';
        return container_end(p, end);
    case 't':
        *type = 'b';
        return literal_end(p, end, 4);
    case 'f':
        *type = 'b';
        return literal_end(p, end, 5);
    case 'n':
        *type = 'n';
        return literal_end(p, end, 4);
    default:
        return number_end(p, end, type);
    }
}

/* Room for a decoded key of up to n bytes at the end of m->keys (the
 * caller adds what it wrote to keys_len). */
static char *members_key_room(sp_members *m, size_t n) {
    if (m->keys_len + n > m->keys_cap) {
        m->keys_cap = (m->keys_len + n) * 2 + 64;
        m->keys = sp_xrealloc(m->keys, m->keys_cap);
    }
    return m->keys + m->keys_len;
}

/* Forget every member. */
static void members_reset(sp_members *m) {
    m->n = m->keys_len = 0;
    m->line_breaks = 0;
}

/* Append a member. One whose key is NULL has it decoded at the end of
 * m->keys (key_len bytes, not yet counted in keys_len): m->keys may move
 * as more are added, so members_place_keys() points at them at the end. */
static void members_push(sp_members *m, const sp_member *mb) {
    if (mb->key == NULL) m->keys_len += mb->key_len;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->v = sp_xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = *mb;
}

/* Point the members whose keys were decoded at them: they lie in m->keys
 * in member order. */
static void members_place_keys(sp_members *m) {
    size_t offset = 0;
    if (m->keys_len == 0) return;
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].key != NULL) continue;
        m->v[i].key = m->keys + offset;
        offset += m->v[i].key_len;
    }
}

int sp_json_members(const char *buf, size_t len, sp_members *m) {
    const char *p, *end = buf + len;
    members_reset(m);
    p = skip_blank(buf, end);
    if (p == end || *p != '{') return -1;
    p = skip_blank(p + 1, end);
    while (p < end && *p == '"') {
        sp_member mb;
        const char *key = p + 1, *key_end = string_end(key, end);
        if (key_end == end) break;
        mb.at = (size_t)(p - buf);
        p = skip_blank(key_end + 1, end);
        if (p == end || *p != ':') break;
        p = skip_blank(p + 1, end);
        if (p == end) break;
        mb.start = (size_t)(p - buf);
        p = value_end(p, end, &mb.type);
        mb.end = (size_t)(p - buf);
        mb.escaped = mb.type == 's' && memchr(buf + mb.start, '\\', mb.end - mb.start) != NULL;
        mb.key_len = (size_t)(key_end - key);
        if (memchr(key, '\\', mb.key_len) == NULL) {
            mb.key = key;
        } else {
            mb.key = NULL;
            mb.key_len = decode_string(key, mb.key_len, members_key_room(m, mb.key_len));
        }
        members_push(m, &mb);
        p = skip_blank(p, end);
        if (p == end || *p != ',') break;
        p = skip_blank(p + 1, end);
    }
    members_place_keys(m);
    return 0;
}

void sp_members_free(sp_members *m) {
    free(m->v);
    free(m->keys);
    memset(m, 0, sizeof *m);
}

const sp_member *sp_members_get(const sp_members *m, const char *key) {
    size_t next = 0;
    return sp_members_next(m, key, &next);
}

/* 1 when member mb's key is key (NUL-terminated), compared a byte at a
 * time: keys are short, and no strlen() or memcmp() call is made for a
 * lookup (22 a story in the deduper). A decoded key has no NUL (the scan
 * refuses \u0000 and control characters), so key's NUL ends the loop
 * before it can read past it. */
static int key_is(const sp_member *mb, const char *key) {
    size_t i;
    for (i = 0; i < mb->key_len; i++)
        if (mb->key[i] != key[i]) return 0;
    return key[i] == '\0';
}

const sp_member *sp_members_next(const sp_members *m, const char *key, size_t *next) {
    size_t i = *next < m->n ? *next : 0;
    for (size_t k = 0; k < m->n; k++, i = i + 1 < m->n ? i + 1 : 0)
        if (key_is(&m->v[i], key)) {
            *next = i + 1;
            return &m->v[i];
        }
    return NULL;
}

size_t sp_json_string_decode(const char *buf, size_t start, size_t end, char **out, size_t *cap) {
    size_t n = end >= start + 2 ? end - start - 2 : 0, len;
    if (*out == NULL || *cap < n + 1) {
        *cap = n + 1 > *cap * 2 ? n + 1 : *cap * 2;
        *out = sp_xrealloc(*out, *cap);
    }
    len = decode_string(buf + start + 1, n, *out);
    (*out)[len] = '\0';
    return len;
}

size_t sp_json_compact(char *buf, size_t len) {
    size_t w = 0;
    int in_string = 0;
    for (size_t r = 0; r < len; r++) {
        char c = buf[r];
        if (in_string) {
            if (c == '\\' && r + 1 < len) { /* an escape: both bytes stay */
                buf[w++] = c;
                c = buf[++r];
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        } else if (c == '"') {
            in_string = 1;
        }
        buf[w++] = c;
    }
    return w;
}
