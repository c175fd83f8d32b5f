/* clean.h — the cleaner's transform and its text converter. */
#ifndef CLEAN_H
#define CLEAN_H

#include <stddef.h>

#include "stage.h"

sp_result clean_transform(void *state, json_t *raw, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

/* Normalised newsletter text (malloc'ed): CRLF and CR to LF, BOM removed,
 * trailing white space trimmed, more than two blank lines folded. */
char *clean_plain_text(const char *text, size_t len, size_t *out_len);

/* `storypipe-cleaner --html FILE`: print the text of one HTML document. */
extern const char *clean_html_file;
int clean_html_main(void);

#endif
