/* fuzz_link.c — libFuzzer target for the cleaner's link resolution
 * (services/cleaner/link.c).
 *
 * link_is_plain() lets link_resolve() skip curl for URLs that curl would
 * give back unchanged. For every input it accepts, curl's URL API must
 * indeed return the same bytes; and link_resolve() must return NULL or a
 * valid UTF-8 http(s) URL, with and without a base. A violation aborts,
 * which libFuzzer reports with the input saved as the reproducer. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_resolved(const char *url) {
    if (url == NULL) return;
    if (!sp_utf8_valid(url, strlen(url)) || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        fprintf(stderr, "\nfuzz_link: link_resolve gave '%s'\n", url);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static link_base *base;
    char *s, *got = NULL, *url;
    CURLU *u;
    if (size > 4096) return -1;
    if (base == NULL) base = link_base_new("https://news.example.com/2024/05/world/story.html?id=7#top");
    s = sp_xstrndup((const char *)data, size);
    if (link_is_plain((const char *)data, size)) {
        u = curl_url();
        if (memchr(data, '\0', size) != NULL || curl_url_set(u, CURLUPART_URL, s, CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &got, 0) != CURLUE_OK || strcmp(got, s) != 0) {
            fprintf(stderr, "\nfuzz_link: link_is_plain accepts '%s' but curl gives '%s'\n", s, got ? got : "an error");
            abort();
        }
        curl_free(got);
        curl_url_cleanup(u);
    }
    url = link_resolve(base, (const char *)data, size);
    check_resolved(url);
    free(url);
    url = link_resolve(NULL, (const char *)data, size);
    check_resolved(url);
    free(url);
    free(s);
    return 0;
}
