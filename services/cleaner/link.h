/* link.h — the outbound links of a post: an href as written in the HTML
 * (character references and all) becomes the absolute http(s) URL it names,
 * resolved against the post's own URL, as curl's URL API resolves it. */
#ifndef LINK_H
#define LINK_H

#include <stddef.h>

typedef struct link_base link_base;

/* The base URL hrefs are resolved against; NULL when `url` is not a URL. */
link_base *link_base_new(const char *url);
void link_base_free(link_base *base);

/* The absolute http(s) URL that the raw attribute value href[0..len)
 * names (decoded with the attribute rules, surrounding white space
 * removed), resolved against `base` (may be NULL); malloc'ed, valid UTF-8.
 * NULL for other schemes (javascript:, mailto:), a fragment alone, or a
 * relative href without a base. */
char *link_resolve(link_base *base, const char *href, size_t len);

/* The same through curl alone: the reference link_resolve() must always
 * agree with (the unit tests and the fuzz target check it). */
char *link_resolve_curl(link_base *base, const char *href, size_t len);

#endif
