/* split.h — the splitter's transform: one clean document in, its stories out. */
#ifndef SPLIT_H
#define SPLIT_H

#include "stage.h"

#define SPLIT_RULE_SINGLE "single"
#define SPLIT_RULE_VERSION "1"

sp_result split_transform(void *state, json_t *doc, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

#endif
