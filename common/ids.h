/* ids.h — stable identifiers. A document or story id is the 64-bit XXH3 of
 * what identifies it, as 16 lowercase hex digits: the same input always
 * gives the same id, so replays and re-ingests are recognisable. */
#ifndef SP_IDS_H
#define SP_IDS_H

#include <stddef.h>
#include <stdint.h>

#define SP_ID_LEN 17 /* 16 hex digits and the NUL */

uint64_t sp_hash64(const void *data, size_t len);
/* The 128-bit XXH3 of data, big-endian into out[16]. */
void sp_hash128(const void *data, size_t len, uint8_t out[16]);
void sp_id_hex(uint64_t h, char out[SP_ID_LEN]);
/* The id of the concatenation of two strings with a 0 byte between them. */
void sp_id2(const char *a, const char *b, char out[SP_ID_LEN]);

#endif
