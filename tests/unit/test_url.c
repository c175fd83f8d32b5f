/* test_url.c — sp_url_canonical (common/url.c), the foundation version:
 * lower-cases scheme and host but keeps the path's case, drops the fragment
 * and the default ports (:80 for http, :443 for https) but keeps others,
 * removes tracking parameters (utm_* in any case, fbclid, gclid, mc_cid,
 * mc_eid), sorts the remaining query parameters, leaves no '?' when every
 * parameter was tracking, and returns NULL for anything that is not an
 * absolute http(s) URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

static void canon(const char *in, const char *expect) {
    char *out = sp_url_canonical(in);
    if (out == NULL) fail_msg("sp_url_canonical(\"%s\") = NULL, expected \"%s\"", in, expect);
    if (strcmp(out, expect) != 0) {
        print_error("sp_url_canonical(\"%s\")\n  got      \"%s\"\n  expected \"%s\"\n", in, out, expect);
        free(out);
        fail();
    }
    free(out);
}

static void rejected(const char *in) {
    char *out = sp_url_canonical(in);
    if (out) {
        print_error("sp_url_canonical(\"%s\") = \"%s\", expected NULL\n", in, out);
        free(out);
        fail();
    }
}

static void test_already_canonical(void **state) {
    (void)state;
    canon("https://example.com/a/b", "https://example.com/a/b");
    canon("http://example.com/", "http://example.com/");
    canon("https://example.com/a?x=1", "https://example.com/a?x=1");
}

static void test_lowercases_scheme_and_host(void **state) {
    (void)state;
    canon("HTTPS://Example.COM/Path", "https://example.com/Path");
    canon("Http://WWW.News.Example.ORG/x", "http://www.news.example.org/x");
}

static void test_keeps_path_and_query_case(void **state) {
    (void)state;
    canon("https://example.com/News/Story-ABC.html", "https://example.com/News/Story-ABC.html");
    canon("https://example.com/a?Q=Value", "https://example.com/a?Q=Value");
}

static void test_drops_fragment(void **state) {
    (void)state;
    canon("https://example.com/a#section-2", "https://example.com/a");
    canon("https://example.com/a?x=1#frag", "https://example.com/a?x=1");
    canon("https://example.com/a#", "https://example.com/a");
}

static void test_default_ports(void **state) {
    (void)state;
    canon("http://example.com:80/a", "http://example.com/a");
    canon("https://example.com:443/a", "https://example.com/a");
    canon("http://example.com:8080/a", "http://example.com:8080/a");
    canon("https://example.com:8443/a", "https://example.com:8443/a");
    /* a port is default only for its own scheme */
    canon("http://example.com:443/a", "http://example.com:443/a");
    canon("https://example.com:80/a", "https://example.com:80/a");
}

static void test_removes_tracking_params(void **state) {
    (void)state;
    canon("https://example.com/a?utm_source=x&id=5", "https://example.com/a?id=5");
    canon("https://example.com/a?id=5&utm_medium=email", "https://example.com/a?id=5");
    canon("https://example.com/a?UTM_Campaign=spring&id=5", "https://example.com/a?id=5");
    canon("https://example.com/a?fbclid=abc&id=5", "https://example.com/a?id=5");
    canon("https://example.com/a?gclid=abc&id=5", "https://example.com/a?id=5");
    canon("https://example.com/a?mc_cid=1&mc_eid=2&id=5", "https://example.com/a?id=5");
    canon("https://example.com/a?utm_term=&id=5&utm_content=c", "https://example.com/a?id=5");
    canon("https://example.com/a?fbclid&id=5", "https://example.com/a?id=5"); /* no value */
}

static void test_keeps_lookalike_params(void **state) {
    (void)state;
    /* only the exact names (and the utm_ prefix) are tracking */
    canon("https://example.com/a?utm=1", "https://example.com/a?utm=1");
    canon("https://example.com/a?fbclid2=1", "https://example.com/a?fbclid2=1");
    canon("https://example.com/a?xgclid=1", "https://example.com/a?xgclid=1");
    canon("https://example.com/a?q=utm_source", "https://example.com/a?q=utm_source");
}

static void test_all_tracking_leaves_no_question_mark(void **state) {
    (void)state;
    canon("https://example.com/a?utm_source=x&utm_medium=y&fbclid=z", "https://example.com/a");
    canon("https://example.com/a?gclid=1#top", "https://example.com/a");
    canon("https://example.com/?mc_cid=1", "https://example.com/");
}

static void test_sorts_query(void **state) {
    (void)state;
    canon("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2");
    canon("https://example.com/a?z=1&utm_source=x&m=2&a=3", "https://example.com/a?a=3&m=2&z=1");
    /* the same page through differently ordered links is one URL */
    {
        char *x = sp_url_canonical("HTTPS://Example.com:443/p?b=2&a=1&utm_source=t#c");
        char *y = sp_url_canonical("https://example.com/p?a=1&fbclid=q&b=2");
        assert_non_null(x);
        assert_non_null(y);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
}

static void test_idempotent(void **state) {
    static const char *const urls[] = {
        "HTTP://Example.COM:80/A?z=1&utm_source=x&b=2#f",
        "https://example.com:8443/x/y?gclid=1",
        "https://example.com/a?b=2&a=1",
    };
    (void)state;
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        char *once = sp_url_canonical(urls[i]);
        char *twice;
        assert_non_null(once);
        twice = sp_url_canonical(once);
        assert_non_null(twice);
        assert_string_equal(once, twice);
        free(once);
        free(twice);
    }
}

static void test_rejects_non_http(void **state) {
    (void)state;
    rejected("ftp://example.com/file.txt");
    rejected("mailto:editor@example.com");
    rejected("file:///etc/passwd");
    rejected("javascript:alert(1)");
    rejected("data:text/plain,hello");
}

static void test_rejects_relative_and_garbage(void **state) {
    (void)state;
    rejected("/news/story.html");
    rejected("news/story.html");
    rejected("//example.com/a");
    rejected("example.com/a");
    rejected("?a=1");
    rejected("");
    rejected("not a url at all");
    rejected("http://");
    rejected("https://exa mple.com/");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_already_canonical),
        cmocka_unit_test(test_lowercases_scheme_and_host),
        cmocka_unit_test(test_keeps_path_and_query_case),
        cmocka_unit_test(test_drops_fragment),
        cmocka_unit_test(test_default_ports),
        cmocka_unit_test(test_removes_tracking_params),
        cmocka_unit_test(test_keeps_lookalike_params),
        cmocka_unit_test(test_all_tracking_leaves_no_question_mark),
        cmocka_unit_test(test_sorts_query),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_rejects_non_http),
        cmocka_unit_test(test_rejects_relative_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
