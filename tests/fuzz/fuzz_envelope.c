/* fuzz_envelope.c — differential libFuzzer target for the envelope check.
 *
 * sp_envelope_parse (jansson's json_loadb) and sp_envelope_check (the
 * jsonscan scanner, no DOM) must give the same verdict and the same reason
 * code for every input: a disagreement prints both and aborts, which
 * libFuzzer reports as a crash with the input saved as the reproducer. The
 * same property as tests/unit/test_jsonscan.c, coverage-guided, and under
 * ASan + UBSan (leaks included) for both paths. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

/* Above libFuzzer's -max_len, so too_large is never the verdict (both paths
 * share that check anyway). */
#define MAX_BYTES (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sp_fail a, b;
    json_t *j;
    int rb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    j = sp_envelope_parse(data, size, MAX_BYTES, &a);
    rb = sp_envelope_check(data, size, MAX_BYTES, &b);
    if ((j != NULL) != (rb == 0) || strcmp(a.reason, b.reason) != 0) {
        fprintf(stderr, "\nfuzz_envelope: disagreement on %zu bytes '%.*s'\n  jansson: %s (%s)\n  scanner: %s (%s)\n",
                size, (int)(size > 300 ? 300 : size), (const char *)data, j ? "ok" : a.reason, j ? "" : a.detail,
                rb == 0 ? "ok" : b.reason, rb == 0 ? "" : b.detail);
        abort();
    }
    json_decref(j);
    return 0;
}
