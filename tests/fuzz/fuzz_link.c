/* fuzz_link.c — libFuzzer target for the cleaner's link resolution
 * (services/cleaner/link.c) and for canonical URLs (common/url.c).
 *
 * link_resolve() answers most hrefs without curl; for every input, with
 * and without a base URL, its answer must be exactly curl's
 * (link_resolve_curl): the same URL, or no link for both. A URL must be
 * valid UTF-8 and http(s).
 *
 * sp_url_canonical() puts a plain URL together itself instead of having
 * curl parse it a second time; for the input and for each link resolved,
 * its answer must be exactly the one with curl's second parse
 * (sp_url_no_shortcut), and canonical again must give it back unchanged.
 * A violation aborts, which libFuzzer reports with the input saved as the
 * reproducer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "url.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* sp_url_canonical(url): the same with and without its shortcut, and a
 * fixed point. */
static void check_canonical(const char *url) {
    char *fast, *slow, *again = NULL;
    sp_url_no_shortcut = 0;
    fast = sp_url_canonical(url);
    sp_url_no_shortcut = 1;
    slow = sp_url_canonical(url);
    sp_url_no_shortcut = 0;
    if ((fast == NULL) != (slow == NULL) || (fast && strcmp(fast, slow) != 0)) {
        fprintf(stderr, "\nfuzz_link: sp_url_canonical('%s') gives %s, with curl's second parse %s\n", url,
                fast ? fast : "NULL", slow ? slow : "NULL");
        abort();
    }
    if (fast && ((again = sp_url_canonical(fast)) == NULL || strcmp(again, fast) != 0)) {
        fprintf(stderr, "\nfuzz_link: sp_url_canonical('%s') gives '%s', which gives %s\n", url, fast,
                again ? again : "NULL");
        abort();
    }
    free(again);
    free(fast);
    free(slow);
}

static void check(link_base *base, const char *href, size_t len) {
    char *fast = link_resolve(base, href, len), *slow = link_resolve_curl(base, href, len);
    if ((fast == NULL) != (slow == NULL) || (fast && strcmp(fast, slow) != 0)) {
        fprintf(stderr, "\nfuzz_link: '%.*s' (base %s): link_resolve gives %s, curl gives %s\n", (int)len, href,
                base ? "set" : "none", fast ? fast : "no link", slow ? slow : "no link");
        abort();
    }
    if (fast && (!sp_utf8_valid(fast, strlen(fast)) ||
                 (strncmp(fast, "http://", 7) != 0 && strncmp(fast, "https://", 8) != 0))) {
        fprintf(stderr, "\nfuzz_link: link_resolve gave '%s'\n", fast);
        abort();
    }
    if (fast) check_canonical(fast);
    free(fast);
    free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static link_base *base;
    if (size > 4096) return -1;
    if (base == NULL) base = link_base_new("https://news.example.com/2024/05/world/story.html?id=7#top");
    check(base, (const char *)data, size);
    check(NULL, (const char *)data, size);
    if (memchr(data, '\0', size) == NULL) { /* a C string for sp_url_canonical */
        char *url = sp_xstrndup((const char *)data, size);
        check_canonical(url);
        free(url);
    }
    return 0;
}
