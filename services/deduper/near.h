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

/* A link of a band's chain: the entry's SimHash is kept in it, so that a
 * lookup reads one cache line per candidate, not two. */
typedef struct near_link {
    uint64_t simhash;
    uint32_t next; /* the next entry index + 1 in the chain, 0 at its end */
} near_link;

/* A slot of the title + summary table (open addressing). */
typedef struct near_brief_slot {
    uint64_t brief;
    uint32_t entry; /* entry index + 1, 0 for an empty slot */
} near_brief_slot;

typedef struct near_index {
    int bands, band_bits, table_bits;
    uint32_t *heads;  /* bands tables of 2^table_bits chains: entry index + 1, 0 for none */
    near_link *links; /* per entry and band */
    near_entry *v;
    size_t n, cap;
    near_brief_slot *briefs;
    size_t briefs_cap, briefs_n;
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
/* The first story other than `self`, kept within `ttl` days of `today`,
 * with this title and summary: 1 with *owner set, or 0. */
int near_brief(const near_index *ix, uint64_t brief, uint64_t self, long today, long ttl, uint64_t *owner);

#endif
