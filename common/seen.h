/* seen.h — where the deduper's seen-state lives in Redis, shared by the
 * deduper (services/deduper) and `storypipe seen` (tools/storypipe).
 *
 * Every fact is an entry in a hash "bucket", not a key of its own: Redis
 * keeps a small hash as one compact listpack, about 20 bytes an entry,
 * where a key with a TTL costs about 100. A 64-bit hash picks the bucket
 * with its first 2 bytes and is the field with the other 6:
 *
 *   <prefix>r<2 bytes>   story records, by story_id
 *   <prefix>u<2 bytes>   canonical URL -> the story that owns it
 *   <prefix>c<2 bytes>   normalised text -> the story that owns it
 *   <prefix>t<2 bytes>   title + summary of a short story -> its owner
 *   <prefix>b<band><value>   SimHash band buckets: story -> its SimHash
 *   <prefix>stats        counters of decisions
 *
 * Entries carry the day they were written; one older than the TTL counts
 * as absent and is deleted when met (services/deduper/decide.lua). */
#ifndef SP_SEEN_H
#define SP_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define SP_SEEN_KEY_MAX 128 /* the longest prefix is 64 bytes */
#define SP_SEEN_FIELD 6
#define SP_SEEN_MAX_BANDS 8

/* The bucket key for hash h of `kind` into key (returns its length), and
 * the field into field[6]. */
size_t sp_seen_key(char *key, const char *prefix, char kind, uint64_t h, char field[SP_SEEN_FIELD]);
/* The bucket of SimHash band `band` (0-based) holding band value `value`. */
size_t sp_seen_band_key(char *key, const char *prefix, int band, uint32_t value);
/* The counters' key. */
size_t sp_seen_stats_key(char *key, const char *prefix);

/* The hash of a canonical URL, as the URL buckets use it. */
uint64_t sp_seen_url_hash(const char *canonical_url);
/* A story_id (16 hex digits) as 8 bytes; -1 when it is not one. */
int sp_seen_story_bytes(const char *story_id, uint8_t out[8]);

/* The story that owns a canonical URL: 1 with owner (16 hex digits) and
 * the day it was written, 0 when none, -1 on a Redis error. */
int sp_seen_url_owner(redisContext *c, const char *prefix, const char *canonical_url, char owner[17], long *day);
/* Forget a URL (its owner keeps its record). 1 removed, 0 absent, -1 error. */
int sp_seen_url_forget(redisContext *c, const char *prefix, const char *canonical_url);

/* Today, in days since 1970-01-01 (UTC), as the entries record it. */
long sp_seen_today(void);

#endif
