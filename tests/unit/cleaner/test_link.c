/* test_link.c — the cleaner's link resolution (services/cleaner/link.c):
 * hrefs as written in posts, resolved against a post URL, with the answer
 * each must give; and link_resolve()'s shortcuts agreeing with curl's URL
 * API (link_resolve_curl) on every case, with and without a base. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "link.h"

#define BASE "https://www.newsbeep.com/ca/493939/?p=1#top"

static const struct {
    const char *href;
    const char *want; /* against BASE; NULL: no link */
} cases[] = {
    {"https://www.cnn.com/2026/02/20/tech/seedance", "https://www.cnn.com/2026/02/20/tech/seedance"},
    {"https://twitter.com/hashtag/AI?src=hash&amp;ref_src=twsrc%5Etfw",
     "https://twitter.com/hashtag/AI?src=hash&ref_src=twsrc%5Etfw"},
    {"  https://example.com/a\n", "https://example.com/a"},
    {"http://example.com", "http://example.com/"},
    {"HTTPS://Example.COM/A", "https://Example.COM/A"},
    {"/ca/tag/ai/", "https://www.newsbeep.com/ca/tag/ai/"},
    {"/", "https://www.newsbeep.com/"},
    {"../other/", "https://www.newsbeep.com/ca/other/"},
    {"next/", "https://www.newsbeep.com/ca/493939/next/"},
    {"?p=2", "https://www.newsbeep.com/ca/493939/?p=2"},
    {"//cdn.example.com/x.js", "https://cdn.example.com/x.js"},
    {"/a/./b/../c", "https://www.newsbeep.com/a/c"},
    {"https://example.com/a b", "https://example.com/a%20b"},
    {"https://example.com/caf\xC3\xA9", "https://example.com/caf%c3%a9"},
    {"https://example.com:443/x", "https://example.com:443/x"},
    {"https://05/x", "https://0.0.0.5/x"},
    {"https://example.com/x?", "https://example.com/x"},
    {"https://example.com/x?a=1&not=2", "https://example.com/x?a=1&not=2"},
    {"https://example.com/x?a=1&amp;b=2", "https://example.com/x?a=1&b=2"},
    {"#top", NULL},
    {"", NULL},
    {"   ", NULL},
    {"javascript:void(0)", NULL},
    {"JavaScript:alert(1)", NULL},
    {"mailto:news@example.com", NULL},
    {"tel:+15551234", NULL},
    {"ftp://example.com/file", NULL},
    {"data:text/html,hi", NULL},
};

static void test_against_base(void **state) {
    link_base *base = link_base_new(BASE);
    (void)state;
    assert_non_null(base);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = link_resolve(base, cases[i].href, strlen(cases[i].href));
        if ((got == NULL) != (cases[i].want == NULL) || (got && strcmp(got, cases[i].want) != 0)) {
            fprintf(stderr, "'%s': got %s, want %s\n", cases[i].href, got ? got : "no link",
                    cases[i].want ? cases[i].want : "no link");
            fail();
        }
        free(got);
    }
    link_base_free(base);
}

/* Without a base only absolute http(s) URLs are links. */
static void test_without_base(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *h = cases[i].href;
        char *got = link_resolve(NULL, h, strlen(h));
        int absolute = strstr(h, "://") != NULL && cases[i].want != NULL;
        if (absolute != (got != NULL)) {
            fprintf(stderr, "'%s' without a base: got %s\n", h, got ? got : "no link");
            fail();
        }
        free(got);
    }
}

/* The shortcuts and curl agree on every case, with and without a base,
 * and with bases of other shapes. */
static void test_same_as_curl(void **state) {
    static const char *bases[] = {BASE, "http://example.com", "https://example.com:8443/a/b?c#d",
                                  "https://user:pw@example.com/x/", "https://192.168.0.1/y", NULL};
    (void)state;
    for (int b = 0; b <= (int)(sizeof bases / sizeof bases[0]) - 1; b++) {
        link_base *base = bases[b] ? link_base_new(bases[b]) : NULL;
        assert_true(bases[b] == NULL || base != NULL);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            const char *h = cases[i].href;
            char *fast = link_resolve(base, h, strlen(h)), *slow = link_resolve_curl(base, h, strlen(h));
            if ((fast == NULL) != (slow == NULL) || (fast && strcmp(fast, slow) != 0)) {
                fprintf(stderr, "'%s' against %s: link_resolve %s, curl %s\n", h, bases[b] ? bases[b] : "no base",
                        fast ? fast : "no link", slow ? slow : "no link");
                fail();
            }
            free(fast);
            free(slow);
        }
        link_base_free(base);
    }
}

static void test_bad_base(void **state) {
    (void)state;
    assert_null(link_base_new("not a url"));
    assert_null(link_base_new(""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_base),
        cmocka_unit_test(test_without_base),
        cmocka_unit_test(test_same_as_curl),
        cmocka_unit_test(test_bad_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
