/* url.c — canonical URLs (see url.h). */
#include "url.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static int is_tracking(const char *param, size_t len) {
    static const char *const names[] = {"fbclid", "gclid", "mc_cid", "mc_eid", NULL};
    if (len >= 4 && strncasecmp(param, "utm_", 4) == 0) return 1;
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && strncasecmp(param, names[i], len) == 0) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Drop tracking parameters and sort the rest; NULL when nothing is left. */
static char *clean_query(const char *q) {
    char *copy = sp_xstrdup(q), *save = NULL, *tok, *out;
    char **keep = sp_xmalloc((strlen(q) / 2 + 2) * sizeof *keep);
    size_t n = 0, total = 0;
    for (tok = strtok_r(copy, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        size_t klen = strcspn(tok, "=");
        if (*tok == '\0' || is_tracking(tok, klen)) continue;
        keep[n++] = tok;
        total += strlen(tok) + 1;
    }
    out = NULL;
    if (n > 0) {
        qsort(keep, n, sizeof *keep, cmp_str);
        out = sp_xmalloc(total + 1);
        out[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i) strcat(out, "&");
            strcat(out, keep[i]);
        }
    }
    free(keep);
    free(copy);
    return out;
}

char *sp_url_canonical(const char *url) {
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *query = NULL, *out = NULL, *q;

    if (u == NULL) return NULL;
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) goto done;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        goto done;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) goto done;
    for (char *p = host; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    curl_url_set(u, CURLUPART_HOST, host, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
        q = clean_query(query);
        curl_url_set(u, CURLUPART_QUERY, q, 0);
        free(q);
    }
    curl_url_get(u, CURLUPART_URL, &out, CURLU_NO_DEFAULT_PORT);
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(query);
    curl_url_cleanup(u);
    if (out) {
        char *copy = sp_xstrdup(out);
        curl_free(out);
        return copy;
    }
    return NULL;
}
