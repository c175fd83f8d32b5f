/* test_url.c — sp_url_canonical (common/url.c), rules version 2: tables of
 * input -> expected canonical URL (NULL: rejected), each also checked for
 * idempotence (the canonical form of a canonical URL is itself, and
 * canonical(canonical(u)) == canonical(u)). The tables cover scheme and host
 * case, ports, fragments, dot segments, percent-encoding (case, unreserved
 * characters decoded, reserved ones kept, spaces and non-ASCII encoded), IDN
 * hosts, user info, the query (tracking parameters, sorting, repeated and
 * value-less parameters, the empty query), the seeds' scmp.com links that
 * differ only by module/pgtype, the configurable tracking list
 * (sp_url_set_tracking), rejections, and an 8 KB URL. Every "News Source:"
 * link in tests/fixtures/seeds (found through $STORYPIPE_SOURCE) must
 * canonicalise to printable ASCII. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <dirent.h>
#include <locale.h>

#include "url.h"
#include "util.h"

struct url_case {
    const char *in;
    const char *want; /* NULL: sp_url_canonical() returns NULL */
};

#define N(t) (sizeof(t) / sizeof *(t))

static size_t cases_run;

/* 1 if canonical(in) is want and canonicalising is idempotent, else prints
 * why and returns 0. */
static int check(const char *in, const char *want) {
    char *got = sp_url_canonical(in), *again = NULL;
    int ok = 1;
    cases_run++;
    if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
        print_error("sp_url_canonical(\"%s\")\n  got      %s%s%s\n  expected %s%s%s\n", in, got ? "\"" : "",
                    got ? got : "NULL", got ? "\"" : "", want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
        ok = 0;
    }
    if (got && (again = sp_url_canonical(got)) != NULL && strcmp(again, got) != 0) {
        print_error("not idempotent: \"%s\" -> \"%s\" -> \"%s\"\n", in, got, again);
        ok = 0;
    } else if (got && again == NULL) {
        print_error("not idempotent: \"%s\" -> \"%s\" -> NULL\n", in, got);
        ok = 0;
    }
    free(again);
    free(got);
    if (want) { /* the expected form is canonical too */
        again = sp_url_canonical(want);
        if (again == NULL || strcmp(again, want) != 0) {
            print_error("expected form not canonical: \"%s\" -> %s\n", want, again ? again : "NULL");
            ok = 0;
        }
        free(again);
    }
    return ok;
}

static void run(const struct url_case *t, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += !check(t[i].in, t[i].want);
    if (bad) fail_msg("%zu of %zu cases failed", bad, n);
}

/* All of `urls` have the same canonical form. */
static void same(const char *const *urls, size_t n) {
    char *first = sp_url_canonical(urls[0]);
    assert_non_null(first);
    for (size_t i = 1; i < n; i++) {
        char *c = sp_url_canonical(urls[i]);
        if (c == NULL || strcmp(c, first) != 0)
            fail_msg("\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", urls[0], first ? first : "NULL", urls[i], c ? c : "NULL");
        free(c);
    }
    free(first);
}

static int restore_default(void **state) {
    (void)state;
    return sp_url_set_tracking(NULL);
}

static void test_basics(void **state) {
    static const struct url_case t[] = {
        {"https://example.com/a/b", "https://example.com/a/b"},
        {"http://example.com/", "http://example.com/"},
        {"https://example.com/a?x=1", "https://example.com/a?x=1"},
        /* an empty path becomes "/"; an empty query goes */
        {"https://example.com", "https://example.com/"},
        {"https://example.com?", "https://example.com/"},
        {"https://example.com/x?", "https://example.com/x"},
        {"https://example.com/x?&&", "https://example.com/x"},
        /* scheme and host lower-cased, path and query keep their case */
        {"HTTPS://Example.COM/Path", "https://example.com/Path"},
        {"Http://WWW.News.Example.ORG/x", "http://www.news.example.org/x"},
        {"https://example.com/News/Story-ABC.html?Q=Value", "https://example.com/News/Story-ABC.html?Q=Value"},
        /* www. is another host */
        {"https://www.example.com/a", "https://www.example.com/a"},
        /* a trailing slash is neither added nor removed */
        {"https://example.com/a/", "https://example.com/a/"},
        {"https://example.com/a//b", "https://example.com/a//b"},
        /* spaces and controls around the URL are not part of it */
        {"  https://example.com/a \r\n", "https://example.com/a"},
        /* curl is lenient about the slashes after the scheme */
        {"http:/example.com/", "http://example.com/"},
    };
    (void)state;
    run(t, N(t));
}

static void test_ports_fragments_dots(void **state) {
    static const struct url_case t[] = {
        {"http://example.com:80/a", "http://example.com/a"},
        {"https://example.com:443/a", "https://example.com/a"},
        {"https://example.com:0443/a", "https://example.com/a"},
        {"https://example.com:/a", "https://example.com/a"},
        {"http://example.com:8080/a", "http://example.com:8080/a"},
        {"https://example.com:8443/a", "https://example.com:8443/a"},
        /* a port is default only for its own scheme */
        {"http://example.com:443/a", "http://example.com:443/a"},
        {"https://example.com:80/a", "https://example.com:80/a"},
        {"https://example.com/a#section-2", "https://example.com/a"},
        {"https://example.com/a?x=1#frag", "https://example.com/a?x=1"},
        {"https://example.com/a#", "https://example.com/a"},
        {"https://example.com/a#frag ment", "https://example.com/a"},
        {"https://example.com/a/./b/../c", "https://example.com/a/c"},
        {"https://example.com/a/b/../../../x", "https://example.com/x"},
        {"https://example.com/a/.", "https://example.com/a/"},
        {"https://example.com/a/..?x=1", "https://example.com/?x=1"},
        /* percent-encoded dots are dots */
        {"https://example.com/a/%2e%2E/b", "https://example.com/b"},
        {"https://example.com/a/%2E/b", "https://example.com/a/b"},
        /* ... but "..%2F.." is one segment, not two */
        {"https://example.com/a/b/%2E%2E%2f..%2fc", "https://example.com/a/b/..%2F..%2Fc"},
    };
    (void)state;
    run(t, N(t));
}

static void test_percent_encoding(void **state) {
    static const struct url_case t[] = {
        /* unreserved characters decoded, whatever the case of the hex */
        {"https://example.com/%7euser/%41bc", "https://example.com/~user/Abc"},
        {"https://example.com/%7Euser", "https://example.com/~user"},
        {"https://example.com/s?q=%7e%5f%2D%2e", "https://example.com/s?q=~_-."},
        /* reserved characters stay encoded, in upper case */
        {"https://example.com/a%2fb", "https://example.com/a%2Fb"},
        {"https://example.com/%3fx%23y", "https://example.com/%3Fx%23y"},
        {"https://example.com/s?q=rock%26roll&x=1", "https://example.com/s?q=rock%26roll&x=1"},
        {"https://example.com/s?q=a%3db", "https://example.com/s?q=a%3Db"},
        {"https://example.com/s?q=a%2bb", "https://example.com/s?q=a%2Bb"},
        /* UTF-8, encoded or not, is the same */
        {"https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"},
        {"https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"},
        {"https://example.com/café", "https://example.com/caf%C3%A9"},
        {"https://example.com/s?q=café", "https://example.com/s?q=caf%C3%A9"},
        {"https://example.com/s?q=%e9", "https://example.com/s?q=%E9"}, /* not UTF-8: kept as is */
        /* spaces become %20, in the query too; '+' stays '+' */
        {"https://example.com/a b", "https://example.com/a%20b"},
        {"https://example.com/s?q=a b", "https://example.com/s?q=a%20b"},
        {"https://example.com/s?q=a%20b", "https://example.com/s?q=a%20b"},
        {"https://example.com/s?q=a+b", "https://example.com/s?q=a+b"},
        /* a '%' that starts no triplet is itself encoded */
        {"https://example.com/100%", "https://example.com/100%25"},
        {"https://example.com/a%zz?q=%1", "https://example.com/a%25zz?q=%251"},
        {"https://example.com/100%25", "https://example.com/100%25"},
        /* characters that may not appear literally */
        {"https://example.com/a\"<>{}|\\^`", "https://example.com/a%22%3C%3E%7B%7D%7C%5C%5E%60"},
        {"https://example.com/?a[]=1&a[]=2", "https://example.com/?a%5B%5D=1&a%5B%5D=2"},
        /* sub-delimiters, ':' and '@' are allowed as they are */
        {"https://example.com/a;b=c,d:e@f!$'()*", "https://example.com/a;b=c,d:e@f!$'()*"},
        {"https://example.com/s?u=http://x.y/z?w", "https://example.com/s?u=http://x.y/z?w"},
        /* a seed link (tests/fixtures/seeds/001_*.txt) */
        {"https://www.enanyang.my/国际财经/中国”限韩令”解禁现曙光-韩国娱乐文化类股大涨",
         "https://www.enanyang.my/%E5%9B%BD%E9%99%85%E8%B4%A2%E7%BB%8F/"
         "%E4%B8%AD%E5%9B%BD%E2%80%9D%E9%99%90%E9%9F%A9%E4%BB%A4%E2%80%9D%E8%A7%A3%E7%A6%81%E7%8E%B0%E6%9B%99%E5%85%"
         "89-%E9%9F%A9%E5%9B%BD%E5%A8%B1%E4%B9%90%E6%96%87%E5%8C%96%E7%B1%BB%E8%82%A1%E5%A4%A7%E6%B6%A8"},
    };
    (void)state;
    run(t, N(t));
}

/* Every byte, percent-encoded and (where a URL may hold it) as it is, in the
 * path and in the query: what RFC 3986 says of it, spelled out here apart
 * from url.c's own table. Encoded, an unreserved character is decoded and
 * every other byte stays "%XX" in upper case; as it is, a character that may
 * appear literally (unreserved, the sub-delimiters, ':', '@', '/', '?') stays
 * and every other one is encoded. */
static int rfc_unreserved(int c) { return c > 0 && c < 128 && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c); }
static int rfc_literal(int c) { return rfc_unreserved(c) || (c > 0 && c < 128 && strchr("!$&'()*+,;=:@/?", c)); }

static void test_every_byte(void **state) {
    static const char *const at[] = {"https://example.com/a%sb", "https://example.com/s?k=a%sb"};
    size_t bad = 0;
    (void)state;
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 256; c++) {
            char part[8], in[64], want[64];
            /* encoded */
            snprintf(part, sizeof part, "%%%02x", c);
            snprintf(in, sizeof in, at[k], part);
            if (rfc_unreserved(c)) snprintf(part, sizeof part, "%c", c);
            else snprintf(part, sizeof part, "%%%02X", c);
            snprintf(want, sizeof want, at[k], part);
            bad += !check(in, want);
            /* as it is: printable ASCII but for what ends the path or
             * query ('#', and '?' in a path) or starts a triplet ('%') */
            if (c <= ' ' || c >= 0x7F || c == '#' || c == '%' || (k == 0 && c == '?') || (k == 1 && c == '&')) continue;
            snprintf(part, sizeof part, "%c", c);
            snprintf(in, sizeof in, at[k], part);
            if (!rfc_literal(c)) snprintf(part, sizeof part, "%%%02X", c);
            snprintf(want, sizeof want, at[k], part);
            bad += !check(in, want);
        }
    if (bad) fail_msg("%zu bytes canonicalised wrong", bad);
}

static void test_hosts(void **state) {
    static const struct url_case t[] = {
        {"http://0x7f.1/", "http://127.0.0.1/"}, /* curl writes IPv4 in dotted decimal */
        {"http://[::1]:80/a", "http://[::1]/a"},
        {"http://[::1]:81/a", "http://[::1]:81/a"},
        {"https://example.com./a", "https://example.com/a"}, /* the root's dot */
        /* without its dots, a number: an IPv4 address (fuzz_link found the
         * shortcut writing "https://5/", whose own canonical form this is) */
        {"https://5../", "https://0.0.0.5/"},
        {"https://0x7f.1./a", "https://127.0.0.1/a"},
        {"http://ex%41mple.com/", "http://example.com/"},    /* curl decodes the host */
        {"http://XN--BCHER-KVA.DE/", "http://xn--bcher-kva.de/"},
        /* user info dropped */
        {"https://user:secret@example.com/a", "https://example.com/a"},
        {"https://user@Example.com/a", "https://example.com/a"},
        {"https://@example.com/a", "https://example.com/a"},
        {"https://:@example.com:443/a", "https://example.com/a"},
    };
    (void)state;
    run(t, N(t));
}

/* Punycode when libcurl has IDN support and a UTF-8 locale exists (url.h);
 * otherwise the host stays UTF-8, ASCII letters lower-cased. */
static void test_idn(void **state) {
    static const struct {
        const char *in, *puny, *utf8;
    } t[] = {
        {"http://例え.jp/", "http://xn--r8jz45g.jp/", "http://例え.jp/"},
        {"http://BÜCHER.de/", "http://xn--bcher-kva.de/", "http://bÜcher.de/"},
        {"http://bücher.de/a?x=1", "http://xn--bcher-kva.de/a?x=1", "http://bücher.de/a?x=1"},
        {"https://Bücher.DE.:443/", "https://xn--bcher-kva.de/", "https://bücher.de/"},
        {"http://ex%c3%bcample.com/", "http://xn--example-o2a.com/", "http://exüample.com/"},
        /* an IDN that is a number (NFKC: U+32B9 is "44"), so an IPv4 address
         * once converted: fuzz_link found the shortcut writing "https://44/",
         * whose own canonical form this is */
        {"https://\xe3\x8a\xb9/", "https://0.0.0.44/", "https://\xe3\x8a\xb9/"},
        {"https://\xe3\x8a\xb9.\xe2\x91\xa0/a", "https://44.0.0.1/a", "https://\xe3\x8a\xb9.\xe2\x91\xa0/a"},
    };
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    int puny = (v->features & CURL_VERSION_IDN) && utf8 != (locale_t)0;
    size_t bad = 0;
    (void)state;
    if (utf8 != (locale_t)0) freelocale(utf8);
    if (!puny) print_message("no IDN support: hosts stay UTF-8\n");
    for (size_t i = 0; i < N(t); i++) bad += !check(t[i].in, puny ? t[i].puny : t[i].utf8);
    if (bad) fail_msg("%zu IDN cases failed", bad);
    if (puny) {
        static const char *const one[] = {"http://BÜCHER.de/x", "http://bücher.de/x", "http://xn--bcher-kva.de/x",
                                          "http://b%C3%BCcher.de/x"};
        same(one, N(one));
    }
}

static void test_query(void **state) {
    static const struct url_case t[] = {
        {"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"},
        {"https://example.com/a?z=1&utm_source=x&m=2&a=3", "https://example.com/a?a=3&m=2&z=1"},
        /* repeated parameters kept, sorted by value */
        {"https://example.com/a?b=2&a=1&b=1", "https://example.com/a?a=1&b=1&b=2"},
        {"https://example.com/a?a=2&a=1&a=2", "https://example.com/a?a=1&a=2&a=2"},
        /* "a", "a=" and "a=x" are three different things, in that order */
        {"https://example.com/a?b&a=&a", "https://example.com/a?a&a=&b"},
        {"https://example.com/a?a=x&a=&a", "https://example.com/a?a&a=&a=x"},
        {"https://www.chinatimes.com/cn/hottopic/20250216000794-261109?chdtv",
         "https://www.chinatimes.com/cn/hottopic/20250216000794-261109?chdtv"},
        /* by name first: "a" before "a.b", although "a.b=1" < "a=2" as strings */
        {"https://example.com/a?a.b=1&a=2", "https://example.com/a?a=2&a.b=1"},
        {"https://example.com/a?ab=1&a=2", "https://example.com/a?a=2&ab=1"},
        /* empty parameters dropped, '=' in a value kept */
        {"https://example.com/a?a=1&&b=2&", "https://example.com/a?a=1&b=2"},
        {"https://example.com/a?x=1=2", "https://example.com/a?x=1=2"},
        /* sorted after normalising: %61 is 'a' */
        {"https://example.com/a?b=1&%61=2", "https://example.com/a?a=2&b=1"},
    };
    (void)state;
    run(t, N(t));
}

static void test_tracking(void **state) {
    static const struct url_case t[] = {
        /* utm_source=newsletter appended to a URL with a query, and without */
        {"https://example.com/a?id=5&utm_source=newsletter", "https://example.com/a?id=5"},
        {"https://example.com/a?utm_source=newsletter", "https://example.com/a"},
        {"https://example.com/a?UTM_Campaign=spring&Utm_Medium=email&id=5", "https://example.com/a?id=5"},
        {"https://example.com/a?utm%5Fsource=x&id=5", "https://example.com/a?id=5"}, /* %5F is '_' */
        {"https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&id=5", "https://example.com/a?id=5"},
        {"https://example.com/a?mc_cid=1&mc_eid=2&_ga=3&IGSHID=4&yclid=5&id=5", "https://example.com/a?id=5"},
        {"https://twitter.com/x/status/1?ref_src=twsrc%5Etfw", "https://twitter.com/x/status/1"},
        {"https://example.com/a?jsessionid=1&PHPSESSID=2&sid=3&sessionid=4&session_id=5&id=5",
         "https://example.com/a?id=5"},
        {"https://example.com/a?fbclid&id=5", "https://example.com/a?id=5"}, /* no value */
        {"https://example.com/a?gclid=1#top", "https://example.com/a"},
        {"https://example.com/?mc_cid=1", "https://example.com/"},
        /* the jsessionid path parameter */
        {"https://example.com/shop/item.jsp;jsessionid=0123ABC?x=1", "https://example.com/shop/item.jsp?x=1"},
        {"https://example.com/a;JSESSIONID=0123ABC;v=2/b", "https://example.com/a;v=2/b"},
        {"https://example.com/a;jsession=1", "https://example.com/a;jsession=1"},
        /* only the exact names (and the utm_ prefix) are tracking */
        {"https://example.com/a?utm=1&fbclid2=1&xgclid=1&q=utm_source",
         "https://example.com/a?fbclid2=1&q=utm_source&utm=1&xgclid=1"},
        {"https://example.com/a?session=1&sids=2&ga=3", "https://example.com/a?ga=3&session=1&sids=2"},
    };
    (void)state;
    run(t, N(t));
}

/* The seeds link scmp.com articles with ?module=...&pgtype=... (000_*.txt,
 * 001_*.txt): on scmp.com and its subdomains those go, elsewhere they stay. */
static void test_host_scoped_tracking(void **state) {
    static const struct url_case t[] = {
        {"https://www.scmp.com/tech/big-tech/article/3296827/"
         "deepseeks-ai-distillation-theft-openai-seeks-answers-over-chinas-breakthrough?module=Science&pgtype=section",
         "https://www.scmp.com/tech/big-tech/article/3296827/"
         "deepseeks-ai-distillation-theft-openai-seeks-answers-over-chinas-breakthrough"},
        {"https://www.scmp.com/tech/big-tech/article/3297500/"
         "bytedances-new-ai-model-goes-viral-its-deepfake-capabilities-animate-photos?module=perpetual_scroll_0&pgtype="
         "article",
         "https://www.scmp.com/tech/big-tech/article/3297500/"
         "bytedances-new-ai-model-goes-viral-its-deepfake-capabilities-animate-photos"},
        {"https://www.scmp.com/news/hong-kong/society/article/3296947/"
         "punters-flock-horse-racing-hong-kong-try-luck-year-snake?module=AI_Recommended_for_you_In-house&pgtype="
         "section",
         "https://www.scmp.com/news/hong-kong/society/article/3296947/"
         "punters-flock-horse-racing-hong-kong-try-luck-year-snake"},
        {"https://scmp.com/x?module=a", "https://scmp.com/x"},
        {"https://WWW.SCMP.COM./x?MODULE=a&pgtype=b&id=1", "https://www.scmp.com/x?id=1"},
        {"https://example.com/x?module=a&pgtype=b", "https://example.com/x?module=a&pgtype=b"},
        {"https://notscmp.com/x?module=a", "https://notscmp.com/x?module=a"},
        {"https://scmp.com.example.org/x?module=a", "https://scmp.com.example.org/x?module=a"},
    };
    /* one article, reached from different sections of the site */
    static const char *const one[] = {
        "https://www.scmp.com/sport/hong-kong/article/3297221/"
        "asian-winter-games-olympic-champions-carry-torch-hong-kong-ice-hockey-teams-action?module=AI_Recommended_for_"
        "you_In-house&pgtype=section",
        "https://www.scmp.com/sport/hong-kong/article/3297221/"
        "asian-winter-games-olympic-champions-carry-torch-hong-kong-ice-hockey-teams-action?module=perpetual_scroll_0&"
        "pgtype=article",
        "https://www.scmp.com/sport/hong-kong/article/3297221/"
        "asian-winter-games-olympic-champions-carry-torch-hong-kong-ice-hockey-teams-action?pgtype=homepage&module="
        "Sport&utm_source=newsletter",
        "https://www.scmp.com/sport/hong-kong/article/3297221/"
        "asian-winter-games-olympic-champions-carry-torch-hong-kong-ice-hockey-teams-action",
    };
    (void)state;
    run(t, N(t));
    same(one, N(one));
}

static void test_tracking_config(void **state) {
    static const struct url_case custom[] = {
        {"https://example.com/a?ref=x&id=1", "https://example.com/a?id=1"},
        {"https://www.nytimes.com/a?cmpid=x&id=1", "https://www.nytimes.com/a?id=1"},
        {"https://example.org/a?cmpid=x", "https://example.org/a?cmpid=x"},
        {"https://sub.example.com/a?SHARE=1", "https://sub.example.com/a"},
        {"https://example.org/a?share=1", "https://example.org/a?share=1"},
        /* the default list was replaced ... */
        {"https://www.scmp.com/x?module=a", "https://www.scmp.com/x?module=a"},
        /* ... the built-in names were not */
        {"https://example.com/a?utm_source=n&fbclid=1&sid=2", "https://example.com/a"},
    };
    static const char *const malformed[] = {
        "a,,b", "a,", ",a", "@scmp.com", "module@", "module@.scmp.com", "module@scmp..com", "module@scmp.com.",
        "mod ule", "a=b", "a@b@c", "módulo", "module@ex_ample.com", "utm_*", ",", "a, ,b",
    };
    (void)state;
    assert_string_equal(sp_url_tracking_default(), SP_URL_TRACKING_DEFAULT);
    assert_string_equal(sp_url_tracking(), SP_URL_TRACKING_DEFAULT);

    assert_int_equal(sp_url_set_tracking(" ref, cmpid@nytimes.com ,Share@Example.COM"), 0);
    assert_string_equal(sp_url_tracking(), "ref,cmpid@nytimes.com,share@example.com");
    run(custom, N(custom));

    /* a malformed spec is rejected and changes nothing */
    for (size_t i = 0; i < N(malformed); i++) {
        if (sp_url_set_tracking(malformed[i]) != -1) fail_msg("spec \"%s\" accepted", malformed[i]);
        assert_string_equal(sp_url_tracking(), "ref,cmpid@nytimes.com,share@example.com");
    }
    run(custom, N(custom));

    /* the empty list: only the built-in names */
    assert_int_equal(sp_url_set_tracking(""), 0);
    assert_string_equal(sp_url_tracking(), "");
    assert_true(check("https://www.scmp.com/x?module=a&utm_medium=e", "https://www.scmp.com/x?module=a"));
    assert_int_equal(sp_url_set_tracking("  "), 0);
    assert_string_equal(sp_url_tracking(), "");

    /* the default, spelled out or restored */
    assert_int_equal(sp_url_set_tracking(sp_url_tracking_default()), 0);
    assert_string_equal(sp_url_tracking(), SP_URL_TRACKING_DEFAULT);
    assert_true(check("https://www.scmp.com/x?module=a&pgtype=b", "https://www.scmp.com/x"));
    assert_true(check("https://example.com/x?module=a", "https://example.com/x?module=a"));
    assert_int_equal(sp_url_set_tracking(NULL), 0);
    assert_string_equal(sp_url_tracking(), SP_URL_TRACKING_DEFAULT);
    assert_true(check("https://www.scmp.com/x?module=a&pgtype=b", "https://www.scmp.com/x"));
    assert_true(check("https://example.com/x?module=a", "https://example.com/x?module=a"));
}

static void test_rejected(void **state) {
    static const struct url_case t[] = {
        {"ftp://example.com/file.txt", NULL},
        {"mailto:editor@example.com", NULL},
        {"file:///etc/passwd", NULL},
        {"javascript:alert(1)", NULL},
        {"data:text/plain,hello", NULL},
        {"/news/story.html", NULL},
        {"news/story.html", NULL},
        {"//example.com/a", NULL},
        {"example.com/a", NULL},
        {"?a=1", NULL},
        {"", NULL},
        {"   ", NULL},
        {"not a url at all", NULL},
        {"http://", NULL},
        {"http://:80/", NULL},
        {"https://exa mple.com/", NULL},
        {"https://example.com:65536/", NULL},
        {"https://example.com/a\tb", NULL},
        {"https://example.com/a\x01" "b", NULL}, /* (at the ends controls are trimmed) */
        {"https://example.com\\a", NULL},
        {"http:example.com/", NULL},
    };
    (void)state;
    run(t, N(t));
    assert_null(sp_url_canonical(NULL));
}

/* The input is not modified (a buffer the function could write to). */
static void test_input_untouched(void **state) {
    char buf[] = "HTTPS://Example.COM:443/a/../b%7e?utm_source=x&b=2&a=1#f";
    char *out = sp_url_canonical(buf);
    (void)state;
    assert_non_null(out);
    assert_string_equal(out, "https://example.com/b~?a=1&b=2");
    assert_string_equal(buf, "HTTPS://Example.COM:443/a/../b%7e?utm_source=x&b=2&a=1#f");
    free(out);
}

/* 8 KB and more: a long path and 500 parameters in reverse order. */
static void test_long_url(void **state) {
    size_t cap = 32768, n, m;
    char *in = sp_xmalloc(cap), *want = sp_xmalloc(cap), *out;
    (void)state;
    n = (size_t)snprintf(in, cap, "https://Example.com/");
    m = (size_t)snprintf(want, cap, "https://example.com/");
    for (int i = 0; i < 4000; i++) in[n++] = want[m++] = (char)('a' + i % 26);
    in[n++] = want[m++] = '?';
    for (int i = 499; i >= 0; i--) n += (size_t)snprintf(in + n, cap - n, "k%03d=%%7e&utm_source=x&", i);
    for (int i = 0; i < 500; i++) m += (size_t)snprintf(want + m, cap - m, "%sk%03d=~", i ? "&" : "", i);
    n += (size_t)snprintf(in + n, cap - n, "#frag");
    assert_true(n > 8192);
    out = sp_url_canonical(in);
    assert_non_null(out);
    assert_int_equal(strlen(out), m);
    assert_string_equal(out, want);
    assert_true(check(in, want));
    free(out);
    free(in);
    free(want);
}

/* Queries around the sizes url.c works on the stack (QUERY_LOCAL 512
 * bytes, PARAMS_LOCAL 32 parameters) and just past them: the same result
 * either side. 28 to 36 parameters given in reverse order, a tracking one
 * among them, values padded so that the query is 500 to 530 bytes long. */
static void test_query_sizes(void **state) {
    (void)state;
    for (int k = 28; k <= 36; k++)
        for (int len = 500; len <= 530; len += 3) {
            char in[2048], want[2048], value[64];
            size_t n = (size_t)snprintf(in, sizeof in, "https://example.com/a?"), q = n;
            size_t m = (size_t)snprintf(want, sizeof want, "https://example.com/a?");
            int pad = (len - 13 - k * 7) / k; /* "utm_source=x&" is 13; "pNN=" + "&" + 2 value bytes are 7 */
            if (pad < 0) pad = 0;
            memset(value, 'v', sizeof value);
            value[pad + 2 < 63 ? pad + 2 : 63] = '\0';
            n += (size_t)snprintf(in + n, sizeof in - n, "utm_source=x&");
            for (int i = k - 1; i >= 0; i--) n += (size_t)snprintf(in + n, sizeof in - n, "p%02d=%s%s", i, value, i ? "&" : "");
            for (int i = 0; i < k; i++) m += (size_t)snprintf(want + m, sizeof want - m, "%sp%02d=%s", i ? "&" : "", i, value);
            assert_true(n - q >= 400);
            if (!check(in, want)) fail_msg("%d parameters, a query of %zu bytes", k, n - q);
        }
}

/* Every seed link canonicalises to printable ASCII, idempotently, without
 * module/pgtype on scmp.com. */
static void test_seed_links(void **state) {
    const char *src = getenv("STORYPIPE_SOURCE");
    const char *file = __FILE__, *slash = strrchr(file, '/'); /* CMake passes the absolute path */
    char dir[4096];
    DIR *d;
    struct dirent *e;
    size_t links = 0, scmp = 0;
    (void)state;
    if (src && *src)
        snprintf(dir, sizeof dir, "%s/tests/fixtures/seeds", src);
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s/../fixtures/seeds", (int)(slash - file), file);
    else /* compiled from within tests/unit */
        snprintf(dir, sizeof dir, "../fixtures/seeds");
    d = opendir(dir);
    if (d == NULL) fail_msg("cannot open %s (set STORYPIPE_SOURCE)", dir);
    while ((e = readdir(d)) != NULL) {
        char path[8192], *text, *line, *save = NULL;
        size_t len;
        if (strstr(e->d_name, ".txt") == NULL) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        text = sp_read_file(path, 1 << 24, &len);
        assert_non_null(text);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *c;
            if (strncmp(line, "News Source:", 12) != 0) continue;
            c = sp_url_canonical(line + 12);
            if (c == NULL) fail_msg("%s: \"%s\" -> NULL", e->d_name, line);
            for (const char *p = c; *p; p++)
                if (*p <= ' ' || *p > '~') fail_msg("%s: \"%s\" -> \"%s\" is not printable ASCII", e->d_name, line, c);
            if (strstr(c, "scmp.com/")) {
                scmp++;
                if (strchr(c, '?')) fail_msg("%s: \"%s\" -> \"%s\" keeps a query", e->d_name, line, c);
            }
            assert_true(check(line + 12, c));
            free(c);
            links++;
        }
        free(text);
    }
    closedir(d);
    assert_true(links >= 10);
    assert_true(scmp >= 4);
}

static int report(void **state) {
    (void)state;
    print_message("%zu URL cases checked\n", cases_run);
    return 0;
}

/* sp_url_canonical(url) with its shortcuts and with curl's round trip
 * only (sp_url_no_shortcut): the two must agree. 1 when url has a
 * canonical form. */
static int both_ways(const char *url) {
    int has;
    sp_url_no_shortcut = 0;
    char *fast = sp_url_canonical(url);
    sp_url_no_shortcut = 1;
    char *slow = sp_url_canonical(url);
    sp_url_no_shortcut = 0;
    if ((fast == NULL) != (slow == NULL) || (fast && strcmp(fast, slow) != 0))
        fail_msg("%s: %s with the shortcuts, %s with curl's round trip only", url, fast ? fast : "NULL",
                 slow ? slow : "NULL");
    has = fast != NULL;
    free(fast);
    free(slow);
    return has;
}

/* The shortcut for plain URLs (no second parse by curl) agrees with the
 * round trip: every URL of these tables, and generated variants of the
 * plain kind, canonicalised both ways. */
static void test_shortcut_agrees(void **state) {
    static const char *const parts[][6] = {
        {"http://", "https://", "HTTPS://", "https://user:pw@", "http://", "https://"},
        {"example.com", "Example.COM", "news.example.co.uk", "example.com.", "1.2.3.4", "xn--bcher-kva.de"},
        {"", ":80", ":443", ":8080", ":", ""},
        {"/", "/a/b", "/a/./b", "/a/../b", "/%7Euser/%41%2e", "/a;jsessionid=1/b", },
        {"", "?", "?b=2&a=1", "?utm_source=x", "?q=%e9&x", "?a=1&a=0&utm_medium=y"},
        {"", "#frag", "", "#", "", ""},
    };
    (void)state;
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            for (int c = 0; c < 6; c++)
                for (int d = 0; d < 6; d++)
                    for (int e = 0; e < 5; e++)
                        for (int f = 0; f < 6; f++) {
                            char url[256];
                            snprintf(url, sizeof url, "%s%s%s%s%s%s", parts[0][a], parts[1][b], parts[2][c],
                                     parts[3][d] ? parts[3][d] : "/", parts[4][e], parts[5][f]);
                            both_ways(url);
                        }
}

/* A number below n from the generator *x. */
static size_t pick(unsigned *x, size_t n) {
    *x = *x * 1103515245u + 12345u;
    return (*x >> 16 & 0x7FFF) % n;
}

/* URLs made of parts at the edges of what sp_url_canonical() puts together
 * without curl (plain URLs: case, IPv4-like and long hosts, ports, dot
 * segments, ';', '%', spaces and non-ASCII in each part), 200,000 picked
 * at random with a fixed seed: each must come out as curl's way makes it. */

static void test_plain_agrees(void **state) {
    static const char *const scheme[] = {"http://", "HtTpS://", "https://", "http:/", "ftp://", "http:///"};
    static const char *const host[] = {
        "a.com", "A-B.Example.ORG", "a..com", "example.123", "0x7f.com", "localhost", "-a-.b-c.de", ".a.com",
        "a.com.", "a_b.com", "1.2.3.4", "0x7f.1", "5", "xn--bcher-kva.de", "b\xc3\xbc" "cher.de", "user@a.com", "a.c0m",
        "[::1]", "a%2ecom", "\xe3\x8a\xb9", "\xe2\x91\xa0.\xe2\x91\xa1",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", /* a label of 64 */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",  /* of 63 */
    };
    static const char *const port[] = {"", ":80", ":443", ":080", ":0", ":1", ":65535", ":65536", ":123456", ":", ":8a"};
    static const char *const path[] = {"", "/", "/A/B", "/a/.", "/a/..", "/.b", "/a...", "//x", "/a:b@c!$&'()*+,=",
                                       "/a;b", "/%41", "/a b", "/\xc3\xa9", "/a/./b", "/..", "/~u_-.", "/a\\b", "/a|b"};
    static const char *const query[] = {"", "?", "?a", "?b=2&a=1", "?x=%zz", "?x=%41%2F", "?utm_source=a&b",
                                        "?&&", "?a?b", "?a=\"", "?a b", "?a=%e9", "?module=1&pgtype=2", "?a=/./"};
    static const char *const frag[] = {"", "#", "#x", "#a b", "#{}", "#%", "#\xc3\xa9", "#\x7f", "##", "#a?b"};
    unsigned x = 20261203u, canonical = 0;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        char url[512];
        snprintf(url, sizeof url, "%s%s%s%s%s%s", scheme[pick(&x, N(scheme))], host[pick(&x, N(host))],
                 port[pick(&x, N(port))], path[pick(&x, N(path))], query[pick(&x, N(query))], frag[pick(&x, N(frag))]);
        canonical += both_ways(url);
    }
    printf("200000 URLs compared, %u with a canonical form\n", canonical);
    assert_true(canonical > 10000); /* not only rejects */
}

/* Every table above again, through curl's round trip only. */
static int without_shortcut(void **state) {
    (void)state;
    sp_url_no_shortcut = 1;
    return 0;
}

static int with_shortcut(void **state) {
    (void)state;
    sp_url_no_shortcut = 0;
    return 0;
}

/* sp_url_canonical_n() on a URL as it stands in a message, between its
 * quotes and not NUL-terminated: what sp_url_canonical() gives for the
 * string; with spaces around it trimmed, a NUL in it refused. */
static void test_length_given(void **state) {
    (void)state;
    static const char msg[] = "{\"url\":\"  HTTPS://Example.COM/a?utm_source=x&b=2#f \",\"x\":1}";
    const char *v = strstr(msg, "  HTTPS");
    size_t n = (size_t)(strchr(v, '"') - v);
    char *got = sp_url_canonical_n(v, n), *want = sp_url_canonical("HTTPS://Example.COM/a?utm_source=x&b=2#f");
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_string_equal(got, "https://example.com/a?b=2");
    free(got);
    free(want);
    assert_null(sp_url_canonical_n("https://example.com/a\0b", 22));
    assert_null(sp_url_canonical_n("   ", 3));
    assert_null(sp_url_canonical_n(v, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),
        cmocka_unit_test(test_length_given),
        cmocka_unit_test(test_ports_fragments_dots),
        cmocka_unit_test(test_percent_encoding),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_idn),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_tracking),
        cmocka_unit_test(test_host_scoped_tracking),
        cmocka_unit_test_teardown(test_tracking_config, restore_default),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_input_untouched),
        cmocka_unit_test(test_long_url),
        cmocka_unit_test(test_query_sizes),
        cmocka_unit_test(test_seed_links),
        cmocka_unit_test(test_shortcut_agrees),
        cmocka_unit_test(test_plain_agrees),
        cmocka_unit_test_setup_teardown(test_basics, without_shortcut, with_shortcut),
        cmocka_unit_test_setup_teardown(test_ports_fragments_dots, without_shortcut, with_shortcut),
        cmocka_unit_test_setup_teardown(test_percent_encoding, without_shortcut, with_shortcut),
        cmocka_unit_test_setup_teardown(test_every_byte, without_shortcut, with_shortcut),
        cmocka_unit_test_setup_teardown(test_hosts, without_shortcut, with_shortcut),
        cmocka_unit_test_setup_teardown(test_query, without_shortcut, with_shortcut),
        cmocka_unit_test_setup_teardown(test_seed_links, without_shortcut, with_shortcut),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
