/* near.h — the deduper's index of kept stories' SimHashes (and the hashes
 * of their title and summary), in its own memory, for finding near
 * duplicates.
 *
 * Why in memory and not in Redis: a candidate lookup reads every story
 * that shares a band with the new one; done in Redis that is several reads
 * and writes per story, which cost more than the rest of the decision
 * together. The index is filled from the near log every deduper appends to
 * (common/seen.h: <prefix>n<day>, 24 bytes a kept story), read at start and
 * caught up at every batch, so every instance sees every instance's stories
 * one batch later.
 *
 * The stories are split into `bands` bands of 64/bands bits (at most 32):
 * two SimHashes fewer than `bands` bits apart agree on at least one band,
 * so every story within bands - 1 bits is found (and many further ones). */
#ifndef NEAR_H
#define NEAR_H

#include <stddef.h>
#include <stdint.h>

typedef struct near_entry {
    uint64_t simhash;
    uint64_t id;    /* the story_id's 8 bytes, big-endian */
    uint64_t brief; /* its title and summary's hash, 0 for none */
    long day;       /* the day it was kept */
} near_entry;

/* A band's slot: the entries whose band has one value (or, for bands wider
 * than the table, one hash of it). The first four are kept in the slot
 * itself, a cache line, with their SimHashes, so a lookup reads one line
 * per band for most slots; the others in a growing array beside it. */
#define NEAR_SLOT_INLINE 4

typedef struct near_more {
    uint64_t simhash;
    uint32_t entry; /* entry index + 1 */
} near_more;

typedef struct near_slot {
    uint64_t simhash[NEAR_SLOT_INLINE];
    uint32_t entry[NEAR_SLOT_INLINE]; /* entry index + 1 */
    uint32_t n;                       /* entries in the slot, the first NEAR_SLOT_INLINE here */
    uint32_t more_cap;
    near_more *more; /* entries NEAR_SLOT_INLINE and on */
} near_slot;

/* A slot of the title + summary table (open addressing): 8 bytes, the
 * hash's low 32 bits only, the entry holding the whole of it (at 16 bytes,
 * the table's growth cleared twice the memory, 3% of the deduper's time
 * over 200,000 stories, and a lookup missed the cache more often). */
typedef struct near_brief_slot {
    uint32_t tag;   /* the title + summary hash's low 32 bits */
    uint32_t entry; /* entry index + 1, 0 for an empty slot */
} near_brief_slot;

typedef struct near_index {
    int bands, band_bits, table_bits;
    near_slot *slots; /* bands tables of 2^table_bits slots */
    near_entry *v;
    size_t n, cap;
    near_brief_slot *briefs;
    size_t briefs_cap, briefs_n;
    near_slot **with_more; /* the slots with an array beside them, to free without a walk of all */
    size_t n_with_more, with_more_cap;
} near_index;

void near_init(near_index *ix, int bands);
void near_free(near_index *ix);
/* Forget every entry (kept: the bands). */
void near_clear(near_index *ix);
/* Forget the entries kept `ttl` days or more before `today`. */
void near_expire(near_index *ix, long today, long ttl);
/* Add a kept story (once: the same simhash and id again is ignored). */
void near_add(near_index *ix, uint64_t simhash, uint64_t id, uint64_t brief, long day);
/* The nearest story other than `self`, kept within `ttl` days of `today`,
 * at most `threshold` bits away (ties: the smaller id). Its distance, with
 * *owner set, or -1 when there is none. */
int near_best(const near_index *ix, uint64_t simhash, uint64_t self, long today, long ttl, int threshold,
              uint64_t *owner);
/* Ask for the memory near_best() and near_brief() will read for these
 * hashes (brief 0: none), so that its cache misses are under way while
 * the caller does other work. A hint: it changes nothing. */
void near_prefetch(const near_index *ix, uint64_t simhash, uint64_t brief);
/* The first story other than `self`, kept within `ttl` days of `today`,
 * with this title and summary: 1 with *owner set, or 0. */
int near_brief(const near_index *ix, uint64_t brief, uint64_t self, long today, long ttl, uint64_t *owner);

#endif
