/* fuzz_fingerprint.c — libFuzzer target for the deduper's fingerprints
 * (services/deduper/fingerprint.c).
 *
 * fingerprint.c classifies ASCII 64 bytes at a time (AVX2 where the
 * processor has it, else SSE2) and hashes each word reading 16 bytes from
 * its start, past its end. For every input that is valid UTF-8 without NUL
 * (what a story's text can be: its JSON was checked, and \u0000 refused):
 *   - the AVX2 and SSE2 paths give the same normalised text, word count,
 *     exact hash and SimHash;
 *   - the SimHash and word count are the plain way's (fp_plain.h);
 *   - the exact hash is sp_hash64() of fp_normalise()'s text, and
 *     fp_exact() gives it too;
 *   - the normalised text is valid UTF-8, no longer than out_bound() allows,
 *     with single spaces between words and none at either end.
 * AddressSanitizer watches the reads past each word. A violation aborts,
 * which libFuzzer reports with the input saved as the reproducer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "fp_plain.h"
#include "ids.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, size_t size) {
    fprintf(stderr, "\nfuzz_fingerprint: %s (input of %zu bytes)\n", what, size);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    fp_text a, b;
    size_t n1, n2, words;
    if (memchr(data, 0, size) || !sp_utf8_valid(text, size)) return 0;
    sp_no_avx2 = 0;
    char *x = fp_normalise(text, size, &n1);
    fp_compute(text, size, &a);
    sp_no_avx2 = 1;
    char *y = fp_normalise(text, size, &n2);
    fp_compute(text, size, &b);
    sp_no_avx2 = 0;
    if (n1 != n2 || memcmp(x, y, n1) != 0) fail("the AVX2 and SSE2 paths normalise differently", size);
    if (a.exact != b.exact || a.simhash != b.simhash || a.words != b.words)
        fail("the AVX2 and SSE2 paths fingerprint differently", size);
    if (a.simhash != plain_simhash(text, size, &words) || a.words != words)
        fail("the SimHash or the word count is not the plain way's", size);
    if (a.exact != sp_hash64(x, n1) || fp_exact(text, size) != a.exact)
        fail("the exact hash is not the normalised text's", size);
    if (!sp_utf8_valid(x, n1) || n1 > 2 * size + 16) fail("the normalised text is not valid UTF-8, or too long", size);
    if (n1 && (x[0] == ' ' || x[n1 - 1] == ' ' || strstr(x, "  "))) fail("the normalised text has stray spaces", size);
    free(x);
    free(y);
    return 0;
}
