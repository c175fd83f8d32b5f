/* fingerprint.h — what the deduper compares stories by, apart from URLs:
 *
 *   exact    a 64-bit hash of the normalised text: letters folded to lower
 *            case, punctuation dropped, white space runs made one space, so
 *            the same story with other quotes, dashes or line breaks matches;
 *   simhash  a 64-bit SimHash (Charikar; Manku et al., WWW 2007) over
 *            2-word shingles of the same words: texts with a few words
 *            changed have fingerprints a few bits apart (each one word of
 *            a 126-word text changed in turn: within 3 bits 73 times,
 *            within 6 bits every time; 100 texts of its words drawn at
 *            random: at least 18 bits apart; test_quality in
 *            tests/unit/deduper/test_fingerprint.c. 2-word shingles catch
 *            edits more often than 3-word ones and still keep unrelated
 *            stories 10+ bits apart);
 *   words    how many words there are (a CJK character counts as a word),
 *            since near-matching short texts is risky.
 * Pure functions; the Redis side is in store.c.
 *
 * The SimHash is kept in Redis (the near logs, common/seen.h), so how it is
 * computed is versioned: a change to its word or shingle hashes is a new
 * FP_SIMHASH_VERSION, and a new SP_SEEN_NEAR_VERSION with it. Version 1
 * hashed words and shingles with XXH3; version 2 (fingerprint.c) with a
 * multiply-fold in less than half the instructions. Their quality is
 * the same: on test_quality's texts, version 1 gave 72, 123 (at most 9
 * bits) and 16 bits. */
#ifndef FINGERPRINT_H
#define FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#define FP_SIMHASH_VERSION 2

typedef struct fp_text {
    uint64_t exact;
    uint64_t simhash;
    size_t words;
} fp_text;

void fp_compute(const char *text, size_t len, fp_text *out);

/* The exact hash alone, as fp_compute() gives it, without the SimHash's
 * work (most of fp_compute's). */
uint64_t fp_exact(const char *text, size_t len);

/* The normalised text (malloc'ed, *n bytes): what `exact` hashes. */
char *fp_normalise(const char *text, size_t len, size_t *n);

/* Bits that differ. */
int fp_distance(uint64_t a, uint64_t b);

#endif
