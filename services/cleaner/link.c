/* link.c — resolve the hrefs of a post's links (see link.h).
 *
 * curl's URL API is the authority on what a URL means (link_resolve_curl).
 * But a post has a link every few hundred bytes, and curl_url() costs about
 * 2 µs a link in allocations and parsing, more than converting the HTML
 * around it. Most links are in a form whose answer is known without curl:
 *   - already an absolute http(s) URL written the way curl writes it back;
 *   - a path ("/2024/05/story/") on the post's own site: the base's origin
 *     followed by the path, when that is such a URL;
 *   - another scheme (mailto:, javascript:), a fragment alone, or a relative
 *     href without a base: no link at all.
 * Everything else goes through curl. The unit tests and fuzz_link hold
 * link_resolve() to link_resolve_curl()'s answer. */
#include "link.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "entities.h"
#include "url.h"
#include "util.h"

struct link_base {
    CURLU *url;
    char *origin; /* "https://host[:port]" of an http(s) base, else NULL */
    size_t origin_len;
};

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f'; }
static int is_alpha(char ch) { return (ch | 32) >= 'a' && (ch | 32) <= 'z'; }

link_base *link_base_new(const char *url) {
    link_base *b;
    CURLU *u = curl_url();
    char *full = NULL, *scheme = NULL;
    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return NULL;
    }
    b = sp_xmalloc(sizeof *b);
    b->url = u;
    b->origin = NULL;
    b->origin_len = 0;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
        curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK) {
        const char *path = strchr(full + strlen(scheme) + 3, '/');
        if (path) {
            b->origin_len = (size_t)(path - full);
            b->origin = sp_xstrndup(full, b->origin_len);
        }
    }
    curl_free(scheme);
    curl_free(full);
    return b;
}

void link_base_free(link_base *base) {
    if (base == NULL) return;
    curl_url_cleanup(base->url);
    free(base->origin);
    free(base);
}

/* 1 when s[0..n) is an absolute http(s) URL that curl gives back unchanged:
 * a lower-case scheme, a host of lower-case letters, digits, '-' and single
 * dots whose last label starts with a letter (not an IPv4 address, which
 * curl normalises; no port, no user), then a path that starts with '/' and
 * has no dot segment ("/." anywhere), query and fragment, all printable
 * ASCII, which curl leaves as they are; an empty query or fragment ("x?",
 * "x#") is not plain, as curl drops it. */
static int is_plain(const char *s, size_t n) {
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
    if (i == n || label == 0 || !alpha) return 0;
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

/* The href decoded and trimmed, into buf (of HTML_DECODE_BOUND(len) + 1
 * bytes); returns its start, its length in *n. */
static char *decode(const char *href, size_t len, char *buf, size_t *n) {
    char *s;
    size_t m = html_decode(href, len, 1, buf);
    buf[m] = '\0';
    for (s = buf; is_space(*s); s++)
        ;
    while (buf + m > s && is_space(buf[m - 1])) buf[--m] = '\0';
    *n = (size_t)(buf + m - s);
    return s;
}

static char *resolve_curl(link_base *base, const char *s) {
    char *url;
    CURLU *u;
    if (*s == '\0' || *s == '#' || (u = base ? curl_url_dup(base->url) : curl_url()) == NULL) return NULL;
    url = sp_url_resolve_http(u, s, CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME);
    curl_url_cleanup(u);
    return url;
}

/* The known answer for s[0..n), or -1 when curl has to tell: 1 with *url
 * set, or 0 for no link. */
static int resolve_fast(link_base *base, const char *s, size_t n, char **url) {
    size_t i = 0;
    *url = NULL;
    if (n == 0 || s[0] == '#') return 0;
    if (is_plain(s, n)) {
        *url = sp_xstrndup(s, n);
        return 1;
    }
    /* a scheme other than http(s) (curl reads one of up to 40 characters) */
    if (is_alpha(s[0])) {
        while (i < n && i < 32 && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')) i++;
        if (i < n && s[i] == ':' && i < 32) {
            if ((i == 4 && strncasecmp(s, "http", 4) == 0) || (i == 5 && strncasecmp(s, "https", 5) == 0)) return -1;
            return 0;
        }
    }
    if (base == NULL) return s[0] == '/' && n > 1 && s[1] == '/' ? -1 : 0; /* relative, nothing to resolve against */
    if (base->origin && s[0] == '/' && (n == 1 || s[1] != '/')) { /* a path on the base's site */
        char *u = sp_xmalloc(base->origin_len + n + 1);
        memcpy(u, base->origin, base->origin_len);
        memcpy(u + base->origin_len, s, n);
        u[base->origin_len + n] = '\0';
        if (is_plain(u, base->origin_len + n)) {
            *url = u;
            return 1;
        }
        free(u);
    }
    return -1;
}

char *link_resolve(link_base *base, const char *href, size_t len) {
    char small[512], *buf = len < sizeof small / 2 ? small : sp_xmalloc(HTML_DECODE_BOUND(len) + 1);
    char *url;
    size_t n;
    const char *s = decode(href, len, buf, &n);
    if (resolve_fast(base, s, n, &url) < 0) url = resolve_curl(base, s);
    if (buf != small) free(buf);
    return url;
}

char *link_resolve_curl(link_base *base, const char *href, size_t len) {
    char *buf = sp_xmalloc(HTML_DECODE_BOUND(len) + 1), *url;
    size_t n;
    url = resolve_curl(base, decode(href, len, buf, &n));
    free(buf);
    return url;
}
