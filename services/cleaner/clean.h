/* clean.h — the cleaner's transform and its text converter. */
#ifndef CLEAN_H
#define CLEAN_H

#include <stddef.h>

#include "stage.h"

sp_result clean_transform(void *state, json_t *raw, const sp_input *in, sp_outbox *out,
                          sp_fail *fail);

/* Plain text of an HTML fragment (malloc'ed). */
char *clean_html_text(const char *html, size_t len, size_t *out_len);
/* Normalised newsletter text: LF line ends, trailing spaces trimmed (malloc'ed). */
char *clean_plain_text(const char *text, size_t len, size_t *out_len);

#endif
