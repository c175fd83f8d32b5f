/* fingerprint.c — normalised text, its hash and its SimHash (see
 * fingerprint.h). One pass over the UTF-8 text builds the normalised words;
 * the shingles are hashed with XXH3 as they are read. */
#include "fingerprint.h"

#include <string.h>

#include "ids.h"
#include "util.h"

#define SHINGLE 2

/* Code point at p (valid UTF-8, as every message is), its length in *n. */
static uint32_t decode(const unsigned char *p, const unsigned char *end, size_t *n) {
    uint32_t c = p[0];
    if (c < 0x80 || end - p < 2) return *n = 1, c;
    if (c < 0xE0) return *n = 2, (c & 0x1F) << 6 | (p[1] & 0x3F);
    if (c < 0xF0 || end - p < 4) return *n = end - p < 3 ? 1 : 3, (c & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return *n = 4, (c & 0x07) << 18 | (p[1] & 0x3F) << 12 | (p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

static int is_white(uint32_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0xA0 || c == 0x3000 ||
           (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F || c == 0xFEFF;
}

/* Punctuation and symbols that do not change what a story says. */
static int is_punct(uint32_t c) {
    if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                         (c >= 0x7B && c <= 0x7E);
    return (c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 || c == 0xF7 ||
           (c >= 0x2010 && c <= 0x205E) || (c >= 0x3001 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65);
}

/* Characters that are words by themselves: CJK ideographs, kana, Hangul. */
static int is_cjk(uint32_t c) {
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}

/* Lower case for the letters that have a simple one: ASCII, Latin-1,
 * Latin Extended-A pairs, Greek, Cyrillic. */
static uint32_t lower(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
    if (c >= 0x100 && c <= 0x17F && !(c & 1) && c != 0x130) return c + 1;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

typedef struct words {
    char *s;           /* the normalised text */
    size_t n, cap;
    size_t count;
    uint64_t ring[SHINGLE]; /* hashes of the last words */
    int v[64];         /* SimHash counters */
    size_t shingles;
} words;

static void put(words *w, const char *s, size_t n) {
    if (w->n + n + 1 > w->cap) {
        w->cap = (w->n + n + 1) * 2 + 64;
        w->s = sp_xrealloc(w->s, w->cap);
    }
    memcpy(w->s + w->n, s, n);
    w->n += n;
}

static void add_shingle(words *w, uint64_t h) {
    for (int b = 0; b < 64; b++) w->v[b] += (h >> b) & 1 ? 1 : -1;
    w->shingles++;
}

/* A word ended at w->s[start..w->n): hash it, and the shingle it closes. */
static void word_done(words *w, size_t start) {
    uint64_t h = sp_hash64(w->s + start, w->n - start);
    w->ring[w->count % SHINGLE] = h;
    w->count++;
    if (w->count >= SHINGLE) {
        uint64_t sh = 0x9E3779B97F4A7C15ull;
        for (size_t k = w->count - SHINGLE; k < w->count; k++) sh = (sh ^ w->ring[k % SHINGLE]) * 0x100000001B3ull;
        add_shingle(w, sp_hash64(&sh, sizeof sh));
    }
}

static void scan(const char *text, size_t len, words *w) {
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    size_t start = 0;
    int in_word = 0;
    memset(w, 0, sizeof *w);
    while (p < end) {
        size_t k;
        uint32_t c = decode(p, end, &k);
        p += k;
        if (is_white(c) || is_punct(c) || is_cjk(c)) {
            if (in_word) word_done(w, start);
            in_word = 0;
            if (!is_cjk(c)) continue;
            /* an ideograph is a word of its own */
            if (w->n) put(w, " ", 1);
            start = w->n;
            char u[4];
            put(w, u, sp_utf8_encode(c, u));
            word_done(w, start);
            continue;
        }
        if (!in_word) {
            if (w->n) put(w, " ", 1);
            start = w->n;
            in_word = 1;
        }
        char u[4];
        put(w, u, sp_utf8_encode(lower(c), u));
    }
    if (in_word) word_done(w, start);
    if (w->count > 0 && w->count < SHINGLE) /* too few words for a shingle: the words are one */
        add_shingle(w, sp_hash64(w->s, w->n));
}

void fp_compute(const char *text, size_t len, fp_text *out) {
    words w;
    scan(text, len, &w);
    out->exact = sp_hash64(w.s ? w.s : "", w.n);
    out->words = w.count;
    out->simhash = 0;
    for (int b = 0; b < 64; b++)
        if (w.v[b] > 0) out->simhash |= 1ull << b;
    free(w.s);
}

char *fp_normalise(const char *text, size_t len, size_t *n) {
    words w;
    scan(text, len, &w);
    put(&w, "", 0);
    w.s[w.n] = '\0';
    *n = w.n;
    return w.s;
}

int fp_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }
