/* url.c — canonical URLs (see url.h for the rules), so that the deduper
 * sees one URL for one article however a newsletter or a site linked it.
 *
 * curl's URL API does all the parsing (and rejects what is not a URL), the
 * default port, the IPv4 forms, punycode and the dot segments; this file only
 * rewrites the parts curl hands back. But for plain URLs, most links: an
 * http(s) URL with a host, port, path, query and fragment that leave nothing
 * for curl to decide is taken apart here (plain()), which costs less than
 * half of curl's parse, and gives what curl's way would (the tests compare
 * the two on every URL they try). Percent-encoding is normalised here,
 * byte by byte: curl can only encode or decode a whole string (curl_easy_
 * escape/unescape, CURLU_URLENCODE/URLDECODE), while normalising decodes some
 * triplets (unreserved characters) and keeps others (reserved ones). Its
 * CURLU_URLENCODE would also turn a space in the query into '+' and write
 * lower-case hex, so the URL is read with CURLU_ALLOW_SPACE instead and every
 * character is encoded here. */
#include "url.h"

#include <curl/curl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

/* ---- tracking parameters ---- */

struct tracking {
    const char *name; /* lower case */
    const char *host; /* lower case; NULL: every host */
};

/* Always removed, whatever the configuration: utm_* and these. */
static const char *const builtin_tracking[] = {
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "igshid", "yclid", "ref_src",
    /* session ids */
    "jsessionid", "phpsessid", "sid", "sessionid", "session_id", NULL};

/* The configurable list: SP_URL_TRACKING_DEFAULT until sp_url_set_tracking()
 * replaces it. Static data rather than a parse on first use, so that reading
 * it from several threads needs no lock. */
static const struct tracking tracking_default[] = {{"module", "scmp.com"}, {"pgtype", "scmp.com"}};
static const struct tracking *tracking = tracking_default;
static size_t tracking_n = sizeof tracking_default / sizeof *tracking_default;
static const char *tracking_spec = SP_URL_TRACKING_DEFAULT;
static void *tracking_block; /* what sp_url_set_tracking() allocated, or NULL */

/* What each byte may be, looked up for every byte of every URL: bit 1
 * UNRESERVED (RFC 3986: A-Z a-z 0-9 - . _ ~); bit 2 LITERAL, may appear
 * unencoded in a path or a query (the unreserved characters, the
 * sub-delimiters ! $ & ' ( ) * + , ; =, ':', '@', '/' and '?'); bit 4
 * HOST_PLAIN, a character of a host curl hands back as it is (a-z 0-9 . -);
 * bit 8 PATH_PLAIN, LITERAL but '?' and ';' (plain() takes a path of these,
 * one lookup a byte). Nothing from 0x80 up. tests/unit/test_url.c checks
 * every byte. */
enum { UNRESERVED = 1, LITERAL = 2, HOST_PLAIN = 4, PATH_PLAIN = 8 };
static const unsigned char url_chars[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 00-0F */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10-1F */
    0, 10, 0, 0, 10, 0, 10, 10, 10, 10, 10, 10, 10, 15, 15, 10, /* 20-2F  !"#$%&'()*+,-./ */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 10, 2, 0, 10, 0, 2, /* 30-3F 0123456789:;<=>? */
    10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, /* 40-4F @ABCDEFGHIJKLMNO */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 0, 0, 0, 0, 11, /* 50-5F PQRSTUVWXYZ[\]^_ */
    0, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, /* 60-6F `abcdefghijklmno */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 0, 0, 0, 11, 0, /* 70-7F pqrstuvwxyz{|}~  */
};

static int is_unreserved(unsigned char c) { return url_chars[c] & UNRESERVED; }

/* May appear unencoded in a path or a query. */
static int literal_ok(unsigned char c) { return url_chars[c] & LITERAL; }

static char ascii_lower(char c) { return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* host is `suffix` or a subdomain of it. */
static int host_within(const char *host, const char *suffix) {
    size_t h = strlen(host), s = strlen(suffix);
    if (h == s) return memcmp(host, suffix, s) == 0;
    return h > s && host[h - s - 1] == '.' && memcmp(host + h - s, suffix, s) == 0;
}

static int is_tracking(const char *name, size_t len, const char *host) {
    if (len >= 4 && strncasecmp(name, "utm_", 4) == 0) return 1;
    for (int i = 0; builtin_tracking[i]; i++)
        if (strlen(builtin_tracking[i]) == len && strncasecmp(name, builtin_tracking[i], len) == 0) return 1;
    for (size_t i = 0; i < tracking_n; i++)
        if (strlen(tracking[i].name) == len && strncasecmp(name, tracking[i].name, len) == 0 &&
            (tracking[i].host == NULL || host_within(host, tracking[i].host)))
            return 1;
    return 0;
}

/* A host in a spec: dot-separated non-empty labels of letters, digits, '-'. */
static int valid_spec_host(const char *s, size_t n) {
    if (n == 0 || s[0] == '.' || s[n - 1] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' ? s[i + 1] == '.' : !(is_unreserved(c) && c != '_' && c != '~')) return 0;
    }
    return 1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

int sp_url_set_tracking(const char *spec) {
    size_t len, cap = 1, n = 0;
    struct tracking *v;
    char *norm, *o, *w;
    const char *p, *end;
    void *block;

    if (spec == NULL) {
        free(tracking_block);
        tracking_block = NULL;
        tracking = tracking_default;
        tracking_n = sizeof tracking_default / sizeof *tracking_default;
        tracking_spec = SP_URL_TRACKING_DEFAULT;
        return 0;
    }
    len = strlen(spec);
    for (p = spec; *p; p++) cap += *p == ',';
    /* one block: the entries, the normalised spec, the words they point to */
    block = sp_xmalloc(cap * sizeof *v + 2 * (len + 1));
    v = block;
    norm = o = (char *)(v + cap);
    w = norm + len + 1; /* the words */
    for (p = spec; is_blank(*p); p++) {}
    while (*p) { /* one entry a turn, p at its first non-blank */
        const char *comma = strchr(p, ','), *at, *host;
        size_t name_len, host_len = 0;
        end = comma ? comma : p + strlen(p);
        while (end > p && is_blank(end[-1])) end--;
        at = memchr(p, '@', (size_t)(end - p));
        name_len = (size_t)((at ? at : end) - p);
        host = at ? at + 1 : NULL;
        if (host) host_len = (size_t)(end - host);
        if (name_len == 0 || (host && !valid_spec_host(host, host_len))) goto malformed;
        for (size_t i = 0; i < name_len; i++)
            if (!is_unreserved((unsigned char)p[i])) goto malformed;
        if (n > 0) *o++ = ',';
        v[n].name = w;
        for (size_t i = 0; i < name_len; i++) *o++ = *w++ = ascii_lower(p[i]);
        *w++ = '\0';
        v[n].host = NULL;
        if (host) {
            *o++ = '@';
            v[n].host = w;
            for (size_t i = 0; i < host_len; i++) *o++ = *w++ = ascii_lower(host[i]);
            *w++ = '\0';
        }
        n++;
        if (comma == NULL) break;
        for (p = comma + 1; is_blank(*p); p++) {}
        if (*p == '\0' || *p == ',') goto malformed; /* "a," or "a,,b": an empty entry */
    }
    *o = '\0';
    free(tracking_block);
    tracking_block = block;
    tracking = v;
    tracking_n = n;
    tracking_spec = norm;
    return 0;
malformed:
    free(block);
    return -1;
}

const char *sp_url_tracking_default(void) { return SP_URL_TRACKING_DEFAULT; }

const char *sp_url_tracking(void) { return tracking_spec; }

/* ---- percent-encoding ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* s with its percent-encoding normalised (see url.h), malloc'ed. */
static char *normalise_pct_to(char *out, const char *s);

static char *normalise_pct(const char *s) { return normalise_pct_to(sp_xmalloc(3 * strlen(s) + 1), s); }

/* The same into out, which has room for 3 * strlen(s) + 1 bytes; returns out. */
static char *normalise_pct_to(char *out, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    char *o = out;
    for (const char *p = s;;) {
        const char *run = p;
        while (literal_ok((unsigned char)*p)) p++; /* most bytes; not '%', not the NUL */
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        unsigned char c = (unsigned char)*p;
        if (c == '\0') break;
        if (c == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            c = (unsigned char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
            if (is_unreserved(c)) {
                *o++ = (char)c;
                continue;
            }
        } else {
            p++;
        }
        *o++ = '%';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    *o = '\0';
    return out;
}

/* ---- path and query ---- */

/* A dot segment ("/." or "/..", then '/' or the end) in path[0..n): a
 * path curl would resolve (settled() and plain() leave those to curl). No
 * path here holds a '?': curl's ends before the query, plain()'s too. */
static int has_dot_segment(const char *path, size_t n) {
    for (const char *p = path, *end = path + n; (p = memchr(p, '/', (size_t)(end - p))) != NULL; p++) {
        const char *d = p + 1;
        if (d < end && *d == '.') d++;
        else continue;
        if (d < end && *d == '.') d++;
        if (d == end || *d == '/') return 1;
    }
    return 0;
}

/* Drop ";jsessionid=..." path parameters (up to the next ';' or '/'). */
static void drop_session_path_params(char *path) {
    char *p = path;
    while ((p = strchr(p, ';')) != NULL) {
        if (strncasecmp(p + 1, "jsessionid=", 11) == 0) {
            size_t n = 1 + strcspn(p + 1, ";/");
            memmove(p, p + n, strlen(p + n) + 1);
        } else {
            p++;
        }
    }
}

struct param {
    const char *s;     /* "name", "name=" or "name=value" */
    size_t name_len;
    int has_value;     /* there is a '=' */
    size_t index;      /* position in the URL, for a stable sort */
};

/* By name, then "a" before "a=" before "a=x", then value, then position. */
static int cmp_param(const void *a, const void *b) {
    const struct param *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->s, y->s, n);
    if (c != 0) return c;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    if (x->has_value != y->has_value) return x->has_value - y->has_value;
    if (x->has_value && (c = strcmp(x->s + x->name_len + 1, y->s + y->name_len + 1)) != 0) return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* A query of up to QUERY_LOCAL bytes (and PARAMS_LOCAL parameters) is
 * worked on the stack, a longer one in malloc'ed memory: most links have a
 * short query, and its four allocations (a copy, its normalised form, the
 * parameters, the result) were most of the malloc() and free() calls the
 * deduper made, 3% of its cycles. */
#define QUERY_LOCAL 512
#define PARAMS_LOCAL 32

/* The query q normalised, without tracking parameters and sorted, put at
 * the end of out; 0 when nothing is left (and nothing was put). */
static int put_clean_query(sp_buf *out, const char *q, const char *host) {
    size_t qn = strlen(q), cap = 1, n = 0;
    char local[3 * QUERY_LOCAL + 1], *norm, *save = NULL, *tok;
    struct param local_keep[PARAMS_LOCAL], *keep;

    norm = normalise_pct_to(qn <= QUERY_LOCAL ? local : sp_xmalloc(3 * qn + 1), q);
    for (const char *p = norm; *p; p++) cap += *p == '&';
    keep = cap <= PARAMS_LOCAL ? local_keep : sp_xmalloc(cap * sizeof *keep);
    for (tok = strtok_r(norm, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        size_t name_len = strcspn(tok, "=");
        if (is_tracking(tok, name_len, host)) continue;
        keep[n].s = tok;
        keep[n].name_len = name_len;
        keep[n].has_value = tok[name_len] == '=';
        keep[n].index = n;
        n++;
    }
    if (n > 1) qsort(keep, n, sizeof *keep, cmp_param);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) sp_buf_put(out, "&", 1);
        sp_buf_puts(out, keep[i].s);
    }
    if (keep != local_keep) free(keep);
    if (norm != local) free(norm);
    return n > 0;
}

/* The same as a malloc'ed string, or NULL when nothing is left. */
static char *clean_query(const char *q, const char *host) {
    sp_buf b = {0};
    if (put_clean_query(&b, q, host)) return sp_buf_take(&b);
    sp_buf_free(&b);
    return NULL;
}

/* ---- host ---- */

/* The host in punycode (curl_free it), or NULL. curl (7.88) converts with
 * libidn2's idn2_lookup_ul(), which reads the host in the locale's character
 * set: in the "C" locale of a program that never called setlocale() every
 * non-ASCII host fails (reported as CURLUE_OUT_OF_MEMORY). So the conversion
 * runs in a UTF-8 LC_CTYPE, on this thread only. */
static char *punycode_host(CURLU *u) {
    char *p = NULL;
#ifdef CURLU_PUNYCODE
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
    if (utf8 != (locale_t)0) old = uselocale(utf8);
    if (curl_url_get(u, CURLUPART_HOST, &p, CURLU_PUNYCODE) != CURLUE_OK) {
        curl_free(p); /* 7.88 leaves its copy of the host there when libidn2 fails */
        p = NULL;
    }
    if (utf8 != (locale_t)0) {
        uselocale(old);
        freelocale(utf8);
    }
#else
    (void)u;
#endif
    return p;
}

/* Lower case, punycode, no trailing dots; malloc'ed, or NULL. *rewritten
 * is 1 when the host is not the one curl parsed: trailing dots dropped, or
 * an IDN written in punycode. curl has not seen that host, which may be an
 * IPv4 address it writes otherwise ("5.." -> "5" is 0.0.0.5, and the IDN
 * "\u32B9" is "44", 0.0.0.44). */
static char *canonical_host(CURLU *u, int *rewritten) {
    char *h = NULL, *out;
    size_t n;
    int ascii = 1;

    *rewritten = 0;
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) return NULL;
    for (const char *p = h; *p; p++) ascii &= (unsigned char)*p < 0x80;
    if (!ascii) {
        char *puny = punycode_host(u);
        if (puny) { /* else keep UTF-8 (see url.h) */
            curl_free(h);
            h = puny;
            *rewritten = 1;
        }
    }
    out = sp_xstrdup(h);
    curl_free(h);
    for (char *p = out; *p; p++) *p = ascii_lower(*p);
    n = strlen(out);
    while (n > 1 && out[n - 1] == '.' && out[0] != '[') out[--n] = '\0', *rewritten = 1;
    return out;
}

/* ---- the whole URL ---- */

/* curl parses `url`; its scheme, host and port come back from curl, its path
 * and query from normalise_pct() and clean_query(). Those are not handed back
 * to curl part by part: curl_url_set(CURLUPART_PATH or _QUERY) rewrites
 * "%C3%A9" as "%c3%a9" (7.88). The URL is put together as a string and curl
 * parses that one again, which also resolves the dot segments that decoding
 * "%2E" may have made. */
/* 1 when curl would give the URL made of these parts back unchanged, so
 * it need not parse it again: a host of [a-z0-9.-] as curl wrote it (not
 * rewritten: no trailing dot dropped, no IDN made punycode), a path and
 * query of characters that stay literal and no dot segment to resolve: the
 * common case after plain(), which then costs one parse by curl instead of
 * two and no printf. tests/unit/test_url.c and tests/fuzz/fuzz_link.c check
 * both ways agree (sp_url_no_shortcut). */
int sp_url_no_shortcut;

static int settled(const char *host, const char *path, const char *query) {
    for (const char *p = host; *p; p++)
        if (!(url_chars[(unsigned char)*p] & HOST_PLAIN)) return 0;
    if (*host == '\0' || path[0] != '/') return 0;
    /* the path and the query come from normalise_pct(): literal characters
     * and "%XX" only, as curl writes them too */
    if (has_dot_segment(path, strlen(path))) return 0;
    return !(query && *query == '\0');
}

static char *canonical(CURLU *u, const char *url) {
    char *scheme = NULL, *host = NULL, *path = NULL, *query = NULL, *origin = NULL, *s = NULL, *out = NULL;
    size_t olen, plen, qlen;
    char *whole;
    int rewritten;

    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE) != CURLUE_OK) goto done;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        goto done;
    if ((host = canonical_host(u, &rewritten)) == NULL) goto done;
    if (curl_url_get(u, CURLUPART_PATH, &s, 0) != CURLUE_OK) goto done;
    path = normalise_pct(s);
    drop_session_path_params(path);
    curl_free(s);
    s = NULL;
    if (curl_url_get(u, CURLUPART_QUERY, &s, 0) == CURLUE_OK) query = clean_query(s, host);
    curl_free(s);
    s = NULL;
    if (!sp_url_no_shortcut && !rewritten && settled(host, path, query)) { /* scheme://host[:port]path[?query], put together here */
        char *port = NULL;
        CURLUcode pc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
        if (pc == CURLUE_OK || pc == CURLUE_NO_PORT) {
            const char *part[8] = {scheme, "://",         host, port ? ":" : "", port ? port : "",
                                   path,   query ? "?" : "", query ? query : ""};
            size_t len[8], n = 1;
            char *o;
            for (int i = 0; i < 8; i++) n += len[i] = strlen(part[i]);
            out = o = sp_xmalloc(n);
            for (int i = 0; i < 8; i++) {
                memcpy(o, part[i], len[i]);
                o += len[i];
            }
            *o = '\0';
        }
        curl_free(port);
        goto done;
    }
    /* "scheme://host[:port]/": no user, password, fragment; no default port */
    if (curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK || curl_url_set(u, CURLUPART_PATH, "/", 0) != CURLUE_OK)
        goto done;
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
    curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    if (curl_url_get(u, CURLUPART_URL, &origin, CURLU_NO_DEFAULT_PORT) != CURLUE_OK) goto done;
    olen = strlen(origin);
    if (olen == 0 || origin[olen - 1] != '/') goto done;
    olen--;
    plen = strlen(path);
    qlen = query ? strlen(query) : 0;
    whole = sp_xmalloc(olen + plen + 1 + qlen + 1);
    memcpy(whole, origin, olen);
    memcpy(whole + olen, path, plen);
    if (query) {
        whole[olen + plen] = '?';
        memcpy(whole + olen + plen + 1, query, qlen + 1);
    } else {
        whole[olen + plen] = '\0';
    }
    if (curl_url_set(u, CURLUPART_URL, whole, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT) == CURLUE_OK)
        out = sp_xstrdup(s);
    free(whole);
done:
    curl_free(s);
    curl_free(origin);
    curl_free(scheme);
    free(host);
    free(path);
    free(query);
    return out;
}

/* ---- plain URLs, put together without a parser ---- */

/* A path (or a host without one) ends at e: the end, a query or a fragment. */
static int part_end(const char *e, const char *end) { return e == end || *e == '?' || *e == '#'; }

/* The canonical form of url[0..n) when it is plain, the common case: "http"
 * or "https" (any case) and "://"; a host of at most 253 bytes in labels of
 * 1 to 63 letters, digits and '-', the last of letters only (so it is no
 * IPv4 address curl would rewrite, and has no trailing dot); a port of 1 to
 * 5 digits from 1 to 65535, or none; a path of characters that stay literal,
 * with no ';' and no dot segment; a query of those and "%XX"; a fragment of
 * printable ASCII. No user, no space, nothing from 0x80 up. NULL when it is
 * not plain: curl parses it then. What this gives is what curl's way gives:
 * tests/unit/test_url.c and tests/fuzz/fuzz_link.c compare the two (with
 * sp_url_no_shortcut) on every URL they try. Most links of news sites and
 * newsletters are plain, and curl's parse is most of what canonicalising
 * one costs otherwise. */
static char *plain(const char *url, size_t n) {
    const char *p = url, *end = url + n, *host, *label, *port = NULL, *path, *path_end, *query = NULL, *query_end;
    char lower_host[254];
    size_t host_len, port_len = 0;
    int https, letters_only = 1;
    sp_buf b = {0};

    if (n >= 7 && strncasecmp(p, "http://", 7) == 0) https = 0, p += 7;
    else if (n >= 8 && strncasecmp(p, "https://", 8) == 0) https = 1, p += 8;
    else return NULL;
    /* the host */
    for (host = label = p;; p++) {
        char c = p < end ? *p : '/';
        if ((c | 32) >= 'a' && (c | 32) <= 'z') { /* most bytes: tested first */
            continue;
        } else if (c == '.' || c == ':' || c == '/' || c == '?' || c == '#') {
            if (p == label || p - label > 63) return NULL;
            if (c != '.') break;
            label = p + 1;
            letters_only = 1;
        } else if ((c >= '0' && c <= '9') || c == '-') {
            letters_only = 0;
        } else {
            return NULL;
        }
    }
    host_len = (size_t)(p - host);
    if (!letters_only || host_len > 253) return NULL;
    for (size_t i = 0; i < host_len; i++) lower_host[i] = ascii_lower(host[i]);
    lower_host[host_len] = '\0';
    /* the port */
    if (p < end && *p == ':') {
        unsigned long v = 0;
        port = ++p;
        while (p < end && *p >= '0' && *p <= '9' && p - port < 6) v = v * 10 + (unsigned long)(*p++ - '0');
        port_len = (size_t)(p - port);
        if (port_len == 0 || port_len > 5 || *port == '0' || v > 65535 || !(p == end || *p == '/' || part_end(p, end)))
            return NULL;
        if (v == (https ? 443u : 80u)) port = NULL; /* the default */
    }
    /* the path */
    for (path = p; p < end && (url_chars[(unsigned char)*p] & PATH_PLAIN); p++)
        ;
    if (!part_end(p, end)) return NULL; /* ';', or a character not literal */
    path_end = p;
    if (has_dot_segment(path, (size_t)(path_end - path))) return NULL;
    /* the query, then the fragment (dropped) */
    if (p < end && *p == '?')
        for (query = ++p; p < end && *p != '#'; p++)
            if (!literal_ok((unsigned char)*p) && *p != '%') return NULL;
    query_end = p;
    for (; p < end; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7F) return NULL;

    sp_buf_room(&b, n + 2);
    sp_buf_puts(&b, https ? "https://" : "http://");
    sp_buf_put(&b, lower_host, host_len);
    if (port) sp_buf_put(&b, ":", 1), sp_buf_put(&b, port, port_len);
    if (path_end > path) sp_buf_put(&b, path, (size_t)(path_end - path));
    else sp_buf_put(&b, "/", 1);
    if (query) {
        size_t qn = (size_t)(query_end - query), mark = b.len;
        char local[QUERY_LOCAL + 1], *raw = qn <= QUERY_LOCAL ? local : sp_xmalloc(qn + 1);
        memcpy(raw, query, qn);
        raw[qn] = '\0';
        sp_buf_put(&b, "?", 1);
        if (!put_clean_query(&b, raw, lower_host)) b.len = mark; /* nothing left: no '?' */
        if (raw != local) free(raw);
    }
    return sp_buf_take(&b);
}

char *sp_url_canonical(const char *url) { return url ? sp_url_canonical_n(url, strlen(url)) : NULL; }

char *sp_url_canonical_n(const char *url, size_t n) {
    CURLU *u;
    char *copy, *out;

    if (url == NULL || memchr(url, '\0', n) != NULL) return NULL;
    /* leading and trailing spaces and controls are not part of the URL */
    while (n > 0 && (unsigned char)*url <= ' ') url++, n--;
    while (n > 0 && (unsigned char)url[n - 1] <= ' ') n--;
    if (n == 0) return NULL;
    if (!sp_url_no_shortcut && (out = plain(url, n)) != NULL) return out;
    if ((u = curl_url()) == NULL) return NULL;
    copy = sp_xstrndup(url, n);
    out = canonical(u, copy);
    curl_url_cleanup(u);
    free(copy);
    return out;
}

char *sp_url_resolve_http(CURLU *u, const char *ref, unsigned int flags) {
    char *url = NULL, *scheme = NULL, *got = NULL;
    if (curl_url_set(u, CURLUPART_URL, ref, flags) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
        curl_url_get(u, CURLUPART_URL, &got, 0) == CURLUE_OK && sp_utf8_valid(got, strlen(got)))
        url = sp_xstrdup(got);
    curl_free(got);
    curl_free(scheme);
    return url;
}
