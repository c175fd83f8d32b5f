/* dedup.h — the deduper's transform, its hooks and its options. */
#ifndef DEDUP_H
#define DEDUP_H

#include "stage.h"

#define DEDUP_OUT_UNIQUE 0
#define DEDUP_OUT_DUPLICATES 1

typedef struct dedup_options {
    const char *redis_url;
    const char *key_prefix;
    const char *ttl_days;
    const char *near_threshold;
    const char *near_bands;
    const char *near_min_words;
    const char *reemit;
    const char *tracking;
    const char *bucket_bits;
} dedup_options;

extern dedup_options dedup_opts;

int dedup_init(void **state);
void dedup_checked(void *state, json_t *msg, const sp_input *in, size_t n);
sp_result dedup_prepare(void *state, json_t *const *msgs, const sp_input *const *ins, size_t n, sp_fail *fail);
sp_result dedup_transform(void *state, json_t *story, const sp_input *in, sp_outbox *out, sp_fail *fail);
void dedup_committed(void *state);
void dedup_aborted(void *state);
void dedup_fini(void *state);

#endif
