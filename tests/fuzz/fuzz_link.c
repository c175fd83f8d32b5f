/* fuzz_link.c — libFuzzer target for the cleaner's link resolution
 * (services/cleaner/link.c).
 *
 * link_resolve() answers most hrefs without curl; for every input, with
 * and without a base URL, its answer must be exactly curl's
 * (link_resolve_curl): the same URL, or no link for both. A URL must be
 * valid UTF-8 and http(s). A violation aborts, which libFuzzer reports with
 * the input saved as the reproducer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    free(fast);
    free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static link_base *base;
    if (size > 4096) return -1;
    if (base == NULL) base = link_base_new("https://news.example.com/2024/05/world/story.html?id=7#top");
    check(base, (const char *)data, size);
    check(NULL, (const char *)data, size);
    return 0;
}
