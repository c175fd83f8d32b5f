/* fetch.h — the fetcher's transform: one source record in, its raw
 * documents out. */
#ifndef FETCH_H
#define FETCH_H

#include "stage.h"

sp_result fetch_transform(void *state, json_t *source, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

#endif
