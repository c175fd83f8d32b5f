/* test_feed.c — the fetcher's feed parser (services/fetcher/feed.c).
 *
 * Every fixture in tests/fixtures/feeds, each with the exact items it must
 * give: a WordPress RSS 2.0 feed (content:encoded, dc:creator, CDATA,
 * character references, pubDate in several zones, guid isPermaLink=false),
 * an Atom feed (html, xhtml and text constructs, summary fallback,
 * published/updated, relative links against the feed's link and xml:base,
 * inherited authors), an RSS with only descriptions (an undeclared DTD with
 * HTML entities, relative links, guid as permalink, a made-up id), an
 * ISO-8859-1 feed, RSS 1.0, a malformed feed, an XXE probe and billion
 * laughs. Then generated documents: 5,000 items, quadratic entity blow-up,
 * dates in many forms, link resolution, documents that are not feeds, and
 * parsing from several threads at once. Every parse runs with stderr
 * redirected to a file that must stay empty: libxml2 must not print.
 * Fixtures are found through $STORYPIPE_SOURCE (ctest sets it), else
 * relative to this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

#include "buf.h"
#include "feed.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------ */

static char *read_fixture(const char *name, size_t *len) {
    char path[4096];
    const char *src = getenv("STORYPIPE_SOURCE");
    if (src && *src) {
        snprintf(path, sizeof path, "%s/tests/fixtures/feeds/%s", src, name);
    } else {
        const char *file = __FILE__, *slash = strrchr(file, '/');
        if (slash)
            snprintf(path, sizeof path, "%.*s/../../fixtures/feeds/%s", (int)(slash - file), file, name);
        else
            snprintf(path, sizeof path, "../../fixtures/feeds/%s", name);
    }
    char *data = sp_read_file(path, 64u << 20, len);
    if (data == NULL) fail_msg("cannot read %s", path);
    return data;
}

/* feed_parse with stderr sent to a temporary file, which must stay empty. */
static int parse_quiet(const char *data, size_t len, const char *base, feed *f, char err[48], char detail[256]) {
    FILE *tmp = tmpfile();
    int saved, rc;
    assert_non_null(tmp);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), 2) >= 0);
    rc = feed_parse(data, len, base, f, err, detail);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    if (ftell(tmp) != 0 || lseek(fileno(tmp), 0, SEEK_END) != 0) fail_msg("feed_parse wrote to stderr");
    fclose(tmp);
    return rc;
}

static void parse_ok(const char *data, size_t len, const char *base, feed *f) {
    char err[48], detail[256];
    if (parse_quiet(data, len, base, f, err, detail) != 0) fail_msg("feed_parse failed: %s: %s", err, detail);
    assert_true(sp_utf8_valid(detail, strlen(detail)));
}

static void parse_fixture(const char *name, const char *base, feed *f) {
    size_t len;
    char *data = read_fixture(name, &len);
    parse_ok(data, len, base, f);
    free(data);
}

/* detail contains one of the '|'-separated alternatives in needles (the
 * alternatives are libxml2's wording in 2.9 and in 2.11 and later). */
static int detail_has(const char *detail, const char *needles) {
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", needles);
    for (char *n = strtok_r(buf, "|", &save); n; n = strtok_r(NULL, "|", &save))
        if (strstr(detail, n)) return 1;
    return 0;
}

/* feed_parse must fail with code `want` and a detail containing `needle`
 * (see detail_has; NULL: any non-empty detail). */
static void parse_fails(const char *data, size_t len, const char *want, const char *needle) {
    char err[48], detail[256];
    feed f;
    int rc = parse_quiet(data, len, NULL, &f, err, detail);
    if (rc != -1) fail_msg("expected %s, got success with %zu items", want, f.n_items);
    assert_string_equal(err, want);
    assert_true(detail[0] != '\0');
    assert_true(sp_utf8_valid(detail, strlen(detail)));
    for (const char *p = detail; *p; p++) assert_true((unsigned char)*p >= 0x20); /* one line */
    if (needle && !detail_has(detail, needle)) fail_msg("detail \"%s\" lacks \"%s\"", detail, needle);
    assert_null(f.items); /* left empty */
    assert_int_equal(f.n_items, 0);
    assert_null(f.title);
    assert_null(f.link);
    feed_free(&f);
}

static void str_eq(const char *field, const char *got, const char *want) {
    if ((got == NULL) != (want == NULL) || (got && want && strcmp(got, want) != 0))
        fail_msg("%s: got %s%s%s, want %s%s%s", field, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
                 want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
}

typedef struct want_item {
    const char *id, *link, *title, *published, *modified, *author, *content, *content_type;
} want_item;

static void check_item(const feed_item *it, const want_item *w) {
    str_eq("id", it->id, w->id);
    str_eq("link", it->link, w->link);
    str_eq("title", it->title, w->title);
    str_eq("published", it->published, w->published);
    str_eq("modified", it->modified, w->modified);
    str_eq("author", it->author, w->author);
    str_eq("content", it->content, w->content);
    str_eq("content_type", it->content_type, w->content_type);
}

/* Every string of f is valid UTF-8, every id and content non-NULL. */
static void check_invariants(const feed *f) {
    if (f->title) assert_true(sp_utf8_valid(f->title, strlen(f->title)));
    if (f->link) assert_true(sp_utf8_valid(f->link, strlen(f->link)));
    for (size_t i = 0; i < f->n_items; i++) {
        const feed_item *it = &f->items[i];
        const char *s[] = {it->id, it->link, it->title, it->published, it->modified, it->author, it->content};
        assert_non_null(it->id);
        assert_non_null(it->content);
        assert_true(strcmp(it->content_type, "text/html") == 0 || strcmp(it->content_type, "text/plain") == 0);
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            if (s[k]) assert_true(sp_utf8_valid(s[k], strlen(s[k])));
    }
}

static void check_feed(const feed *f, const char *title, const char *link, const want_item *items, size_t n) {
    check_invariants(f);
    str_eq("feed title", f->title, title);
    str_eq("feed link", f->link, link);
    assert_int_equal(f->n_items, n);
    for (size_t i = 0; i < n; i++) {
        print_message("  item %zu\n", i);
        check_item(&f->items[i], &items[i]);
    }
}

/* ---- fixtures ----------------------------------------------------------- */

static void test_wordpress(void **state) {
    static const want_item items[] = {
        {"https://gazette.example.ca/?p=18231",
         "https://gazette.example.ca/2024/03/05/council-approves-harbour-wall-repair/",
         "Council approves $4.2M harbour wall repair \xE2\x80\x93 work starts in May", "2024-03-05T14:30:00Z", NULL,
         "Marie-\xC3\x88ve Tremblay",
         "<p>Town council voted 6&#8211;1 on Monday night to fund the repair of the harbour wall, which was damaged "
         "in January&#8217;s storm.</p>\n"
         "<p>&#8220;We can&#8217;t wait another winter,&#8221; said Mayor Dan O&#8217;Neill.</p>\n"
         "<!-- /wp:paragraph -->\n"
         "<figure class=\"wp-block-image\"><img src=\"https://gazette.example.ca/wp-content/uploads/2024/03/wall.jpg\" "
         "alt=\"The harbour wall &amp; pier\" /></figure>",
         "text/html"},
        {"https://gazette.example.ca/?p=18225", "https://gazette.example.ca/2024/03/04/ferry-schedule-changes/",
         "Ferry schedule changes: what you need to know", "2024-03-04T14:15:27Z", NULL, "Sam O'Brien",
         "<p>The spring schedule begins March 18. Sailings at 6:40 &amp; 7:20 are cancelled; the <strong>last</strong> "
         "boat leaves at 21:10.</p>\n<ul><li>Weekdays: 6 sailings</li><li>Weekends: 4 sailings</li></ul>",
         "text/html"},
        {"https://gazette.example.ca/?p=18210", "https://gazette.example.ca/2024/03/02/letter-library-sundays/",
         "Letter: \xE2\x80\x9CKeep the library open on Sundays\xE2\x80\x9D", "2024-03-02T23:45:00Z", NULL,
         "Guest Contributor",
         "<p>To the editor: the library is the only warm, quiet place in town on a Sunday.</p>  "
         "<p>&mdash; A. Reader</p>",
         "text/html"},
        {"https://gazette.example.ca/?p=18198", "https://gazette.example.ca/2024/02/29/storm-watch/",
         "Storm watch: up to 40 cm of snow expected <b>tonight</b>", "2024-02-29T23:00:00Z", NULL, "Weather Desk",
         "<p>Environment Canada has issued a winter storm warning for the region.</p>", "text/html"},
        /* content:encoded empty: the description */
        {"https://gazette.example.ca/?p=18187", "https://gazette.example.ca/2024/02/26/otters-win/",
         "Minor hockey: Otters win the regional final 3\xE2\x80\x93" "2", "2024-02-25T20:00:00Z", NULL, "Sports Desk",
         "Overtime winner from the blue line.", "text/html"},
    };
    feed f;
    (void)state;
    parse_fixture("wordpress.xml", "https://gazette.example.ca/feed/", &f);
    check_feed(&f, "Harbour Town Gazette \xE2\x80\x93 Local news, weather & sports", "https://gazette.example.ca/",
               items, sizeof items / sizeof items[0]);
    feed_free(&f);
    /* the same without a base URL: every link in it is absolute */
    parse_fixture("wordpress.xml", NULL, &f);
    check_feed(&f, "Harbour Town Gazette \xE2\x80\x93 Local news, weather & sports", "https://gazette.example.ca/",
               items, sizeof items / sizeof items[0]);
    feed_free(&f);
}

static void test_atom(void **state) {
    static const want_item items[] = {
        {"tag:ledger.example.org,2024-03-05:/news/1041", "https://ledger.example.org/news/2024/03/fish-plant-reopens",
         "Fish plant to reopen &amp; hire 120 <i>this spring</i>", "2024-03-05T12:00:00Z", "2024-03-05T14:20:00Z",
         "Priya Raman, Tom\xC3\xA1s \xC3\x93 Briain",
         "<p>The plant closed in 2019 &amp; laid off 300 workers.</p>\n"
         "<p><a href=\"/news/2019/plant-closes\">Our 2019 report</a></p>",
         "text/html"},
        /* xml:base on the entry; no author: the feed's; summary as content */
        {"tag:ledger.example.org,2024-03-04:/news/1040", "https://archive.example.org/2024/tides.html",
         "Tide tables <2024> now online", NULL, "2024-03-04T12:00:00Z", "Ledger Newsroom",
         "<p>Download the <b>full year</b> of tide tables.</p>", "text/html"},
        /* xhtml title and content; xml:base on the link, relative to the feed's link; the source's author */
        {"urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "https://ledger.example.org/features/seals",
         "Harbour <em>seals</em> return", "2024-03-03T22:10:05Z", "2024-03-03T22:10:05Z", "Wildlife Watch",
         "<p>For the first time in a decade, <a href=\"https://wildlife.example.com/seals\">harbour seals</a> &amp; "
         "their pups were seen on the breakwater.</p>",
         "text/html"},
        {"tag:ledger.example.org,2024-03-02:/news/1038", "https://ledger.example.org/news/2024/03/plain",
         "Plain text content", NULL, "2024-03-02T09:00:00Z", "Ledger Newsroom", "Line one <not a tag>\nLine two",
         "text/plain"},
        /* only a rel="related" link; out-of-line content: the summary */
        {"tag:ledger.example.org,2024-03-01:/news/1037", NULL, "Out-of-line content falls back to the summary", NULL,
         "2024-03-01T00:00:00Z", "Ledger Newsroom", "A short summary.", "text/plain"},
    };
    feed f;
    (void)state;
    parse_fixture("atom.xml", "https://feeds.example.net/coastal-ledger.atom", &f);
    check_feed(&f, "The Coastal Ledger", "https://ledger.example.org/news/", items, sizeof items / sizeof items[0]);
    feed_free(&f);
}

static void test_description_only(void **state) {
    feed f;
    (void)state;
    parse_fixture("description-only.xml", "http://valleyweekly.example.com/rss.xml", &f);
    const want_item items[] = {
        {"http://valleyweekly.example.com/news/2024/school-board.html",
         "http://valleyweekly.example.com/news/2024/school-board.html", "School board meeting moved",
         "2024-03-06T16:05:00Z", NULL, "Jo Smith",
         "The meeting is now on <b>Thursday</b> at 7&nbsp;p.m. in the gym.", "text/html"},
        /* undeclared HTML entities (the DTD is never read) are kept as written */
        {"http://valleyweekly.example.com/news/2024/cafe.html",
         "http://valleyweekly.example.com/news/2024/cafe.html?ref=rss&id=7", "Caf&eacute; opens on Main&nbsp;Street",
         "2024-03-06T09:00:00Z", NULL, NULL, "<p>A new caf\xC3\xA9 opens Saturday. <img src=\"/img/cafe.jpg\"></p>",
         "text/html"},
        /* a permalink guid is the link; no description: "" */
        {"http://valleyweekly.example.com/news/2024/notice.html",
         "http://valleyweekly.example.com/news/2024/notice.html", NULL, "2024-03-01T16:00:00Z", NULL, NULL, "",
         "text/plain"},
        /* neither guid nor link: a made-up id (checked below) */
        {f.n_items > 3 ? f.items[3].id : "", NULL, "Community calendar", NULL, NULL, NULL, "Bake sale, Saturday.",
         "text/html"},
    };
    check_feed(&f, "Valley Weekly", "http://valleyweekly.example.com/", items, sizeof items / sizeof items[0]);
    const char *id = f.items[3].id;
    assert_int_equal(strlen(id), strlen("urn:storypipe:feed-item:") + 16);
    assert_memory_equal(id, "urn:storypipe:feed-item:", strlen("urn:storypipe:feed-item:"));
    for (const char *p = id + strlen("urn:storypipe:feed-item:"); *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    /* stable: the same document gives the same id */
    feed g;
    parse_fixture("description-only.xml", NULL, &g);
    assert_string_equal(g.items[3].id, id);
    /* without a base URL the channel's link still resolves the relative one */
    assert_string_equal(g.items[0].link, "http://valleyweekly.example.com/news/2024/school-board.html");
    feed_free(&g);
    feed_free(&f);
}

static void test_latin1(void **state) {
    static const want_item items[] = {
        {"https://journal.example.fr/2024/06/fete-musique", "https://journal.example.fr/2024/06/fete-musique",
         "F\xC3\xAAte de la musique : le programme \xC2\xAB complet \xC2\xBB", "2024-06-20T16:30:00Z", NULL,
         "Fran\xC3\xA7oise M\xC3\xBCller",
         "Concerts gratuits \xC3\xA0 partir de 18 h. Entr\xC3\xA9" "e : 0 \xC2\xA3 / 0 \xE2\x82\xAC.", "text/html"},
    };
    size_t len;
    char *data = read_fixture("latin1.xml", &len);
    feed f;
    (void)state;
    assert_false(sp_utf8_valid(data, len)); /* really Latin-1 on disk */
    parse_ok(data, len, NULL, &f);
    check_feed(&f, "Le Journal de Montr\xC3\xA9" "al \xE2\x80\x93 \xC3\x89" "dition r\xC3\xA9gionale",
               "https://journal.example.fr/", items, 1);
    feed_free(&f);
    free(data);
}

static void test_rdf(void **state) {
    static const want_item items[] = {
        {"https://press.example.jp/2024/0301.html", "https://press.example.jp/2024/0301.html", "Quarterly results",
         "2024-03-01T06:00:00Z", NULL, "Investor Relations", "<p>Revenue up <strong>4%</strong> year on year.</p>",
         "text/html"},
        {"https://press.example.jp/2024/0228.html", "https://press.example.jp/2024/0228.html", "New office in Osaka",
         "2024-02-28T00:00:00Z", NULL, NULL, "Opening in April.", "text/html"},
    };
    feed f;
    (void)state;
    parse_fixture("rdf.xml", NULL, &f);
    check_feed(&f, "Press Releases", "https://press.example.jp/", items, 2);
    feed_free(&f);
}

static void test_malformed(void **state) {
    size_t len;
    char *data = read_fixture("malformed.xml", &len);
    (void)state;
    /* the first error: the bare '&' in the title, line 7 */
    parse_fails(data, len, "invalid_xml", "line 7: xmlParseEntityRef: no name");
    /* every truncation of a good feed is an error, never a crash */
    char *good = read_fixture("wordpress.xml", &len);
    for (size_t cut = 0; cut + 8 < len; cut += 97) parse_fails(good, cut ? cut : 1, "invalid_xml", "line ");
    free(good);
    free(data);

    static const struct {
        const char *doc, *needle;
    } bad[] = {
        {"<rss><channel><item></channel></rss>", "Opening and ending tag mismatch"},
        {"<rss version=\"2.0\"><channel><title>x</title></channel></rss><rss/>", "Extra content"},
        {"just text", "Start tag expected"},
        {"<?xml version=\"1.0\" encoding=\"x-no-such-encoding\"?><rss/>", "x-no-such-encoding"},
        /* Latin-1 bytes without a declaration: not UTF-8 */
        {"<rss version=\"2.0\"><channel><title>caf\xE9</title></channel></rss>",
         "line 1: Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9 0x3C 0x2F 0x74"},
        {"<rss version=\"2.0\"><channel><title>\x01</title></channel></rss>", "PCDATA invalid Char"},
        {"<!DOCTYPE rss [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]><rss><channel><title>&a;</title></channel></rss>",
         "Detected an entity reference loop|entity"},
        {"<rss><channel><title>&undeclared;</title></channel></rss>", "Entity 'undeclared' not defined"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        print_message("  %s\n", bad[i].doc);
        parse_fails(bad[i].doc, strlen(bad[i].doc), "invalid_xml", bad[i].needle);
    }
    /* a NUL byte inside, empty input */
    static const char nul[] = "<rss version=\"2.0\"><channel><title>a\0b</title></channel></rss>";
    parse_fails(nul, sizeof nul - 1, "invalid_xml", NULL);
    parse_fails("", 0, "invalid_xml", "empty document");
    parse_fails(NULL, 0, "invalid_xml", "empty document");
}

static void test_not_a_feed(void **state) {
    static const struct {
        const char *doc, *needle;
    } cases[] = {
        {"<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>hi</p></body></html>",
         "<html> (http://www.w3.org/1999/xhtml)"},
        {"<?xml version=\"1.0\"?><sitemap><url/></sitemap>", "<sitemap>"},
        {"<rss version=\"2.0\"><item><title>no channel</title></item></rss>", "<rss> has no <channel>"},
        {"<feed xmlns=\"http://purl.org/atom/ns#\" version=\"0.3\"><title>Atom 0.3</title></feed>",
         "<feed> (http://purl.org/atom/ns#)"},
        {"<feed><title>no namespace</title></feed>", "<feed>"},
        {"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description/></rdf:RDF>",
         "no RSS 1.0 channel"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fails(cases[i].doc, strlen(cases[i].doc), "not_a_feed", cases[i].needle);
}

static void test_xxe(void **state) {
    static const want_item items[] = {
        {"https://xxe.example.com/1", "https://xxe.example.com/1", "passwd: []", NULL, NULL, NULL,
         "net: [] by Harbour & Hills Media", "text/html"},
    };
    feed f;
    (void)state;
    /* external entities are never read (the file, the network, the external parameter entity) */
    parse_fixture("xxe.xml", NULL, &f);
    check_feed(&f, "XXE probe", "https://xxe.example.com/", items, 1);
    feed_free(&f);
    /* the same with an external DTD subset, which would be loaded with XML_PARSE_DTDLOAD */
    static const char dtd[] = "<!DOCTYPE rss SYSTEM \"file:///etc/passwd\"><rss version=\"2.0\"><channel>"
                              "<title>t</title></channel></rss>";
    parse_ok(dtd, sizeof dtd - 1, NULL, &f);
    str_eq("title", f.title, "t");
    feed_free(&f);
}

static void test_billion_laughs(void **state) {
    size_t len;
    char *data = read_fixture("billion-laughs.xml", &len);
    (void)state;
    parse_fails(data, len, "invalid_xml", "Detected an entity reference loop|amplification");
    free(data);
}

/* Entities that libxml2 lets through because references are not
 * substituted: one 50 KB entity referenced 10,000 times (500 MB of text), in
 * text, in an attribute (xml:base) and nested below elements inside the
 * entity; they must stop at the budget. */
static void test_quadratic_blowup(void **state) {
    static const char *const where[] = {
        "<item><title>%s</title></item>",
        "<item xml:base=\"%s\"><link>x</link></item>",
        "<item><description>%s</description></item>",
    };
    (void)state;
    for (size_t k = 0; k < sizeof where / sizeof where[0]; k++) {
        sp_buf refs = {0}, doc = {0};
        char *big = malloc(50001);
        assert_non_null(big);
        memset(big, 'x', 50000);
        big[50000] = '\0';
        for (int i = 0; i < 10000; i++) sp_buf_put(&refs, k == 2 ? "<b>&a;</b>" : "&a;", k == 2 ? 10 : 3);
        if (k == 2) { /* markup inside the entity */
            memcpy(big, "<i>", 3);
            memcpy(big + 49996, "</i>", 4);
        }
        sp_buf_printf(&doc, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY a \"");
        sp_buf_put(&doc, big, 50000);
        sp_buf_printf(&doc, "\">]>\n<rss version=\"2.0\"><channel>");
        char *item = malloc(refs.len + 100);
        assert_non_null(item);
        sprintf(item, where[k], refs.s);
        sp_buf_put(&doc, item, strlen(item));
        sp_buf_printf(&doc, "</channel></rss>");
        print_message("  case %zu: %zu bytes\n", k, doc.len);
        /* libxml2 2.11 and later may see it first */
        parse_fails(doc.s, doc.len, "invalid_xml", "entity references expand to more than 1048576 bytes|amplification");
        free(item);
        free(big);
        sp_buf_free(&refs);
        sp_buf_free(&doc);
    }
    /* a small internal entity used a few times is fine */
    static const char ok[] = "<!DOCTYPE rss [<!ENTITY co \"Harbour <i>&amp;</i> Hills\">]>"
                             "<rss version=\"2.0\"><channel><title>&co; / &co;</title></channel></rss>";
    feed f;
    parse_ok(ok, sizeof ok - 1, NULL, &f);
    str_eq("title", f.title, "Harbour & Hills / Harbour & Hills");
    feed_free(&f);
}

/* 5,000 items, each with every field. */
static void test_huge(void **state) {
    enum { N = 5000 };
    sp_buf doc = {0};
    feed f;
    (void)state;
    sp_buf_printf(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
                    "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
                    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Big</title>\n"
                    "<link>https://big.example.com/</link>\n");
    for (int i = 0; i < N; i++) {
        sp_buf_printf(&doc,
                  "<item>\n<title>Story %d &amp; more</title>\n<link>/story/%d</link>\n"
                  "<dc:creator><![CDATA[Writer %d]]></dc:creator>\n"
                  "<pubDate>%s, %02d %s 2024 %02d:%02d:%02d +0000</pubDate>\n"
                  "<guid isPermaLink=\"false\">https://big.example.com/?p=%d</guid>\n"
                  "<description><![CDATA[Summary %d]]></description>\n"
                  "<content:encoded><![CDATA[<p>Body of story %d. Lorem ipsum dolor sit amet, consectetur "
                  "adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad "
                  "minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
                  "consequat.</p>]]></content:encoded>\n</item>\n",
                  i, i, i % 37, "Mon", 1 + i % 28, "Jan", i % 24, i % 60, (i / 60) % 60, i, i, i);
    }
    sp_buf_printf(&doc, "</channel>\n</rss>\n");
    print_message("  %zu bytes\n", doc.len);
    parse_ok(doc.s, doc.len, NULL, &f);
    check_invariants(&f);
    assert_int_equal(f.n_items, N);
    for (int i = 0; i < N; i++) {
        char want[256];
        const feed_item *it = &f.items[i];
        snprintf(want, sizeof want, "https://big.example.com/?p=%d", i);
        assert_string_equal(it->id, want);
        snprintf(want, sizeof want, "https://big.example.com/story/%d", i);
        assert_string_equal(it->link, want);
        snprintf(want, sizeof want, "Story %d & more", i);
        assert_string_equal(it->title, want);
        snprintf(want, sizeof want, "Writer %d", i % 37);
        assert_string_equal(it->author, want);
        snprintf(want, sizeof want, "2024-01-%02dT%02d:%02d:%02dZ", 1 + i % 28, i % 24, i % 60, (i / 60) % 60);
        assert_string_equal(it->published, want);
        snprintf(want, sizeof want, "<p>Body of story %d. Lorem", i);
        assert_memory_equal(it->content, want, strlen(want));
        assert_string_equal(it->content_type, "text/html");
    }
    feed_free(&f);
    sp_buf_free(&doc);
}

/* ---- dates -------------------------------------------------------------- */

static const struct {
    const char *in, *want; /* want NULL: no date */
} dates[] = {
    /* RFC 822 / 2822 */
    {"Tue, 05 Mar 2024 14:30:00 +0000", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00 -0000", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00 GMT", "2024-03-05T14:30:00Z"},
    {"Tue, 5 Mar 2024 14:30:00 UT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00 UTC", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00 Z", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 09:30:00 EST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 10:30:00 EDT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 08:30:00 CST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 09:30:00 CDT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 07:30:00 MST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 08:30:00 MDT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 06:30:00 PST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 07:30:00 PDT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 15:30:00 CET", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 16:30:00 CEST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 15:30:00 BST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 20:00:00 IST", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 23:30:00 JST", "2024-03-05T14:30:00Z"},
    {"Wed, 06 Mar 2024 01:30:00 AEDT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00 XYZ", "2024-03-05T14:30:00Z"}, /* unknown name: UTC (RFC 2822 4.3) */
    {"Tue, 05 Mar 2024 14:30:00 A", "2024-03-05T14:30:00Z"},   /* military: likewise */
    {"Tue, 05 Mar 2024 20:00:00 +0530", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 20:00:00 +05:30", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 04:30:00 -1000", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30 +0000", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 4:30:00 -1000", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00.123 +0000", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00", "2024-03-05T14:30:00Z"}, /* no zone: UTC */
    {"Tue, 05 Mar 2024", "2024-03-05T00:00:00Z"},
    {"05 Mar 2024 14:30:00 +0000", "2024-03-05T14:30:00Z"},
    {"Tuesday, 05 March 2024 14:30:00 +0000", "2024-03-05T14:30:00Z"},
    {"Tue,05 Mar 2024 14:30:00 +0000", "2024-03-05T14:30:00Z"},
    {"Tue 05 Mar 2024 14:30:00 +0000", "2024-03-05T14:30:00Z"},
    {"tue, 05 mar 2024 14:30:00 gmt", "2024-03-05T14:30:00Z"},
    {"TUE, 05 MAR 2024 14:30:00 GMT", "2024-03-05T14:30:00Z"},
    {"Tue, 05-Mar-2024 14:30:00 GMT", "2024-03-05T14:30:00Z"},
    {"Tuesday, 05-Mar-24 14:30:00 GMT", "2024-03-05T14:30:00Z"},
    {"Tue, 05 Mar 24 14:30:00 +0000", "2024-03-05T14:30:00Z"},
    {"Fri, 31 Dec 99 23:59:59 +0000", "1999-12-31T23:59:59Z"},
    {"Thu, 01 Jan 070 00:00:00 +0000", "1970-01-01T00:00:00Z"}, /* 3 digits: +1900 */
    {"Tue, 05 Sept 2023 14:30:00 +0000", "2023-09-05T14:30:00Z"},
    {"Tue, 05 Sep 2023 14:30:00 +0000", "2023-09-05T14:30:00Z"},
    {"Sun, 05 Mar. 2023 14:30:00 +0000", "2023-03-05T14:30:00Z"},
    {"Tue, 05 Mar 2024 14:30:00 +0000 (UTC)", "2024-03-05T14:30:00Z"},
    {"  Tue, 05 Mar 2024 14:30:00 +0000 \n\t", "2024-03-05T14:30:00Z"},
    {"Mon, 01 Jan 2024 00:30:00 +0100", "2023-12-31T23:30:00Z"},
    {"Thu, 29 Feb 2024 23:00:00 -0200", "2024-03-01T01:00:00Z"},
    {"Sat, 31 Dec 2016 23:59:60 +0000", "2017-01-01T00:00:00Z"}, /* leap second */
    {"Mon, 06 Mar 2024 14:30:00 +0000", "2024-03-06T14:30:00Z"}, /* a wrong day name is ignored */
    /* RFC 3339 / ISO 8601 */
    {"2024-03-05T14:30:00Z", "2024-03-05T14:30:00Z"},
    {"2024-03-05T14:30:00+00:00", "2024-03-05T14:30:00Z"},
    {"2024-03-05T14:30:00-00:00", "2024-03-05T14:30:00Z"},
    {"2024-03-05T16:30:00+02:00", "2024-03-05T14:30:00Z"},
    {"2024-03-05T09:30:00-05:00", "2024-03-05T14:30:00Z"},
    {"2024-03-05T20:00:00+0530", "2024-03-05T14:30:00Z"},
    {"2024-03-05T16:30:00+02", "2024-03-05T14:30:00Z"},
    {"2024-03-05T14:30:00.123456Z", "2024-03-05T14:30:00Z"},
    {"2024-03-05T14:30:00,5Z", "2024-03-05T14:30:00Z"},
    {"2024-03-05t14:30:00z", "2024-03-05T14:30:00Z"},
    {"2024-03-05 14:30:00Z", "2024-03-05T14:30:00Z"},
    {"2024-03-05T14:30Z", "2024-03-05T14:30:00Z"},
    {"2024-03-05T14:30+01:00", "2024-03-05T13:30:00Z"},
    {"2024-03-05T14:30:00", "2024-03-05T14:30:00Z"},
    {"2024-03-05", "2024-03-05T00:00:00Z"},
    {"2024-01-01T00:15:00+01:00", "2023-12-31T23:15:00Z"},
    {"2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z"},
    {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
    {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
    {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
    {" 2024-03-05T14:30:00Z\n", "2024-03-05T14:30:00Z"},
    /* no date */
    {"", NULL},
    {"not a date", NULL},
    {"1709649000", NULL},
    {"March 5, 2024", NULL},
    {"2024-02-30T00:00:00Z", NULL},
    {"2023-02-29", NULL},
    {"1900-02-29", NULL},
    {"2024-13-01", NULL},
    {"2024-00-10", NULL},
    {"2024-3-5", NULL},
    {"24-03-05", NULL},
    {"2024-03-05T25:00:00Z", NULL},
    {"2024-03-05T24:00:00Z", NULL},
    {"2024-03-05T14:61:00Z", NULL},
    {"2024-03-05T14:30:61Z", NULL},
    {"2024-03-05T14:30:00+24:00", NULL},
    {"2024-03-05T14:30:00Zjunk", NULL},
    {"2024-03-05T14:30:00.Z", NULL},
    {"2024-03-05T", NULL},
    {"0000-01-01T00:00:00+01:00", NULL}, /* year -1 in UTC */
    {"9999-12-31T23:59:59-01:00", NULL}, /* year 10000 in UTC */
    {"Tue, 32 Mar 2024 14:30:00 +0000", NULL},
    {"Tue, 31 Apr 2024 14:30:00 +0000", NULL},
    {"Tue, 05 Foo 2024 14:30:00 +0000", NULL},
    {"Tue, 05 Mar 2024 14:30:00 +2500", NULL},
    {"Tue, 05 Mar 2024 14:30:00 +0060", NULL},
    {"Tue, 05 Mar 2024 14:30:00 +0000 junk", NULL},
    {"Tue, 05 Mar 2024 14:30:00 GMT junk", NULL},
    {"Tue, 05 Mar 2024 14:30:00 (unclosed", NULL},
    {"Tue, 05 Mar 2024 14:3", NULL},
    {"Tue, 05 Mar 2024 14", NULL},
    {"Tue, 05 Mar 1", NULL},
    {"Tue, 05 Mar 20245 14:30:00 +0000", NULL},
    {"Blursday, 05 Mar 2024 14:30:00 +0000", NULL},
    {"Tue, 05 Marchember 2024 14:30:00 +0000", NULL},
    {"Tue, 05 Mar 2024 14:30:00 Abcdefghijklmnopqrstuvwxyz", NULL},
    {"\xC3\xA9", NULL},
};

static void test_dates(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        sp_buf doc = {0};
        feed f;
        print_message("  \"%s\"\n", dates[i].in);
        /* RSS: pubDate, and as modified atom:updated */
        sp_buf_printf(&doc,
                  "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel><item><guid>g</guid>"
                  "<pubDate>%s</pubDate><atom:updated>%s</atom:updated></item></channel></rss>",
                  dates[i].in, dates[i].in);
        parse_ok(doc.s, doc.len, NULL, &f);
        assert_int_equal(f.n_items, 1);
        str_eq("pubDate", f.items[0].published, dates[i].want);
        str_eq("atom:updated", f.items[0].modified, dates[i].want);
        feed_free(&f);
        /* Atom: published and updated */
        doc.len = 0;
        sp_buf_printf(&doc,
                  "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>e</id><published>%s</published>"
                  "<updated>%s</updated></entry></feed>",
                  dates[i].in, dates[i].in);
        parse_ok(doc.s, doc.len, NULL, &f);
        assert_int_equal(f.n_items, 1);
        str_eq("published", f.items[0].published, dates[i].want);
        str_eq("updated", f.items[0].modified, dates[i].want);
        feed_free(&f);
        sp_buf_free(&doc);
    }
    /* pubDate first, dc:date when there is none */
    static const char both[] =
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>"
        "<item><guid>1</guid><dc:date>2024-01-01T00:00:00Z</dc:date>"
        "<pubDate>Tue, 05 Mar 2024 14:30:00 GMT</pubDate></item>"
        "<item><guid>2</guid><dc:date>2024-01-01T00:00:00Z</dc:date><pubDate>garbage</pubDate></item>"
        "</channel></rss>";
    feed f;
    parse_ok(both, sizeof both - 1, NULL, &f);
    assert_string_equal(f.items[0].published, "2024-03-05T14:30:00Z");
    assert_string_equal(f.items[1].published, "2024-01-01T00:00:00Z");
    feed_free(&f);
}

/* ---- links and ids ------------------------------------------------------ */

static const struct {
    const char *channel_attrs, *channel_link, *item_attrs, *link, *base_url, *want;
} links[] = {
    {"", "https://site.example.com/blog/", "", "/a", NULL, "https://site.example.com/a"},
    {"", "https://site.example.com/blog/", "", "a", NULL, "https://site.example.com/blog/a"},
    {"", "https://site.example.com/blog/", "", "?p=5", NULL, "https://site.example.com/blog/?p=5"},
    {"", "https://site.example.com/blog/", "", "//cdn.example.com/x", NULL, "https://cdn.example.com/x"},
    {"", "https://site.example.com/blog/", "", "https://other.example.org/x?a=1&amp;b=2", NULL,
     "https://other.example.org/x?a=1&b=2"},
    {"", "https://site.example.com/blog/", "", "\n   https://site.example.com/sp ace  \n", NULL,
     "https://site.example.com/sp%20ace"},
    {"", "https://site.example.com/blog/", "", "HTTP://site.example.com/A", NULL, "http://site.example.com/A"},
    {"", "https://site.example.com/blog/", "", "mailto:desk@example.com", NULL, NULL},
    {"", "https://site.example.com/blog/", "", "javascript:alert(1)", NULL, NULL},
    {"", "https://site.example.com/blog/", "", "ftp://files.example.com/a", NULL, NULL},
    {"", "https://site.example.com/blog/", "", "", NULL, NULL},
    /* the feed's link wins over the base URL (where the feed was fetched) */
    {"", "https://site.example.com/blog/", "", "a", "https://feeds.example.net/x/feed.xml",
     "https://site.example.com/blog/a"},
    /* the feed's link is itself resolved against the base URL */
    {"", "/blog/", "", "a", "https://feeds.example.net/x/feed.xml", "https://feeds.example.net/blog/a"},
    /* no feed link: the base URL */
    {"", NULL, "", "a", "https://feeds.example.net/x/feed.xml", "https://feeds.example.net/x/a"},
    {"", NULL, "", "a", NULL, NULL},
    {"", NULL, "", "https://abs.example.com/x", NULL, "https://abs.example.com/x"},
    {"", "mailto:x@example.com", "", "a", "https://feeds.example.net/", "https://feeds.example.net/a"},
    /* xml:base on the item, on the channel, relative ones, nested */
    {"", "https://site.example.com/blog/", " xml:base=\"https://x.example/y/\"", "z", NULL, "https://x.example/y/z"},
    {"", "https://site.example.com/blog/", " xml:base=\"sub/\"", "z", NULL, "https://site.example.com/blog/sub/z"},
    {" xml:base=\"https://b.example/dir/\"", "/home", "", "p", NULL, "https://b.example/dir/p"},
    {" xml:base=\"https://b.example/dir/\"", "/home", " xml:base=\"../other/\"", "p", NULL,
     "https://b.example/other/p"},
    {"", NULL, " xml:base=\"rel/\"", "y", NULL, NULL}, /* nothing to resolve the base against */
    {"", NULL, " xml:base=\"rel/\"", "https://abs.example/x", NULL, "https://abs.example/x"},
};

static void test_links(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        sp_buf doc = {0};
        feed f;
        print_message("  %zu: \"%s\"\n", i, links[i].link);
        sp_buf_printf(&doc, "<rss version=\"2.0\"><channel%s>", links[i].channel_attrs);
        if (links[i].channel_link) sp_buf_printf(&doc, "<link>%s</link>", links[i].channel_link);
        sp_buf_printf(&doc, "<item%s><title>t</title><link>%s</link></item></channel></rss>", links[i].item_attrs,
                  links[i].link);
        parse_ok(doc.s, doc.len, links[i].base_url, &f);
        str_eq("link", f.items[0].link, links[i].want);
        str_eq("id", f.items[0].id, links[i].want ? links[i].want : f.items[0].id);
        if (links[i].want == NULL)
            assert_memory_equal(f.items[0].id, "urn:storypipe:feed-item:", strlen("urn:storypipe:feed-item:"));
        feed_free(&f);
        sp_buf_free(&doc);
    }
}

static void test_ids(void **state) {
    static const char doc[] =
        "<rss version=\"2.0\"><channel><link>https://s.example.com/</link>"
        /* 0: permalink guid (the default) gives the link */
        "<item><guid> https://s.example.com/p/1 </guid></item>"
        /* 1: isPermaLink="false": not a link */
        "<item><guid isPermaLink=\"false\">https://s.example.com/?p=2</guid></item>"
        /* 2: a permalink guid that is no URL */
        "<item><guid>post-3</guid></item>"
        /* 3: link and guid both: the guid is the id, <link> the link */
        "<item><guid>https://s.example.com/p/4</guid><link>https://s.example.com/4.html</link></item>"
        /* 4: empty guid: the link */
        "<item><guid></guid><link>/5</link></item>"
        /* 5, 6, 7: neither: a made-up id from title, date and content; 5 and 6 are equal */
        "<item><title>Same</title><description>d</description></item>"
        "<item><title>Same</title><description>d</description></item>"
        "<item><title>Same</title><description>e</description></item>"
        "</channel></rss>";
    feed f;
    (void)state;
    parse_ok(doc, sizeof doc - 1, NULL, &f);
    assert_int_equal(f.n_items, 8);
    str_eq("id 0", f.items[0].id, "https://s.example.com/p/1");
    str_eq("link 0", f.items[0].link, "https://s.example.com/p/1");
    str_eq("id 1", f.items[1].id, "https://s.example.com/?p=2");
    str_eq("link 1", f.items[1].link, NULL);
    str_eq("id 2", f.items[2].id, "post-3");
    str_eq("link 2", f.items[2].link, NULL); /* a permalink only when it is an http(s) URL */
    str_eq("id 3", f.items[3].id, "https://s.example.com/p/4");
    str_eq("link 3", f.items[3].link, "https://s.example.com/4.html");
    str_eq("id 4", f.items[4].id, "https://s.example.com/5");
    assert_string_equal(f.items[5].id, f.items[6].id);
    assert_string_not_equal(f.items[5].id, f.items[7].id);
    assert_memory_equal(f.items[7].id, "urn:storypipe:feed-item:", strlen("urn:storypipe:feed-item:"));
    feed_free(&f);
}

/* Authors, content choice, undeclared prefixes, an Atom entry document. */
static void test_misc(void **state) {
    feed f;
    (void)state;
    static const char rss[] =
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>\n  A\t\tB \n</title>"
        /* several dc:creator; author ignored then */
        "<item><guid>1</guid><dc:creator>Ann</dc:creator><dc:creator> Bob\n Jones </dc:creator>"
        "<author>x@example.com (X)</author></item>"
        /* author without a name in parentheses, kept */
        "<item><guid>2</guid><author>desk@example.com</author></item>"
        /* prefixes without declarations (libxml2: a namespace error, not fatal) */
        "<item><guid>3</guid><content:encoded>&lt;p&gt;full&lt;/p&gt;</content:encoded>"
        "<description>short</description><dc:creator>Cy</dc:creator></item>"
        /* comments and processing instructions are not text; CDATA is */
        "<item><guid>4</guid><title>a<!-- c --><?pi x?>b<![CDATA[<c>]]></title></item>"
        "</channel></rss>";
    parse_ok(rss, sizeof rss - 1, NULL, &f);
    str_eq("feed title", f.title, "A B");
    str_eq("author 0", f.items[0].author, "Ann, Bob Jones");
    str_eq("author 1", f.items[1].author, "desk@example.com");
    str_eq("content 2", f.items[2].content, "<p>full</p>");
    str_eq("type 2", f.items[2].content_type, "text/html");
    str_eq("author 2", f.items[2].author, "Cy");
    str_eq("title 3", f.items[3].title, "ab<c>");
    feed_free(&f);

    static const char entry[] =
        "<?xml version=\"1.0\"?><entry xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://e.example/a/\">"
        "<id>urn:e</id><title type=\"text/plain\">Lone entry</title><link href=\"b\"/>"
        "<author><name>Ed</name></author><author><email>nameless@example.com</email></author>"
        "<content type=\"text/html\">&lt;p&gt;x&lt;/p&gt;</content></entry>";
    parse_ok(entry, sizeof entry - 1, NULL, &f);
    str_eq("feed title", f.title, NULL);
    str_eq("feed link", f.link, NULL);
    assert_int_equal(f.n_items, 1);
    const want_item want = {"urn:e", "https://e.example/a/b", "Lone entry", NULL, NULL, "Ed", "<p>x</p>", "text/html"};
    check_item(&f.items[0], &want);
    feed_free(&f);

    static const char atom[] =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"html\">A &amp;amp; B</title>"
        "<link href=\"https://a.example/\"/><link rel=\"self\" href=\"https://a.example/feed\"/>"
        /* XML content is not text: the summary; an empty content element: the summary too */
        "<entry><id>1</id><content type=\"application/xml\"><x>data</x></content><summary>s1</summary></entry>"
        "<entry><id>2</id><content type=\"html\"> </content><summary type=\"xhtml\">"
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>s2 &amp; <br/>more</p></div></summary></entry>"
        /* neither: "" as text/plain */
        "<entry><id>3</id><title/></entry>"
        /* content type text/markdown: text */
        "<entry><id>4</id><content type=\"text/markdown\">*hi*</content></entry>"
        "</feed>";
    parse_ok(atom, sizeof atom - 1, "https://ignored.example/", &f);
    str_eq("feed title", f.title, "A &amp; B");
    str_eq("feed link", f.link, "https://a.example/");
    assert_int_equal(f.n_items, 4);
    str_eq("content 0", f.items[0].content, "s1");
    str_eq("type 0", f.items[0].content_type, "text/plain");
    str_eq("content 1", f.items[1].content, "<p>s2 &amp; <br>more</p>");
    str_eq("type 1", f.items[1].content_type, "text/html");
    str_eq("title 2", f.items[2].title, NULL);
    str_eq("content 2", f.items[2].content, "");
    str_eq("type 2", f.items[2].content_type, "text/plain");
    str_eq("content 3", f.items[3].content, "*hi*");
    str_eq("type 3", f.items[3].content_type, "text/plain");
    feed_free(&f);

    /* xhtml written as HTML: prefixes of XHTML elements dropped, others kept, namespace declarations
     * dropped, empty elements closed the HTML way, text and attributes escaped, entities expanded */
    static const char xhtml[] =
        "<!DOCTYPE feed [<!ENTITY co \"<b>Co &amp; Co</b>\">]><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
        "<id>1</id><title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">caf\xC3\xA9 <b>\xE2\x80\x94</b>"
        " &lt;x&gt; &amp; \"q\" &co;</div></title><content type=\"xhtml\">"
        "<xhtml:div xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">"
        "<xhtml:p class=\"a&amp;b &quot;q&quot;\" xml:lang=\"en\">"
        "\xF0\x9F\x98\x80<xhtml:br/><xhtml:a name=\"x\"/><!-- c --><svg xmlns=\"http://www.w3.org/2000/svg\" "
        "xmlns:xlink=\"http://www.w3.org/1999/xlink\"><use xlink:href=\"#i\"/></svg></xhtml:p></xhtml:div>"
        "</content></entry></feed>";
    parse_ok(xhtml, sizeof xhtml - 1, NULL, &f);
    str_eq("title", f.items[0].title, "caf\xC3\xA9 <b>\xE2\x80\x94</b> &lt;x&gt; &amp; \"q\" <b>Co &amp; Co</b>");
    str_eq("content", f.items[0].content,
           "<p class=\"a&amp;b &quot;q&quot;\" xml:lang=\"en\">\xF0\x9F\x98\x80<br><a name=\"x\"></a>"
           "<svg><use xlink:href=\"#i\"></use></svg></p>");
    str_eq("type", f.items[0].content_type, "text/html");
    feed_free(&f);

    /* an empty channel is a feed with no items; feed_free twice is harmless */
    static const char empty[] = "<rss version=\"2.0\"><channel><title>Quiet</title></channel></rss>";
    parse_ok(empty, sizeof empty - 1, NULL, &f);
    assert_int_equal(f.n_items, 0);
    assert_null(f.items);
    str_eq("title", f.title, "Quiet");
    feed_free(&f);
    feed_free(&f);
    feed_free(NULL);
}

/* ---- threads and the caller's error handlers ----------------------------- */

static int foreign_calls;
#if LIBXML_VERSION >= 21200
static void foreign_handler(void *ctx, const xmlError *e)
#else
static void foreign_handler(void *ctx, xmlErrorPtr e)
#endif
{
    (void)ctx;
    (void)e;
    foreign_calls++;
}

typedef struct job {
    const char *good, *bad;
    size_t good_len, bad_len;
    int failures;
} job;

static void *worker(void *arg) {
    job *j = arg;
    for (int i = 0; i < 40; i++) {
        feed f;
        char err[48], detail[256];
        if (feed_parse(j->good, j->good_len, NULL, &f, err, detail) != 0 || f.n_items != 5) j->failures++;
        feed_free(&f);
        if (feed_parse(j->bad, j->bad_len, NULL, &f, err, detail) != -1 || strcmp(err, "invalid_xml") != 0 ||
            strstr(detail, "line 7:") == NULL)
            j->failures++;
    }
    return NULL;
}

static void test_threads_and_handlers(void **state) {
    size_t good_len, bad_len;
    char *good = read_fixture("wordpress.xml", &good_len), *bad = read_fixture("malformed.xml", &bad_len);
    pthread_t t[4];
    job jobs[4];
    (void)state;

    /* the caller's own handler is neither called nor replaced */
    int sentinel;
    xmlSetStructuredErrorFunc(&sentinel, foreign_handler);
    parse_fails(bad, bad_len, "invalid_xml", "line 7:");
    assert_int_equal(foreign_calls, 0);
    assert_ptr_equal(xmlStructuredError, foreign_handler);
    assert_ptr_equal(xmlStructuredErrorContext, &sentinel);
    xmlSetStructuredErrorFunc(NULL, NULL);

    /* four threads at once, each with libxml2's per-thread state fresh; stderr stays empty */
    FILE *tmp = tmpfile();
    int saved;
    assert_non_null(tmp);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0 && dup2(fileno(tmp), 2) >= 0);
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){good, bad, good_len, bad_len, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    assert_int_equal(lseek(fileno(tmp), 0, SEEK_END), 0);
    fclose(tmp);
    for (int i = 0; i < 4; i++) assert_int_equal(jobs[i].failures, 0);
    free(good);
    free(bad);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wordpress),
        cmocka_unit_test(test_atom),
        cmocka_unit_test(test_description_only),
        cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_rdf),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_not_a_feed),
        cmocka_unit_test(test_xxe),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_quadratic_blowup),
        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_misc),
        cmocka_unit_test(test_threads_and_handlers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
