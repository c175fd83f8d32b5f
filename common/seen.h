/* seen.h — where the deduper's seen-state lives in Redis, shared by the
 * deduper (services/deduper) and `storypipe seen` (tools/storypipe).
 *
 * Every claim is an entry in a hash "bucket", not a key of its own: Redis
 * keeps a hash of up to hash-max-listpack-entries (128) entries as one
 * compact listpack, about 20 bytes an entry, where a key with a TTL costs
 * about 100. A 64-bit hash picks one of 2^bucket_bits buckets with its top
 * bits and is the field with its low 6 bytes. Size bucket_bits so that the
 * stories kept within the TTL / 2^bucket_bits stay under about 80, so the
 * fullest bucket stays under 128 (12, the default, fits 330,000 stories; 16
 * fits 5 million):
 *
 *   <prefix>r<2 bytes>   story records, by story_id
 *   <prefix>u<2 bytes>   canonical URL -> the story that owns it
 *   <prefix>c<2 bytes>   normalised text -> the story that owns it
 *   <prefix>t<2 bytes>   title + summary of a short story -> its owner
 *   <prefix>n2:<day>     the near log of a day (decimal days since 1970):
 *                        24 bytes per kept long story (SimHash, story_id,
 *                        title + summary hash or 0),
 *                        appended, expiring TTL + 2 days after its day.
 *                        2 is the SimHash's version (SP_SEEN_NEAR_VERSION):
 *                        fingerprints of two versions do not compare, so
 *                        each version has logs of its own. Version 1's,
 *                        <prefix>n<day>, are no longer read and expire
 *   <prefix>w<4 bytes>   a deduper writer's last committed batch number
 *   <prefix>stats        counters of decisions
 *   <prefix>layout       "bucket-bits N": the bucket_bits the state was
 *                        written with, set by the first deduper to connect.
 *                        A hash's bucket depends on it, so a deduper with
 *                        another one would look for every claim in the
 *                        wrong bucket (and keep every story again): it
 *                        refuses to run on that state
 *
 * Claims carry the day they were written; one older than the TTL counts as
 * absent and is overwritten when met, or deleted by the deduper's sweep
 * (one bucket a batch). Claim values: sp_seen_claim_encode(); records:
 * services/deduper/store.c. */
#ifndef SP_SEEN_H
#define SP_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define SP_SEEN_KEY_MAX 128 /* the longest prefix is 64 bytes */
#define SP_SEEN_FIELD 6
#define SP_SEEN_MAX_BANDS 8
#define SP_SEEN_BUCKET_BITS 12 /* the default */
#define SP_SEEN_BUCKET_BITS_MIN 4
#define SP_SEEN_BUCKET_BITS_MAX 16
#define SP_SEEN_NEAR_ENTRY 24
#define SP_SEEN_CLAIM 10 /* a claim's value: its owner's story_id (8 bytes), the day (2) */
#define SP_SEEN_NEAR_VERSION 2 /* the SimHash version the near logs hold (services/deduper/fingerprint.h) */

/* The bucket key for hash h of `kind` into key (returns its length), and
 * the field into field[6]. */
size_t sp_seen_key(char *key, const char *prefix, char kind, uint64_t h, int bucket_bits, char field[SP_SEEN_FIELD]);
/* Bucket number `bucket` of `kind` (for a walk over all of them). */
size_t sp_seen_bucket_key(char *key, const char *prefix, char kind, unsigned bucket);
/* The near log of `day` (of SimHash version SP_SEEN_NEAR_VERSION). */
size_t sp_seen_near_key(char *key, const char *prefix, long day);
/* The last committed batch of writer `writer`. */
size_t sp_seen_writer_key(char *key, const char *prefix, uint32_t writer);
/* The counters' key. */
size_t sp_seen_stats_key(char *key, const char *prefix);

/* The bucket_bits of the state under prefix, in *bits: 0 when none is
 * recorded; with claim_bits (not 0), a state with none is given claim_bits
 * first (SET NX), so *bits is claim_bits unless another value was there.
 * 0; -1 on a Redis error; -2 when the key holds something else. */
int sp_seen_layout(redisContext *c, const char *prefix, int claim_bits, int *bits);

/* A claim's value for `owner` (a story_id's 8 bytes as a big-endian
 * number) written on `day`; and back: 0, or -1 when v is not a claim. */
void sp_seen_claim_encode(uint64_t owner, long day, char v[SP_SEEN_CLAIM]);
int sp_seen_claim_decode(const char *v, size_t len, uint64_t *owner, long *day);
/* A story_id's 8 bytes (as a big-endian number) as its 16 hex digits. */
void sp_seen_story_hex(uint64_t id, char out[17]);

/* The hash of a canonical URL, as the URL buckets use it. */
uint64_t sp_seen_url_hash(const char *canonical_url);
/* A story_id (16 lowercase hex digits, story_id[0..len)) as 8 bytes; -1
 * when it is not one. */
int sp_seen_story_bytes(const char *story_id, size_t len, uint8_t out[8]);

/* The story that owns a canonical URL: 1 with owner (16 hex digits) and
 * the day it was written, 0 when none, -1 on a Redis error. */
int sp_seen_url_owner(redisContext *c, const char *prefix, int bucket_bits, const char *canonical_url, char owner[17],
                      long *day);
/* Forget a URL (its owner keeps its record). 1 removed, 0 absent, -1 error. */
int sp_seen_url_forget(redisContext *c, const char *prefix, int bucket_bits, const char *canonical_url);

/* Today, in days since 1970-01-01 (UTC), as the entries record it. */
long sp_seen_today(void);

#endif
