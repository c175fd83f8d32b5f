/* store.h — the deduper's decisions against its state in Redis (layout in
 * common/seen.h). A batch of stories costs a few pipelined round trips,
 * whatever its size: every story's claims are taken with HSETNX (atomic:
 * two deduper instances deciding stories with the same URL at once cannot
 * both keep theirs), the owners of the claims that were taken already are
 * read, the decisions are made here, and what they change is written back.
 *
 * Decisions are pending until the stories' emission is durable: every
 * record names the writer (a random number per deduper run, changed after
 * an abort) and the batch that wrote it, and a commit stores the writer's
 * last committed batch (one key), so a record is confirmed when its batch
 * is at most that. A story met again while its record is pending is
 * emitted again, as it was decided. */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "stage.h"

typedef struct store_options {
    const char *redis_url;
    const char *prefix;
    long ttl_days;
    int threshold;   /* most bits a near duplicate's SimHash may differ by */
    int bands;       /* SimHash bands candidates are looked up by (complete up to bands - 1 bits) */
    int reemit;      /* emit replays too */
    int bucket_bits; /* 2^bucket_bits buckets per kind of claim; 0: SP_SEEN_BUCKET_BITS */
} store_options;

/* What a decision is made on (filled by dedup.c). */
typedef struct store_story {
    uint8_t id[8];      /* the story_id's bytes */
    uint64_t content;   /* the normalised text's hash */
    uint64_t url;       /* the canonical URL's hash, when has_url */
    uint64_t brief;     /* title + summary's hash, when has_brief (a short story's is a claim) */
    uint64_t simhash;   /* when has_simhash (long stories) */
    int has_url, has_brief, has_simhash;
} store_story;

typedef struct store_decision {
    char decision[12]; /* new, update, replay, duplicate */
    int revision;
    char owner[17];    /* duplicates: the story kept */
    char reason[8];    /* url, exact, near */
    int distance;
    int emit;          /* 1: send it */
} store_decision;

typedef struct store store;

/* Options checked; Redis is connected on first use. NULL on bad options. */
store *store_new(const store_options *o);
void store_free(store *s);

/* Connect to Redis now, not at the first batch: 0; -1 when Redis cannot
 * be reached (the first batch tries again); -2, with `fail`, when the
 * seen-state there was written with other bucket bits (seen.h), which
 * store_begin also refuses, as a reason to retry (seen_layout_mismatch). */
int store_open(store *s, sp_fail *fail);

/* Decide a batch of at most SP_BATCH_MAX stories, in order: store_begin
 * (`expect`: how many stories are to come, about), store_add for each
 * story (its claims are sent as they come, so Redis works while the caller
 * describes the next ones), store_finish. 0, or -1
 * with `fail` set when Redis cannot be reached (retry the whole batch
 * later: what was decided stays pending and is given again). */
int store_begin(store *s, size_t expect, sp_fail *fail);
void store_add(store *s, const store_story *st);
int store_finish(store *s, store_decision *out, sp_fail *fail);
/* The three at once. */
int store_decide(store *s, const store_story *st, size_t n, store_decision *out, sp_fail *fail);

/* The number of the batch begun last (store_begin), for store_emitted. */
uint32_t store_batch(const store *s);
/* The stories of batch `batch` (and of those before it) are all emitted
 * (handed to the output: produced, or written), not yet durable. A story
 * of them met again is not emitted again (a replay), unless an abort or
 * store_incomplete comes first. */
void store_emitted(store *s, uint32_t batch);
/* Everything emitted so far (store_emitted) is durable: it reached Kafka,
 * or was written out. Confirm it (one SET, sent and not waited for: its
 * reply is read with the next batch's, or by store_free; while a batch is
 * under way, sent by its store_finish). 0, or -1 (logged; the stories stay
 * pending and are emitted again if they come back). */
int store_committed(store *s);
/* What was emitted since the last commit was thrown away. */
void store_aborted(store *s);
/* The last batch was only partly emitted: the batches before it are
 * confirmed by the next commit, it is not. */
void store_incomplete(store *s);

#endif
