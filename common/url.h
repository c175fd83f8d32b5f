/* url.h — canonical URLs, so that the same article reached through
 * different links (a newsletter's tracking parameters, another parameter
 * order, upper-case host, ...) is recognised as one. Built on curl's URL API:
 * curl parses, this file only normalises the parts curl hands back; only
 * plain URLs (url.c: plain()), whose parsing is trivial, are taken apart
 * here, and the tests check they come out as curl's way makes them. */
#ifndef SP_URL_H
#define SP_URL_H

#include <curl/curl.h>

/* The version of the canonicalisation rules below. The deduper records it
 * next to each seen URL: a canonical URL is comparable only with another made
 * by the same rules (and the same tracking list, see sp_url_tracking()).
 * Bump it whenever a rule changes what sp_url_canonical() returns.
 *   1: lower-case scheme and host, no fragment or default port, utm_*,
 *      fbclid, gclid, mc_cid, mc_eid removed, query sorted.
 *   2: the rules listed at sp_url_canonical(). */
#define SP_URL_RULES_VERSION "2"

/* The canonical form of an absolute http(s) URL, as a new malloc'ed string
 * (free() it); `url` itself is not modified. NULL when `url` is NULL, is not
 * an absolute http or https URL (relative, "//host/x", "mailto:",
 * "javascript:", "", ...) or curl cannot parse it. Leading and trailing
 * spaces and control characters are ignored (as browsers do). The rules:
 *  - scheme and host in lower case; an IDN host in punycode
 *    ("BÜCHER.de" -> "xn--bcher-kva.de"), an IPv4 host as curl writes it
 *    ("0x7f.1" -> "127.0.0.1"), a trailing dot dropped ("example.com.");
 *    "www." is kept: www.example.com and example.com are different hosts
 *    that may serve different things, and merging them is not ours to do;
 *  - user name and password dropped: credentials are not part of which
 *    article a link names, and must not be stored or published;
 *  - the default port dropped (80 for http, 443 for https), others kept;
 *  - the fragment dropped;
 *  - path: dot segments resolved ("/a/./b/../c" -> "/a/c", also when the
 *    dots were percent-encoded), an empty path becomes "/", a trailing slash
 *    is neither added nor removed ("/a" and "/a/" can be different
 *    resources), case is kept, a ";jsessionid=..." path parameter dropped;
 *  - percent-encoding, in path and query: hex digits in upper case
 *    ("%2f" -> "%2F"), unreserved characters decoded ("%41" -> "A", "%7e" ->
 *    "~"), reserved ones left encoded ("%2F", "%26", "%3D" stay), and
 *    everything that may not appear literally encoded: spaces ("%20", also in
 *    the query: '+' is kept as '+' since it means a space only in form data),
 *    non-ASCII bytes (UTF-8 "é" -> "%C3%A9"), controls, '"', '<', '>', '\',
 *    '^', '`', '{', '|', '}', '[', ']', and a '%' not followed by two hex
 *    digits ("%25");
 *  - query: empty parameters ("a=1&&b=2") and an empty query ("x?") dropped;
 *    tracking parameters dropped (see below); the rest sorted by name, then
 *    value, byte-wise, stable; repeated parameters kept; a parameter without
 *    a value ("a") is kept distinct from one with an empty value ("a=") and
 *    sorts before it.
 * Tracking parameters, matched on the name after percent-decoding of
 * unreserved characters and ignoring ASCII case: always utm_* and fbclid,
 * gclid, dclid, msclkid, mc_cid, mc_eid, _ga, igshid, yclid, ref_src, and the
 * session ids jsessionid, phpsessid, sid, sessionid, session_id; plus the
 * configurable list (sp_url_set_tracking()), by default
 * SP_URL_TRACKING_DEFAULT.
 * IDN: curl converts with libidn2, which reads the host in the C library's
 * character set; this function asks for it in UTF-8 on the calling thread
 * only (uselocale), so it works whatever the process's locale. Where libcurl
 * has no IDN support (or no UTF-8 locale exists) the host stays in UTF-8 with
 * only its ASCII letters lower-cased: consistent from run to run on one
 * machine, but "bücher.de" then differs from "BÜCHER.de" and from its
 * punycode form. */
char *sp_url_canonical(const char *url);
/* The same for url[0..n), which need not end with a NUL (a string member
 * of a message, as it stands between its quotes); a NUL in it: NULL. */
char *sp_url_canonical_n(const char *url, size_t n);
/* ref resolved by curl against the URL u holds (none: ref must be
 * absolute), with curl_url_set()'s `flags`: a new malloc'ed string when
 * that is an http or https URL in valid UTF-8, else NULL. u then holds the
 * result (or is unchanged when curl could not parse ref). The cleaner's
 * links and the fetcher's feed links go this way. */
char *sp_url_resolve_http(CURLU *u, const char *ref, unsigned int flags);

/* Tests only: 1 makes sp_url_canonical() take curl's way alone (a parse,
 * then a second parse of the URL put together), which both its shortcuts
 * (plain URLs without curl, and no second parse when the parts are
 * settled) must agree with. */
extern int sp_url_no_shortcut;

/* The configurable tracking parameters, as a comma-separated list of
 * entries "name" (removed on every host) or "name@host" (removed only when
 * the URL's host is `host` or a subdomain of it: "module@scmp.com" applies
 * to www.scmp.com, not to notscmp.com). Names are unreserved characters
 * (A-Z a-z 0-9 - . _ ~), matched ignoring ASCII case; hosts are ASCII
 * (punycode for an IDN), lower-cased here. Spaces around entries are
 * ignored; "" is the empty list. */
#define SP_URL_TRACKING_DEFAULT "module@scmp.com,pgtype@scmp.com"

/* Replace the configurable tracking list with `spec` (NULL: the default).
 * The built-in names above always stay. Returns 0, or -1 when `spec` is
 * malformed (an empty entry, a character outside the ones above, an empty or
 * malformed host, ...), and then the current list is unchanged.
 * Not thread-safe: global configuration, to be set once at start-up before
 * any thread calls sp_url_canonical() (which only reads it). */
int sp_url_set_tracking(const char *spec);

/* The default list, SP_URL_TRACKING_DEFAULT (for --help). */
const char *sp_url_tracking_default(void);

/* The current list, in the normalised form sp_url_set_tracking() stored
 * (lower-case hosts, no spaces), for logging next to SP_URL_RULES_VERSION. */
const char *sp_url_tracking(void);

#endif
