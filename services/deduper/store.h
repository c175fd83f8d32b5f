/* store.h — the deduper's decisions against its state in Redis (layout in
 * common/seen.h): each story's decision is one run of decide.lua, atomic in
 * Redis, and a batch of stories is one pipelined round trip. */
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
} store_options;

/* What a decision is made on (filled by dedup.c). */
typedef struct store_story {
    uint8_t id[8];      /* the story_id's bytes */
    uint64_t content;   /* the normalised text's hash */
    uint64_t url;       /* the canonical URL's hash, when has_url */
    uint64_t brief;     /* title + summary's hash, when has_brief */
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

/* Decide n stories, in order. 0, or -1 with `fail` set when Redis cannot
 * be reached (retry later: the decisions already taken are recorded as
 * pending and are given again). */
int store_decide(store *s, const store_story *st, size_t n, store_decision *out, sp_fail *fail);

/* The emissions of these stories reached Kafka. 0, or -1 (logged). */
int store_confirm(store *s, const store_story *st, size_t n);

#endif
