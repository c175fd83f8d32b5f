/* fingerprint.c — normalised text, its hash and its SimHash (see
 * fingerprint.h). It runs over every story body the deduper sees, so it is
 * written for speed. What it computes is exactly what the plain version
 * (decode a character, classify it, append it, hash each word and shingle
 * as it ends, count the 64 bits one by one) computes, to the bit: the same
 * normalised text, word count, exact hash and SimHash
 * (tests/unit/deduper/fp_plain.h has the plain version). Where the
 * time goes instead:
 *   - ASCII, most of any text, is classified 64 bytes at a time (with AVX2
 *     where the processor has it, else SSE2 where there is SSE2) into a bit
 *     mask of the bytes that are part of a word, and the normalised text is
 *     written a word at a time into a buffer sized once up front; only
 *     characters from U+0080 up go through decode() and the code point
 *     functions;
 *   - a word is hashed as it ends with a hash made for this (SimHash
 *     version 2, see word_hash()), without a branch on its length up to 16
 *     bytes, and so is the shingle it closes;
 *   - the shingles' bits are counted 64 at a time, not 64 steps a
 *     shingle, with a carry-save adder and packed byte counters (with
 *     AVX2, on four shingles at a time). */
#include "fingerprint.h"

#include <string.h>

#include "ids.h"
#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
/* a 32-bytes-at-a-time classify64() as well, used where the processor has
 * AVX2 (util.h: SP_AVX2, sp_avx2()) */
#ifdef SP_AVX2
#include <immintrin.h>
#endif

/* Code point at p (valid UTF-8, as every message is), its length in *n.
 * Never reads at or past end: a byte that would be there counts as 0 (what
 * the NUL every caller's string ends with would give). */
static uint32_t decode(const unsigned char *p, const unsigned char *end, size_t *n) {
    uint32_t c = p[0];
    if (c < 0x80 || end - p < 2) return *n = 1, c;
    if (c < 0xE0) return *n = 2, (c & 0x1F) << 6 | (p[1] & 0x3F);
    if (c < 0xF0 || end - p < 4) {
        uint32_t p2 = end - p < 3 ? 0 : p[2];
        return *n = end - p < 3 ? 1 : 3, (c & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p2 & 0x3F);
    }
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

/* ASCII, 64 bytes at a time.
 *
 * An ASCII byte is part of a word unless is_white() or is_punct() says
 * otherwise, which leaves digits, letters, DEL and the control characters
 * other than \t \n \v \f \r. classify64() sets bit i of *word for each such
 * byte i of p[0..64), bit i of *high for each byte from 0x80 up, and writes
 * the bytes to low[0..64) with A-Z made a-z. What it says about a byte from
 * 0x80 up, or about the bytes after one, does not matter: the scan stops at
 * the first such byte and hands it to decode(). */
#ifdef __SSE2__

/* 16 bytes at a time. Compared as signed bytes, those from 0x80 up are
 * below 0 and fall in none of the ranges from 0 up. */
static __m128i in(__m128i x, char lo, char hi) {
    __m128i from = _mm_cmpgt_epi8(x, _mm_set1_epi8((char)(lo - 1)));
    __m128i to = _mm_cmplt_epi8(x, _mm_set1_epi8((char)(hi + 1)));
    return _mm_and_si128(from, to);
}

static void classify64(const unsigned char *p, uint64_t *word, uint64_t *high, char *low) {
    *word = *high = 0;
    for (int c = 0; c < 4; c++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * c));
        __m128i letter = in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z'); /* | 0x20 folds A-Z onto a-z */
        /* below 0x20 (and the bytes from 0x80 up, which do not matter) but
         * \t to \r */
        __m128i control = _mm_andnot_si128(in(x, '\t', '\r'), _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
        __m128i w = _mm_or_si128(_mm_or_si128(letter, in(x, '0', '9')),
                                 _mm_or_si128(control, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F))));
        /* a letter with 0x20 set is a lower-case one */
        _mm_storeu_si128((__m128i *)(void *)(low + 16 * c), _mm_or_si128(x, _mm_and_si128(letter, _mm_set1_epi8(0x20))));
        *word |= (uint64_t)(unsigned)_mm_movemask_epi8(w) << 16 * c;
        *high |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << 16 * c;
    }
}

#ifdef SP_AVX2
/* The same, 32 bytes at a time. */
__attribute__((target("avx2,bmi,bmi2"))) static inline __m256i in32(__m256i x, char lo, char hi) {
    __m256i from = _mm256_cmpgt_epi8(x, _mm256_set1_epi8((char)(lo - 1)));
    __m256i to = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(hi + 1)), x);
    return _mm256_and_si256(from, to);
}

__attribute__((target("avx2,bmi,bmi2"))) static inline void classify64_avx2(const unsigned char *p, uint64_t *word, uint64_t *high,
                                                            char *low) {
    *word = *high = 0;
    for (int c = 0; c < 2; c++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * c));
        __m256i letter = in32(_mm256_or_si256(x, _mm256_set1_epi8(0x20)), 'a', 'z');
        __m256i control = _mm256_andnot_si256(in32(x, '\t', '\r'), _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), x));
        __m256i w = _mm256_or_si256(_mm256_or_si256(letter, in32(x, '0', '9')),
                                    _mm256_or_si256(control, _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7F))));
        _mm256_storeu_si256((__m256i *)(void *)(low + 32 * c),
                            _mm256_or_si256(x, _mm256_and_si256(letter, _mm256_set1_epi8(0x20))));
        *word |= (uint64_t)(uint32_t)_mm256_movemask_epi8(w) << 32 * c;
        *high |= (uint64_t)(uint32_t)_mm256_movemask_epi8(x) << 32 * c;
    }
}
#endif

#else

/* Without SSE2: 8 bytes in a uint64_t, byte i in bits 8i to 8i+7 whatever
 * the machine's byte order, and a byte mask with bit 7 of each byte it
 * selects set. The byte arithmetic needs every byte below 0x80, so that no
 * byte's sum carries into the next; the bytes from 0x80 up have bit 7
 * cleared first (what is said about them does not matter, see above). */
static const uint64_t HIGHS = 0x8080808080808080ull;

static uint64_t load8(const unsigned char *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static void store8(char *o, uint64_t x) {
    for (int i = 0; i < 8; i++) o[i] = (char)(x >> 8 * i);
}

/* The bytes of x from lo to hi: x + (0x80 - lo) reaches bit 7 when the
 * byte is lo or more, x + (0x7F - hi) when it is above hi. */
static uint64_t in(uint64_t x, unsigned lo, unsigned hi) {
    return (x + 0x0101010101010101ull * (0x80 - lo)) & ~(x + 0x0101010101010101ull * (0x7F - hi)) & HIGHS;
}

/* A byte mask as 8 bits, bit i for byte i. The multiplier's byte k (value
 * 0x80 >> k) moves bit 0 of byte 7-k to bit 56+(7-k); every other product
 * lands below bit 56 or past bit 63, each on a bit of its own, so nothing
 * carries into the top byte. */
static uint64_t bits8(uint64_t mask) { return ((mask >> 7) * 0x0102040810204080ull) >> 56; }

static void classify64(const unsigned char *p, uint64_t *word, uint64_t *high, char *low) {
    *word = *high = 0;
    for (int c = 0; c < 8; c++) {
        uint64_t x = load8(p + 8 * c), v = x & ~HIGHS;
        uint64_t w = in(v | 0x2020202020202020ull, 'a', 'z') | in(v, '0', '9') | in(v, 0x00, 0x08) |
                     in(v, 0x0E, 0x1F) | in(v, 0x7F, 0x7F);
        store8(low + 8 * c, v + (in(v, 'A', 'Z') >> 2)); /* 0x80 >> 2 is 0x20 */
        *word |= bits8(w) << 8 * c;
        *high |= bits8(x & HIGHS) << 8 * c;
    }
}

#endif

/* Up to 64 ASCII bytes of text, classified. */
typedef struct block {
    unsigned n;    /* how many: up to the first byte from 0x80 up, at most 64 */
    uint64_t word; /* bit i set: byte i (< n) is part of a word */
    char low[80];  /* the bytes, A-Z made a-z; 16 to spare for copy16() */
} block;

/* Classify the bytes at p (avail of them, at least 1, the first ASCII);
 * avx2: with classify64_avx2() (a constant in each of scan()'s two
 * builds, see there). */
__attribute__((always_inline)) static inline void classify(const unsigned char *p, size_t avail, block *b, int avx2) {
    unsigned char pad[64];
    uint64_t high;
    b->n = avail < 64 ? (unsigned)avail : 64;
    if (avail < 64) {
        /* the end of the text: a copy with spaces after it, which are no
         * part of a word and are past n anyway */
        memset(pad, ' ', sizeof pad);
        memcpy(pad, p, avail);
        p = pad;
    }
#ifdef SP_AVX2
    if (avx2) classify64_avx2(p, &b->word, &high, b->low);
    else classify64(p, &b->word, &high, b->low);
#else
    (void)avx2;
    classify64(p, &b->word, &high, b->low);
#endif
    if (high && (unsigned)__builtin_ctzll(high) < b->n) b->n = (unsigned)__builtin_ctzll(high);
    if (b->n < 64) b->word &= (1ull << b->n) - 1;
}

/* Copy n bytes, 16 at a time: to and from have room for 15 more. */
static void copy16(char *to, const char *from, size_t n) {
    memcpy(to, from, 16);
    for (size_t i = 16; i < n; i += 16) memcpy(to + i, from + i, 16);
}

/* The words and the SimHash counters. Bit b of the fingerprint is set
 * when more than half of the shingle hashes have bit b set, so all that is
 * needed is, for each b, how many hashes had it set: ones[b].
 *
 * Each word is hashed as it ends and closes a shingle with the word before
 * it; the shingles' hashes are kept, and their bits counted BATCH at a
 * time (and at the end). */
#define BATCH 1024
_Static_assert(BATCH % 64 == 0 && BATCH <= 4032,
               "count_bits() takes 16 hashes at a time, at most 4080; count_bits_avx2() 64, at most 4032");

typedef struct words {
    uint64_t sh[BATCH]; /* shingle hashes whose bits are not counted yet */
    unsigned pending;   /* how many */
    size_t n;           /* words so far */
    uint64_t last;      /* hash of the last of them */
    size_t ones[64];
    size_t shingles;
} words;

/* The word and shingle hashes (SimHash version 2).
 *
 * A SimHash needs hashes whose 64 bits are each set half the time,
 * independently of the others; it does not need a hash that resists an
 * attacker, nor one that is fast on long inputs: words are short. Version
 * 1 hashed each word with XXH3 and each shingle with XXH3 again: about 55
 * instructions a word with XXH3's dispatch on the length and the batches
 * by length class it needed, a sixth of the deduper's instructions.
 * Version 2, about 26 a word, uses the step XXH3 and wyhash finish with,
 * mix(): the 128-bit product of two 64-bit numbers, its halves XORed.
 *   - a word of up to 16 bytes is its first 8 bytes and the next 8 (0 past
 *     its end, read with masks, no branch on the length), mixed with its
 *     length; a longer word goes on 16 bytes a step;
 *   - a shingle is mix() of its two words' hashes, then mix() again with a
 *     constant, so that every bit of it depends on every bit of both.
 * The constants are XXH3's default secret's first words. */
static const uint64_t K0 = 0xbe4ba423396cfeb8ull, K1 = 0x1cad21f72c81017cull, K2 = 0xdb979083e96dd4deull,
                      K3 = 0x1f67b3b7a4a44072ull, K4 = 0x78e5c0cc4ee679cbull, K5 = 0x2172ffcc7dd05a82ull;

static uint64_t mix(uint64_t a, uint64_t b) {
#ifdef __SIZEOF_INT128__
    unsigned __int128 p = (unsigned __int128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
#else
    /* from four 32-bit products (as tests/unit/deduper/fp_plain.h does) */
    uint64_t lo_lo = (a & 0xFFFFFFFF) * (b & 0xFFFFFFFF), hi_lo = (a >> 32) * (b & 0xFFFFFFFF);
    uint64_t lo_hi = (a & 0xFFFFFFFF) * (b >> 32), hi_hi = (a >> 32) * (b >> 32);
    uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFF) + lo_hi;
    return ((cross << 32) | (lo_lo & 0xFFFFFFFF)) ^ ((hi_lo >> 32) + (cross >> 32) + hi_hi);
#endif
}

/* 8 bytes at p as a little-endian number, whatever the machine's order. */
static uint64_t load64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The bytes of a word of n bytes (n up to 16) in its first 8 and in the
 * next 8: keep[n + 8] and keep[n]. keep[i] keeps the low i - 8 bytes of 8,
 * none below 8, all from 16 up. */
static const uint64_t keep[25] = {0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0xffull, 0xffffull, 0xffffffull, 0xffffffffull, 0xffffffffffull, 0xffffffffffffull,
                                  0xffffffffffffffull,
                                  ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};

/* Bytes 16 and on of a word longer than 16, 16 at a time, into h. */
static uint64_t word_hash_long(const char *p, size_t n, uint64_t h) {
    for (size_t at = 16; at < n; at += 16) {
        size_t k = n - at < 16 ? n - at : 16;
        h = mix((load64(p + at) & keep[k + 8]) ^ K2 ^ h, (load64(p + at + 8) & keep[k]) ^ K3);
    }
    return h;
}

/* The hash of the word p[0..n), n at least 1. Reads 16 bytes from p
 * whatever n is (the normalised text has 16 bytes to spare past its end,
 * out_bound()), and keeps those of the word. */
static inline uint64_t word_hash(const char *p, size_t n) {
    size_t k = n < 16 ? n : 16;
    uint64_t h = mix((load64(p) & keep[k + 8]) ^ K0, (load64(p + 8) & keep[k]) ^ K1 ^ n);
    return n <= 16 ? h : word_hash_long(p, n, h);
}

/* The 2-word shingle of words hashed a, b (in that order). */
static uint64_t shingle_hash(uint64_t a, uint64_t b) { return mix(mix(a ^ K2, b ^ K3) ^ K4, K5); }

/* A carry-save adder: a + b + c for each of the 64 bit positions at once,
 * as a sum bit (returned) and a carry bit (*carry, worth 2). */
static uint64_t csa(uint64_t a, uint64_t b, uint64_t c, uint64_t *carry) {
    uint64_t u = a ^ b;
    *carry = (a & b) | (u & c);
    return u ^ c;
}

/* Add h[0..8) to the running counts *ones, *twos and *fours; returns the
 * carry out, worth 8. Inline, so that the counts stay in registers. */
static inline uint64_t add8(uint64_t *ones, uint64_t *twos, uint64_t *fours, const uint64_t *h) {
    uint64_t twos_a, twos_b, fours_a, fours_b, eights;
    *ones = csa(*ones, h[0], h[1], &twos_a);
    *ones = csa(*ones, h[2], h[3], &twos_b);
    *twos = csa(*twos, twos_a, twos_b, &fours_a);
    *ones = csa(*ones, h[4], h[5], &twos_a);
    *ones = csa(*ones, h[6], h[7], &twos_b);
    *twos = csa(*twos, twos_a, twos_b, &fours_b);
    *fours = csa(*fours, fours_a, fours_b, &eights);
    return eights;
}

/* Add to ones[] how many of h[0..n) have each bit set; n is a multiple of
 * 16, at most 4080.
 *
 * Counting bit by bit would be 64 steps a hash. Instead:
 *   - A Harley-Seal adder tree reduces each 16 hashes to one word: ones,
 *     twos, fours and eights hold, bit by bit, a running count in binary
 *     (bit b of twos worth 2 for bit b, and so on), and each 16 hashes
 *     added to them carry out one word `sixteens` whose bit b is worth 16.
 *   - The sixteens are counted in packed counters: lane[j] holds eight 8-bit
 *     counters side by side, byte i counting bit 8i+j, so adding
 *     (sixteens >> j) & 0x0101010101010101 counts bits j, 8+j, ..., 56+j at
 *     once. There are at most 4080 / 16 = 255 sixteens: no byte overflows. */
static void count_bits(words *w, const uint64_t *h, unsigned n) {
    uint64_t ones = 0, twos = 0, fours = 0, eights = 0, lane[8] = {0};
    for (unsigned k = 0; k < n; k += 16) {
        uint64_t sixteens, eights_a = add8(&ones, &twos, &fours, h + k);
        uint64_t eights_b = add8(&ones, &twos, &fours, h + k + 8);
        eights = csa(eights, eights_a, eights_b, &sixteens);
        for (int j = 0; j < 8; j++) lane[j] += (sixteens >> j) & 0x0101010101010101ull;
    }
    /* Bit b = 8i + j has counted 16 times byte i of lane[j], plus bit b of
     * eights, fours, twos and ones. Those are summed four counters at a
     * time, in 16-bit fields (at most 16 * 255 + 15 each): the even bytes
     * of lane[j] (bits j, 16 + j, 32 + j, 48 + j), then the odd ones
     * (8 + j, ...). */
    const uint64_t even_bytes = 0x00FF00FF00FF00FFull, field_bit = 0x0001000100010001ull;
    for (int j = 0; j < 8; j++)
        for (int odd = 0; odd < 2; odd++) {
            int b = j + 8 * odd; /* the bit of the first field */
            uint64_t sum = 16 * (lane[j] >> 8 * odd & even_bytes) + 8 * (eights >> b & field_bit) +
                           4 * (fours >> b & field_bit) + 2 * (twos >> b & field_bit) + (ones >> b & field_bit);
            for (int k = 0; k < 4; k++) w->ones[b + 16 * k] += sum >> 16 * k & 0xFFFF;
        }
}

#ifdef SP_AVX2
/* A carry-save adder on 256 bits: csa() for four 64-bit words at once. */
__attribute__((target("avx2"))) static inline __m256i csa256(__m256i a, __m256i b, __m256i c, __m256i *carry) {
    __m256i u = _mm256_xor_si256(a, b);
    *carry = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
    return _mm256_xor_si256(u, c);
}

/* add8() on vectors: x[0..8) added to the running counts; the carry out,
 * worth 8. */
__attribute__((target("avx2"))) static inline __m256i add8_256(__m256i *ones, __m256i *twos, __m256i *fours,
                                                               const __m256i *x) {
    __m256i twos_a, twos_b, fours_a, fours_b, eights;
    *ones = csa256(*ones, x[0], x[1], &twos_a);
    *ones = csa256(*ones, x[2], x[3], &twos_b);
    *twos = csa256(*twos, twos_a, twos_b, &fours_a);
    *ones = csa256(*ones, x[4], x[5], &twos_a);
    *ones = csa256(*ones, x[6], x[7], &twos_b);
    *twos = csa256(*twos, twos_a, twos_b, &fours_b);
    *fours = csa256(*fours, fours_a, fours_b, &eights);
    return eights;
}

/* The bytes of x that count bit j of each of its bytes: byte i of each
 * 64-bit lane is bit 8i + j of that lane, as 0 or 1, shifted left by
 * `weight` (at most 4: no byte carries into the next). */
__attribute__((target("avx2"))) static inline __m256i bits_at(__m256i x, int j, int weight) {
    __m256i b = _mm256_and_si256(_mm256_srli_epi64(x, j), _mm256_set1_epi8(1));
    return weight ? _mm256_slli_epi64(b, weight) : b;
}

/* The sum of x's four 64-bit lanes, byte by byte (no byte may carry), as
 * eight 16-bit numbers. */
__attribute__((target("avx2"))) static inline __m128i lanes_sum(__m256i x) {
    x = _mm256_add_epi8(x, _mm256_permute4x64_epi64(x, 0x4E)); /* lanes 0+2, 1+3 */
    x = _mm256_add_epi8(x, _mm256_shuffle_epi32(x, 0x4E));     /* and those two */
    return _mm_cvtepu8_epi16(_mm256_castsi256_si128(x));
}

/* ones[8i + j] += element i of count[j], for all 64: the 8 by 8 matrix
 * of 16-bit counts transposed (pairs of rows interleaved by 16, 32, then
 * 64 bits), so that each row adds to 8 counters side by side. */
__attribute__((target("avx2"))) static void add_transposed(size_t ones[64], const __m128i count[8]) {
    __m128i a[8], b[8];
    for (int k = 0; k < 4; k++) {
        a[k] = _mm_unpacklo_epi16(count[2 * k], count[2 * k + 1]);     /* rows 2k, 2k+1: elements 0-3 */
        a[k + 4] = _mm_unpackhi_epi16(count[2 * k], count[2 * k + 1]); /* elements 4-7 */
    }
    for (int k = 0; k < 2; k++)
        for (int h = 0; h < 2; h++) {
            /* rows 4k to 4k+3: elements 4h, 4h+1 (b[4h + k]) and 4h+2, 4h+3 (b[4h + 2 + k]) */
            b[4 * h + k] = _mm_unpacklo_epi32(a[4 * h + 2 * k], a[4 * h + 2 * k + 1]);
            b[4 * h + 2 + k] = _mm_unpackhi_epi32(a[4 * h + 2 * k], a[4 * h + 2 * k + 1]);
        }
    for (int i = 0; i < 8; i++) {
        /* element i of every row: rows 0-3 from b[i / 2 * 2], rows 4-7 from b[i / 2 * 2 + 1] */
        __m128i lo = b[i / 2 * 2], hi = b[i / 2 * 2 + 1];
        __m128i row = i % 2 ? _mm_unpackhi_epi64(lo, hi) : _mm_unpacklo_epi64(lo, hi);
        for (int q = 0; q < 2; q++) {
            __m256i *at = (__m256i *)(void *)(ones + 8 * i + 4 * q);
            __m256i add = _mm256_cvtepu16_epi64(q ? _mm_srli_si128(row, 8) : row);
            _mm256_storeu_si256(at, _mm256_add_epi64(_mm256_loadu_si256(at), add));
        }
    }
}

/* count_bits() with AVX2: the same adder tree on four hashes at a time,
 * each 64-bit lane of a vector adding up its own quarter of the hashes
 * (the hashes k with k % 4 the lane). n is a multiple of 64, at most 4032.
 * About 1.6 instructions a hash, where counting each hash in 64 byte
 * counters took 9; then once a call, the lanes are added up:
 *   - ones, twos, fours and eights, with their weights 1, 2, 4 and 8, into
 *     byte counters (at most 15 a lane, 60 for the four);
 *   - the sixteens, counted in byte counters like count_bits()' lane[j]
 *     (one a lane every 64 hashes: at most 63 a lane, 252 for the four). */
__attribute__((target("avx2"))) static void count_bits_avx2(words *w, const uint64_t *h, unsigned n) {
    __m256i ones = _mm256_setzero_si256(), twos = ones, fours = ones, eights = ones, lane[8];
    for (int j = 0; j < 8; j++) lane[j] = _mm256_setzero_si256();
    for (unsigned k = 0; k < n; k += 64) {
        __m256i v[16], sixteens;
        for (int i = 0; i < 16; i++) v[i] = _mm256_loadu_si256((const __m256i *)(const void *)(h + k + 4 * i));
        __m256i eights_a = add8_256(&ones, &twos, &fours, v), eights_b = add8_256(&ones, &twos, &fours, v + 8);
        eights = csa256(eights, eights_a, eights_b, &sixteens);
        for (int j = 0; j < 8; j++) lane[j] = _mm256_add_epi8(lane[j], bits_at(sixteens, j, 0));
    }
    __m128i count[8]; /* count[j]: 16-bit element i counts bit 8i + j */
    for (int j = 0; j < 8; j++) {
        __m256i low = _mm256_add_epi8(_mm256_add_epi8(bits_at(ones, j, 0), bits_at(twos, j, 1)),
                                      _mm256_add_epi8(bits_at(fours, j, 2), bits_at(eights, j, 3)));
        count[j] = _mm_add_epi16(lanes_sum(low), _mm_slli_epi16(lanes_sum(lane[j]), 4));
    }
    add_transposed(w->ones, count);
}
#endif

/* The pending hashes padded with hashes of 0 (which count no bits) to a
 * multiple of unit; how many that makes. */
static unsigned pad_pending(words *w, unsigned unit) {
    unsigned padded = (w->pending + unit - 1) / unit * unit;
    memset(w->sh + w->pending, 0, (padded - w->pending) * sizeof *w->sh);
    return padded;
}

/* Count the bits of the shingles not counted yet. */
static void count_pending(words *w) {
#ifdef SP_AVX2
    if (sp_avx2()) count_bits_avx2(w, w->sh, pad_pending(w, 64));
    else count_bits(w, w->sh, pad_pending(w, 16));
#else
    count_bits(w, w->sh, pad_pending(w, 16));
#endif
    w->shingles += w->pending;
    w->pending = 0;
}

/* What scan() keeps of *w word by word: in a local variable, so in
 * registers, where w's own fields went through memory every word (the
 * next word's shingle waited on the store of `last`): 4 instructions a word
 * fewer. Written back to w (tally_put()) before the bits are counted. */
typedef struct tally {
    size_t n;         /* words so far */
    uint64_t last;    /* hash of the last of them */
    unsigned pending; /* shingle hashes in w->sh not counted yet */
} tally;

static void tally_put(words *w, const tally *t) {
    w->n = t->n;
    w->last = t->last;
    w->pending = t->pending;
}

/* A word ended: at[0..n) in the normalised text; count_only: it is
 * counted, not hashed. Inline: it runs for every word, and is small but for
 * the call of count_pending(). */
__attribute__((always_inline)) static inline void add_word(words *w, tally *t, const char *at, size_t n,
                                                           int count_only) {
    if (count_only) {
        t->n++;
        return;
    }
    uint64_t h = word_hash(at, n);
    if (t->n++) w->sh[t->pending++] = shingle_hash(t->last, h); /* each word but the first closes a shingle */
    t->last = h;
    if (t->pending == BATCH) {
        tally_put(w, t);
        count_pending(w);
        t->pending = 0;
    }
}

/* Bit b set when more than half the shingles have it. */
static uint64_t simhash(const words *w) {
    uint64_t s = 0;
    for (int b = 0; b < 64; b++) s |= (uint64_t)(2 * w->ones[b] > w->shingles) << b; /* no branch: vectorised */
    return s;
}

/* The most normalised text len bytes of input can give, and 16 bytes to
 * spare for copy16() past it. Each character gives at most a space and its
 * lower-case UTF-8, as long as its own: 2 bytes from an ASCII byte, 3 from
 * 2 bytes, 4 from 3, 5 from 4. Only a sequence cut off by the end of the
 * text gives more than twice its length: its lead byte alone up to 4, the
 * byte after it 3. */
static size_t out_bound(size_t len) { return len <= (SIZE_MAX - 32) / 2 ? 2 * len + 32 : SIZE_MAX; }

/* Normalise text[0..len) into out (out_bound(len) bytes), hash its words
 * and count its shingles into *w (count_only: only count its words);
 * returns how many bytes it wrote. Every word is written with a space
 * before it, the first too (one test a word fewer): the normalised text is
 * what follows the first byte. Always inlined, into the two calls of
 * normalise() that give count_only as a constant: the test for it leaves
 * the loop over the words. */
__attribute__((always_inline)) static inline size_t scan(const char *text, size_t len, char *out, words *w,
                                                         int count_only, int avx2) {
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    char *o = out;
    char *word = NULL; /* start of the word being written, NULL between words */
    tally t = {w->n, w->last, w->pending};
    while (p < end) {
        if (*p < 0x80) {
            /* a block of ASCII: the runs of word bytes in it, found from
             * the word bits: starts has a bit where a run starts, ends
             * where one ends, the k-th end pairing with the k-th start */
            block b;
            classify(p, (size_t)(end - p), &b, avx2);
            uint64_t starts = b.word & ~(b.word << 1), ends = b.word & ~(b.word >> 1);
            p += b.n;
            if (word) {
                if (b.word & 1) {
                    /* the word open at the end of the last block goes on */
                    unsigned to = (unsigned)__builtin_ctzll(ends) + 1;
                    starts &= starts - 1;
                    ends &= ends - 1;
                    copy16(o, b.low, to);
                    o += to;
                    if (to == b.n) continue;
                }
                add_word(w, &t, word, (size_t)(o - word), count_only);
                word = NULL;
            }
            while (starts) {
                unsigned from = (unsigned)__builtin_ctzll(starts), to = (unsigned)__builtin_ctzll(ends) + 1;
                starts &= starts - 1;
                ends &= ends - 1;
                *o++ = ' ';
                word = o;
                copy16(o, b.low + from, to - from);
                o += to - from;
                if (to == b.n) break; /* the word may go on past the block */
                add_word(w, &t, word, (size_t)(o - word), count_only);
                word = NULL;
            }
            continue;
        }
        size_t k;
        uint32_t c = decode(p, end, &k);
        p += k;
        if (is_white(c) || is_punct(c) || is_cjk(c)) {
            if (word) add_word(w, &t, word, (size_t)(o - word), count_only);
            word = NULL;
            if (!is_cjk(c)) continue;
            /* an ideograph is a word of its own */
            *o++ = ' ';
            size_t u = sp_utf8_encode(c, o);
            add_word(w, &t, o, u, count_only);
            o += u;
            continue;
        }
        if (!word) {
            *o++ = ' ';
            word = o;
        }
        o += sp_utf8_encode(lower(c), o);
    }
    if (word) add_word(w, &t, word, (size_t)(o - word), count_only);
    tally_put(w, &t);
    if (!count_only) count_pending(w);
    return (size_t)(o - out);
}

/* scan() built four times, with count_only and avx2 constants. The AVX2
 * builds are whole functions for AVX2, BMI1 and BMI2 (util.h: sp_avx2()
 * checks all three): classify64_avx2() inlined into the loop, not called
 * (with classify()) for each 64 bytes, and BMI's instructions for the bit
 * work (tzcnt, blsr, mulx for mix()). Few instructions fewer (250 of the
 * 21,000 a bench story's body costs), but no call and return a block: the
 * deduper's median over 8 interleaved pairs of 200,000-story runs went up
 * 4.5% (this VM's noise is about as large; the instructions are callgrind's,
 * tests/unit/deduper/test_fingerprint.c checks both builds give the same). */
static size_t scan_hash(const char *text, size_t len, char *out, words *w) { return scan(text, len, out, w, 0, 0); }
static size_t scan_count(const char *text, size_t len, char *out, words *w) { return scan(text, len, out, w, 1, 0); }
#ifdef SP_AVX2
__attribute__((target("avx2,bmi,bmi2"))) static size_t scan_hash_avx2(const char *text, size_t len, char *out,
                                                                       words *w) {
    return scan(text, len, out, w, 0, 1);
}
__attribute__((target("avx2,bmi,bmi2"))) static size_t scan_count_avx2(const char *text, size_t len, char *out,
                                                                        words *w) {
    return scan(text, len, out, w, 1, 1);
}
#endif

/* Most stories' normalised text fits on the stack: no malloc for them. */
#define LOCAL 8192

/* Normalise text[0..len) into *buf: `local` (LOCAL bytes) when it fits,
 * else malloc'ed (free it when it is not `local`); its words scanned into
 * *w, hashed or (count_only) only counted. The normalised text is at *at,
 * in *buf; returns its length. */
static size_t normalise(const char *text, size_t len, int count_only, char *local, char **buf, const char **at,
                        words *w) {
    size_t n;
    *buf = local && out_bound(len) <= LOCAL ? local : sp_xmalloc(out_bound(len));
    memset(w->ones, 0, sizeof w->ones);
    w->shingles = 0;
    w->pending = 0;
    w->n = 0;
    w->last = 0;
#ifdef SP_AVX2
    if (sp_avx2()) n = count_only ? scan_count_avx2(text, len, *buf, w) : scan_hash_avx2(text, len, *buf, w);
    else n = count_only ? scan_count(text, len, *buf, w) : scan_hash(text, len, *buf, w);
#else
    n = count_only ? scan_count(text, len, *buf, w) : scan_hash(text, len, *buf, w);
#endif
    *at = n ? *buf + 1 : *buf; /* past the space before the first word */
    return n ? n - 1 : 0;
}

void fp_compute(const char *text, size_t len, fp_text *out) {
    words w;
    char local[LOCAL], *buf;
    const char *at;
    size_t n = normalise(text, len, 0, local, &buf, &at, &w);
    if (w.n == 1) { /* too few words for a shingle: the word is one */
        uint64_t h = sp_hash64(at, n);
        for (int b = 0; b < 64; b++) w.ones[b] += h >> b & 1;
        w.shingles = 1;
    }
    out->exact = sp_hash64(at, n);
    out->words = w.n;
    out->simhash = simhash(&w);
    if (buf != local) free(buf);
}

uint64_t fp_exact(const char *text, size_t len) {
    words w;
    char local[LOCAL], *buf;
    const char *at;
    size_t n = normalise(text, len, 1, local, &buf, &at, &w);
    uint64_t exact = sp_hash64(at, n);
    if (buf != local) free(buf);
    return exact;
}

char *fp_normalise(const char *text, size_t len, size_t *n) {
    words w;
    char *buf;
    const char *at;
    *n = normalise(text, len, 1, NULL, &buf, &at, &w);
    memmove(buf, at, *n);
    buf[*n] = '\0';
    return buf;
}

int fp_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }
