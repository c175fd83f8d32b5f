/* link.c — resolve the hrefs of a post's links (see link.h).
 *
 * curl's URL API is the authority on what a URL means. Most links in posts,
 * though, are already absolute http(s) URLs in the very form curl would
 * give back, and a pass over their bytes is much cheaper than curl_url()'s
 * allocations and parse (about 2 µs a link, which was a fifth of the whole
 * conversion). link_is_plain() recognises that form conservatively; the
 * unit tests and the fuzz target check that curl returns every URL it
 * accepts unchanged. */
#include "link.h"

#include <string.h>

#include "entities.h"
#include "util.h"

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f'; }

link_base *link_base_new(const char *url) {
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        u = NULL;
    }
    return u;
}

void link_base_free(link_base *base) { curl_url_cleanup(base); }

/* The plain form: a lower-case scheme, a host of lower-case letters,
 * digits, '-' and single dots whose last label starts with a letter (not
 * an IPv4 address, which curl normalises; no port, no user), then a path that starts
 * with '/' and has no dot segment ("/." anywhere), query and fragment, all
 * of printable ASCII, which curl leaves as they are; an empty query or
 * fragment ("x?", "x#") is not plain, as curl drops it. */
int link_is_plain(const char *s, size_t n) {
    size_t i, label = 0;
    int in_path = 1, alpha = 0; /* the current label starts with a letter */
    if (n > 8 && memcmp(s, "https://", 8) == 0) i = 8;
    else if (n > 7 && memcmp(s, "http://", 7) == 0) i = 7;
    else return 0;
    for (; i < n && s[i] != '/'; i++) {
        char ch = s[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') {
            if (label++ == 0) alpha = ch >= 'a';
        } else if (ch == '.' && label > 0) {
            label = 0;
        } else {
            return 0;
        }
    }
    if (i == n || label == 0 || !alpha) return 0; /* "05", "1.2.3.4": curl rewrites IPv4 hosts */
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch >= 0x7F) return 0;
        if (ch == '?' || ch == '#') {
            if (i + 1 == n || (ch == '?' && s[i + 1] == '#')) return 0;
            in_path = 0;
        }
        if (in_path && ch == '/' && i + 1 < n && s[i + 1] == '.') return 0;
    }
    return 1;
}

char *link_resolve(link_base *base, const char *href, size_t len) {
    char small[512], *dec = len < sizeof small / 2 ? small : sp_xmalloc(HTML_DECODE_BOUND(len) + 1);
    char *s, *url = NULL, *scheme = NULL;
    size_t n = html_decode(href, len, 1, dec);
    CURLU *u;
    dec[n] = '\0';
    for (s = dec; is_space(*s); s++)
        ;
    while (dec + n > s && is_space(dec[n - 1])) dec[--n] = '\0';
    if (link_is_plain(s, (size_t)(dec + n - s))) {
        url = sp_xstrndup(s, (size_t)(dec + n - s));
    } else if (*s && *s != '#' && (u = base ? curl_url_dup(base) : curl_url()) != NULL) {
        if (curl_url_set(u, CURLUPART_URL, s, CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
            char *got = NULL;
            if (curl_url_get(u, CURLUPART_URL, &got, 0) == CURLUE_OK && sp_utf8_valid(got, strlen(got)))
                url = sp_xstrdup(got);
            curl_free(got);
        }
        curl_free(scheme);
        curl_url_cleanup(u);
    }
    if (dec != small) free(dec);
    return url;
}
