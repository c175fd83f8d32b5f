/* fetch.h — the fetcher's transform: one source record in, its raw
 * documents out. */
#ifndef FETCH_H
#define FETCH_H

#include "stage.h"

typedef struct fetch_options {
    const char *file_root;
} fetch_options;

extern fetch_options fetch_opts;

int fetch_init(void **state);
void fetch_fini(void *state);
sp_result fetch_transform(void *state, json_t *source, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

#endif
