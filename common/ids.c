/* ids.c — stable identifiers from XXH3 (see ids.h). */
#include "ids.h"

#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* for XXH3_state_t on the stack */
#include <xxhash.h>

uint64_t sp_hash64(const void *data, size_t len) { return XXH3_64bits(data, len); }

void sp_hash128(const void *data, size_t len, uint8_t out[16]) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
    memcpy(out, c.digest, 16);
}

void sp_id_hex(uint64_t h, char out[SP_ID_LEN]) { snprintf(out, SP_ID_LEN, "%016llx", (unsigned long long)h); }

void sp_id2(const char *a, const char *b, char out[SP_ID_LEN]) {
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, a, strlen(a) + 1);
    XXH3_64bits_update(&st, b, strlen(b));
    sp_id_hex(XXH3_64bits_digest(&st), out);
}
