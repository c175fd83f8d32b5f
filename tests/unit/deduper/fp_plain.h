/* fp_plain.h — SimHash version 2 (services/deduper/fingerprint.h) computed
 * the plain way, to check fingerprint.c's fast one against: a word's bytes
 * put together one by one, little-endian (fingerprint.c reads 16 at a time
 * and masks off what is past the word), the 128-bit product from four
 * 32-bit ones (fingerprint.c has the compiler's 128-bit multiply), each
 * shingle's 64 bits counted one by one. Shared by test_fingerprint.c and
 * tests/fuzz/fuzz_fingerprint.c, which each include it once: the functions
 * are static. */
#ifndef TEST_FP_PLAIN_H
#define TEST_FP_PLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fingerprint.h"
#include "ids.h"
#include "util.h"

static const uint64_t FP_K0 = 0xbe4ba423396cfeb8ull, FP_K1 = 0x1cad21f72c81017cull, FP_K2 = 0xdb979083e96dd4deull,
                      FP_K3 = 0x1f67b3b7a4a44072ull, FP_K4 = 0x78e5c0cc4ee679cbull, FP_K5 = 0x2172ffcc7dd05a82ull;

/* the 128-bit product of a and b, its halves XORed */
static uint64_t plain_mix(uint64_t a, uint64_t b) {
    uint64_t lo_lo = (a & 0xFFFFFFFF) * (b & 0xFFFFFFFF), hi_lo = (a >> 32) * (b & 0xFFFFFFFF);
    uint64_t lo_hi = (a & 0xFFFFFFFF) * (b >> 32), hi_hi = (a >> 32) * (b >> 32);
    uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFF) + lo_hi;
    return ((cross << 32) | (lo_lo & 0xFFFFFFFF)) ^ ((hi_lo >> 32) + (cross >> 32) + hi_hi);
}

/* p[from..from+8) as a number, byte i in bits 8i to 8i+7, 0 past n */
static uint64_t plain_bytes(const char *p, size_t n, size_t from) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && from + i < n; i++) v |= (uint64_t)(unsigned char)p[from + i] << 8 * i;
    return v;
}

static uint64_t plain_word(const char *p, size_t n) {
    uint64_t h = plain_mix(plain_bytes(p, n, 0) ^ FP_K0, plain_bytes(p, n, 8) ^ FP_K1 ^ n);
    for (size_t at = 16; at < n; at += 16)
        h = plain_mix(plain_bytes(p, n, at) ^ FP_K2 ^ h, plain_bytes(p, n, at + 8) ^ FP_K3);
    return h;
}

/* the shingle of words a[0..na), b[0..nb), in that order */
static uint64_t plain_shingle(const char *a, size_t na, const char *b, size_t nb) {
    return plain_mix(plain_mix(plain_word(a, na) ^ FP_K2, plain_word(b, nb) ^ FP_K3) ^ FP_K4, FP_K5);
}

/* The words of normalised text norm[0..n) (split at its spaces): word j
 * is norm[at[j]..at[j] + wl[j]); at and wl have room for n / 2 + 1.
 * Returns how many. */
static size_t plain_split(const char *norm, size_t n, size_t *at, size_t *wl) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && norm[i - 1] != ' ') continue;
        at[k] = i;
        while (i < n && norm[i] != ' ') i++;
        wl[k] = i - at[k];
        k++;
    }
    return k;
}

/* The SimHash of text[0..len): fp_normalise()'s words (plain_split()),
 * each shingle hashed with plain_shingle(), its 64 bits counted one by one;
 * a text of one word has the word's sp_hash64() instead. The number of
 * words in *words. */
static uint64_t plain_simhash(const char *text, size_t len, size_t *words) {
    size_t n, *at, *wl, k, ones[64] = {0}, shingles = 0;
    char *norm = fp_normalise(text, len, &n);
    at = sp_xmalloc((n / 2 + 1) * sizeof *at);
    wl = sp_xmalloc((n / 2 + 1) * sizeof *wl);
    k = plain_split(norm, n, at, wl);
    for (size_t j = 1; j < k; j++, shingles++) {
        uint64_t h = plain_shingle(norm + at[j - 1], wl[j - 1], norm + at[j], wl[j]);
        for (int b = 0; b < 64; b++) ones[b] += h >> b & 1;
    }
    uint64_t s = 0;
    if (k == 1) s = sp_hash64(norm, n);
    for (int b = 0; b < 64 && k > 1; b++)
        if (2 * ones[b] > shingles) s |= 1ull << b;
    *words = k;
    free(at);
    free(wl);
    free(norm);
    return s;
}

#endif
