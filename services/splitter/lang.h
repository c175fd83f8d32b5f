/* lang.h — a story's language, when its script or words tell it plainly:
 * "zh", "ja", "ko" by script, "en" by its commonest words; else unknown.
 * A guess for routing and filtering, not a language identifier. */
#ifndef LANG_H
#define LANG_H

#include <stddef.h>

/* A BCP 47 tag ("en", "zh", "ja", "ko"), or NULL when unsure. */
const char *lang_guess(const char *text, size_t len);

#endif
