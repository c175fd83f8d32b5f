/* url.h — canonical URLs, so that the same article reached through
 * different links is recognised as one. Built on curl's URL API. */
#ifndef SP_URL_H
#define SP_URL_H

/* The canonical form of an absolute http(s) URL: scheme and host in lower
 * case, no fragment, no default port, tracking parameters (utm_*, fbclid,
 * gclid, mc_cid, mc_eid) removed and the remaining query sorted. Returns a
 * malloc'ed string, or NULL when `url` is not an absolute http(s) URL. */
char *sp_url_canonical(const char *url);

#endif
