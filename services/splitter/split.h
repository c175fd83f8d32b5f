/* split.h — the splitter's transform: one clean document in, its stories
 * out (the rules are in digest.h), and `--text FILE`. */
#ifndef SPLIT_H
#define SPLIT_H

#include "stage.h"

sp_result split_transform(void *state, json_t *doc, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

/* `storypipe-splitter --text FILE`: print the stories of one plain-text
 * document as JSON Lines. */
extern const char *split_text_file;
int split_text_main(void);

#endif
