/* test_digest.c — the splitter's rules (services/splitter/digest.c and the
 * rule files) on the seed digests and on focused variations:
 *
 *  - seeds 000 and 001 (numbered bulletins): 10 and 12 stories, titles as in
 *    the bulletin, each with the index summary and the section's body, the
 *    photo credit, and the source URL exactly where the section has one;
 *  - seed 002 (a brief): 9 stories with outlet and URL, no boilerplate story;
 *  - seed 004 (an insight list): the lead and 10 insights;
 *  - seed 003's text (a single article): one story;
 *  - variations: numbers past 9, parentheses in titles, CRLF, CJK, index or
 *    sections alone, a numbered list inside an article (not a bulletin),
 *    text after a brief's last block, an article with a subheading;
 *  - the property that no line is lost: every line of a document is in a
 *    story, or was skipped as header, heading or boilerplate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "digest.h"
#include "util.h"

static char *fixture(const char *name, size_t *len) {
    char path[4096];
    const char *src = getenv("STORYPIPE_SOURCE");
    char *s;
    snprintf(path, sizeof path, "%s/tests/fixtures/seeds/%s", src && *src ? src : ".", name);
    s = sp_read_file(path, 1 << 24, len);
    if (s == NULL) fprintf(stderr, "cannot read %s (set STORYPIPE_SOURCE)\n", path);
    assert_non_null(s);
    return s;
}

/* Does the text of some story contain s[0..n)? */
static int in_stories(const digest *d, const char *s, size_t n) {
    for (size_t i = 0; i < d->n; i++) {
        const digest_story *st = &d->stories[i];
        const char *f[] = {st->title, st->summary, st->body, st->url, st->outlet, st->photo_credit};
        for (int k = 0; k < 6; k++) {
            if (f[k] == NULL || strlen(f[k]) < n) continue;
            for (const char *p = f[k]; (p = memchr(p, s[0], strlen(p))) != NULL; p++)
                if (strncmp(p, s, n) == 0) return 1;
        }
    }
    return 0;
}

/* The property: every non-blank line is skipped (with a reason) or found
 * in a story, once the bulletin's markup around it is taken off:
 * "(N) ", "News Source: ", "(Photo Credit: ...)". */
static void no_line_lost(const char *text, size_t len, const digest *d) {
    text_lines l;
    lines_split(text, len, &l);
    for (size_t i = 0; i < l.n; i++) {
        const char *s = l.v[i].s;
        size_t n = l.v[i].n, k;
        int skipped = 0;
        for (size_t j = 0; j < d->n_skipped; j++) skipped |= d->skipped[j].s == s;
        if (skipped) continue;
        if (n > 3 && s[0] == '(' && (k = strspn(s + 1, "0123456789")) > 0 && s[1 + k] == ')') {
            s += k + 2, n -= k + 2;
            while (n && *s == ' ') s++, n--;
        } else if (n > 12 && strncasecmp(s, "news source:", 12) == 0) {
            s += 12, n -= 12;
            while (n && *s == ' ') s++, n--;
        } else if (n > 16 && strncasecmp(s, "(photo credit:", 14) == 0 && s[n - 1] == ')') {
            s += 14, n -= 15;
            while (n && *s == ' ') s++, n--;
        }
        if (n > 0 && !in_stories(d, s, n)) {
            fprintf(stderr, "line %zu lost: '%.*s'\n", i, (int)l.v[i].n, l.v[i].s);
            fail();
        }
    }
    lines_free(&l);
}

static void split(const char *text, digest *d, const digest_hints *h) {
    digest_split(text, strlen(text), h, d);
    no_line_lost(text, strlen(text), d);
    for (size_t i = 0; i < d->n; i++) assert_non_null(d->stories[i].body);
}

/* ---- the seeds ----------------------------------------------------------- */

/* Bulletin checks shared by 000 and 001: count, titles from the index
 * lines, summaries, bodies, credits, and URL presence per section. */
static void check_bulletin(const char *name, size_t want, const char *no_url) {
    size_t len;
    char *text = fixture(name, &len);
    digest d;
    text_lines l;
    split(text, &d, NULL);
    assert_string_equal(d.rule, "bulletin");
    assert_int_equal(d.n, want);
    lines_split(text, len, &l);
    for (size_t i = 0; i < d.n; i++) {
        const digest_story *s = &d.stories[i];
        char marker[32], want_line[1024];
        int has_url_expected = 1;
        snprintf(marker, sizeof marker, ",%zu,", i + 1);
        if (strstr(no_url, marker)) has_url_expected = 0;
        /* the title is the text of the index line "(N) Title" (the first one) */
        snprintf(want_line, sizeof want_line, "(%zu) %s", i + 1, s->title);
        int found = 0;
        for (size_t k = 0; k < l.n && !found; k++)
            found = l.v[k].n == strlen(want_line) && memcmp(l.v[k].s, want_line, l.v[k].n) == 0;
        if (!found) fprintf(stderr, "%s story %zu: no line '%s'\n", name, i, want_line);
        assert_true(found);
        assert_non_null(s->summary);
        assert_true(strlen(s->summary) > 40);
        assert_true(strlen(s->body) > 300);
        assert_non_null(strstr(s->body, "\n\n")); /* several paragraphs */
        assert_non_null(s->photo_credit);
        assert_null(strstr(s->body, "News Source"));
        assert_null(strstr(s->body, "Photo Credit"));
        if (has_url_expected != (s->url != NULL))
            fprintf(stderr, "%s section %zu: url %s\n", name, i + 1, s->url ? s->url : "missing");
        assert_int_equal(has_url_expected, s->url != NULL);
        if (s->url) assert_true(strncmp(s->url, "http", 4) == 0);
    }
    /* the bulletin's title line is a skipped header */
    assert_int_equal(d.n_skipped, 1);
    assert_string_equal(d.skipped_why[0], "header");
    lines_free(&l);
    digest_free(&d);
    free(text);
}

static void test_seed_000(void **state) {
    (void)state;
    check_bulletin("000_7ff9ec0222c0e5de.txt", 10, ",2,5,7,9,");
}

static void test_seed_001(void **state) {
    (void)state;
    check_bulletin("001_725d2530de2b4f29.txt", 12, ",9,12,");
}

static void test_seed_000_details(void **state) {
    size_t len;
    char *text = fixture("000_7ff9ec0222c0e5de.txt", &len);
    digest d;
    (void)state;
    split(text, &d, NULL);
    assert_string_equal(d.stories[0].title,
                        "Is DeepSeek\xE2\x80\x99s AI \xE2\x80\x98" "distillation\xE2\x80\x99 theft? OpenAI seeks answers over China\xE2\x80\x99s breakthrough");
    assert_string_equal(d.stories[0].photo_credit, "Reuters");
    assert_true(strncmp(d.stories[0].summary, "Chinese AI start-up DeepSeek is accused of unauthorized", 55) == 0);
    assert_true(strncmp(d.stories[0].body, "Chinese AI start-up DeepSeek, known for its cost-effective models", 65) == 0);
    assert_true(strncmp(d.stories[0].url, "https://www.scmp.com/tech/big-tech/article/3296827/", 51) == 0);
    assert_string_equal(d.stories[2].photo_credit, "Youtuber \xE2\x80\x9C" "AI Anytime\xE2\x80\x9D");
    assert_string_equal(d.stories[5].photo_credit, "Netflix"); /* "(Photo credit: ...)", lower case */
    assert_string_equal(d.stories[9].title, "Hong Kong punters bet HK$1.94 billion on first race day in Year of the Snake");
    digest_free(&d);
    free(text);
}

static void test_seed_002(void **state) {
    size_t len;
    char *text = fixture("002_df7e93691ee39120.txt", &len);
    digest d;
    (void)state;
    split(text, &d, NULL);
    assert_string_equal(d.rule, "brief");
    assert_int_equal(d.n, 9);
    for (size_t i = 0; i < d.n; i++) {
        assert_non_null(d.stories[i].outlet);
        assert_non_null(d.stories[i].url);
        assert_non_null(d.stories[i].title);
        assert_true(strncmp(d.stories[i].url, "https://", 8) == 0);
        assert_null(strstr(d.stories[i].body, "Stay informed"));
        assert_null(strstr(d.stories[i].body, "Join the conversation"));
    }
    assert_string_equal(d.stories[0].title, "DeepSeek founder says China AI will stop following U.S.");
    assert_string_equal(d.stories[0].outlet, "Nikkei Asia");
    assert_string_equal(d.stories[2].outlet, "Guardian");
    assert_string_equal(d.stories[6].outlet, "Foreign Policy");
    assert_int_equal(strlen(d.stories[6].body) > 1500, 1); /* three summary paragraphs */
    assert_string_equal(d.stories[8].url,
                        "https://asia.nikkei.com/Business/Technology/Artificial-intelligence/OpenAI-alleges-evidence-China-s-DeepSeek-used-its-model-for-training");
    /* header: two headline lines and the welcome; boilerplate: the last three */
    size_t header = 0, boiler = 0;
    for (size_t i = 0; i < d.n_skipped; i++) {
        header += strcmp(d.skipped_why[i], "header") == 0;
        boiler += strcmp(d.skipped_why[i], "boilerplate") == 0;
    }
    assert_int_equal(header, 3);
    assert_int_equal(boiler, 3);
    digest_free(&d);
    free(text);
}

static void test_seed_004(void **state) {
    size_t len;
    char *text = fixture("004_cdc773721861c533.txt", &len);
    digest d;
    (void)state;
    split(text, &d, NULL);
    assert_string_equal(d.rule, "insights");
    assert_int_equal(d.n, 11);
    assert_true(strncmp(d.stories[0].body, "The high quality of ByteDance's C-Dance video model", 51) == 0);
    assert_true(strncmp(d.stories[1].body, "Unlike Google and Meta who own vast video libraries", 51) == 0);
    for (size_t i = 0; i < d.n; i++) {
        assert_null(d.stories[i].url);
        assert_null(strstr(d.stories[i].body, "Related Insights"));
    }
    assert_int_equal(d.n_skipped, 1);
    assert_string_equal(d.skipped_why[0], "heading");
    digest_free(&d);
    free(text);
}

static void test_seed_003(void **state) {
    size_t len;
    char *file = fixture("003_9d9fcb9bef2a428f.txt", &len);
    json_t *post = json_loadb(file, len, 0, NULL);
    digest_hints h = {"Seedance 2.0", NULL, 1};
    digest d;
    (void)state;
    assert_non_null(post);
    /* its paragraphs, as the cleaner would give them, one per line pair */
    const char *html = json_string_value(json_object_get(json_object_get(post, "content"), "rendered"));
    char *text = sp_xmalloc(strlen(html) + 1), *o = text;
    for (const char *p = html; *p; p++) { /* tags out: enough for the structure */
        if (*p == '<') {
            if (strncmp(p, "</p>", 4) == 0) *o++ = '\n', *o++ = '\n';
            p = strchr(p, '>');
            if (p == NULL) break;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    split(text, &d, &h);
    assert_string_equal(d.rule, "article");
    assert_int_equal(d.n, 1);
    assert_string_equal(d.stories[0].title, "Seedance 2.0");
    assert_int_equal(d.n_skipped, 0);
    digest_free(&d);
    free(text);
    json_decref(post);
    free(file);
}

/* ---- variations ---------------------------------------------------------- */

static void test_bulletin_variations(void **state) {
    digest d;
    (void)state;
    /* numbers past 9, parentheses in a title, a section with no source line, CRLF */
    char text[8192] = "Weekly Bulletin \xE2\x80\x93 Issue 7\r\n";
    for (int i = 1; i <= 12; i++) {
        char line[256];
        snprintf(line, sizeof line, "(%d) Story %d (with a note) about things\r\nSummary of story %d.\r\n", i, i, i);
        strcat(text, line);
    }
    for (int i = 1; i <= 12; i++) {
        char line[512];
        snprintf(line, sizeof line,
                 "(%d) Story %d (with a note) about things\r\n\r\n(PHOTO CREDIT: Agency %d)\r\nBody of story %d, first paragraph.\r\n"
                 "Body of story %d, second paragraph.\r\n%s",
                 i, i, i, i, i, i % 3 ? "News Source: https://example.com/story\r\n" : "");
        strcat(text, line);
    }
    split(text, &d, NULL);
    assert_string_equal(d.rule, "bulletin");
    assert_int_equal(d.n, 12);
    assert_string_equal(d.stories[11].title, "Story 12 (with a note) about things");
    assert_string_equal(d.stories[11].summary, "Summary of story 12.");
    assert_string_equal(d.stories[11].photo_credit, "Agency 12");
    assert_string_equal(d.stories[11].body, "Body of story 12, first paragraph.\n\nBody of story 12, second paragraph.");
    assert_null(d.stories[2].url); /* 3 % 3 == 0: no source line */
    assert_string_equal(d.stories[3].url, "https://example.com/story");
    for (size_t i = 0; i < d.n; i++) assert_null(strchr(d.stories[i].body, '\r'));
    digest_free(&d);

    /* sections alone */
    split("(1) First title\nFirst body line one.\nFirst body line two.\n(2) Second title\nSecond body.\nMore.\n", &d, NULL);
    assert_string_equal(d.rule, "bulletin");
    assert_int_equal(d.n, 2);
    assert_null(d.stories[0].summary);
    assert_string_equal(d.stories[1].body, "Second body.\n\nMore.");
    digest_free(&d);

    /* an index alone */
    split("(1) First title\nFirst summary.\n(2) Second title\nSecond summary.\n(3) Third\nThird summary.\n", &d, NULL);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.stories[2].summary, "Third summary.");
    assert_string_equal(d.stories[2].body, "Third summary.");
    digest_free(&d);

    /* a "(N)" line out of sequence in a body is text */
    split("(1) A\nSummary A.\n(2) B\nSummary B.\n(1) A\nBody A.\n(7) not a section\n(2) B\nBody B.\n", &d, NULL);
    assert_int_equal(d.n, 2);
    assert_non_null(strstr(d.stories[0].body, "(7) not a section"));
    digest_free(&d);

    /* an index entry worded otherwise than its section keeps its title */
    split("Head\n(1) Alpha\nsum a\n(2) Beta\nsum b\n(1) Alpha\nbody a\n(2) Gamma\nbody c\n", &d, NULL);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.stories[1].title, "Gamma");
    assert_string_equal(d.stories[1].summary, "Beta\nsum b");
    digest_free(&d);

    /* CJK titles and bodies */
    split("(1) 中国电影票房创新纪录\n摘要一。\n(2) 新的人工智能模型\n摘要二。\n(1) 中国电影票房创新纪录\n正文一。\n(2) 新的人工智能模型\n正文二。\n", &d, NULL);
    assert_string_equal(d.rule, "bulletin");
    assert_int_equal(d.n, 2);
    assert_string_equal(d.stories[1].title, "新的人工智能模型");
    assert_string_equal(d.stories[1].summary, "摘要二。");
    assert_string_equal(d.stories[1].body, "正文二。");
    digest_free(&d);
}

static void test_not_a_digest(void **state) {
    digest d;
    (void)state;
    /* an article with a numbered list of sentences stays one story */
    split("The ministry set out three rules.\n\n(1) Companies must label AI content before they publish it.\n\n"
          "(2) Platforms must keep records for six months.\n\n(3) Users can report unlabeled content.\n\nThe rules start in May.",
          &d, NULL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.rule, "single");
    digest_free(&d);
    /* an article with a subheading that announces nothing */
    split("Lead paragraph of the article.\n\nWhat happens next\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.",
          &d, NULL);
    assert_int_equal(d.n, 1);
    digest_free(&d);
    /* one URL line does not make a brief */
    split("Some title\nReuters\nA summary of the story.\nhttps://example.com/a\nMore text.", &d, NULL);
    assert_int_equal(d.n, 1);
    digest_free(&d);
    /* empty text: one empty story, never none */
    split("", &d, NULL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.stories[0].body, "");
    digest_free(&d);
}

static void test_brief_trailing_text(void **state) {
    digest d;
    (void)state;
    split("Welcome to the brief.\nTitle one\nOutlet One\nSummary one.\nhttps://example.com/1\nTitle two\nOutlet Two\n"
          "Summary two.\nhttps://example.com/2\nAn editor's note that is not boilerplate at all.\n",
          &d, NULL);
    assert_string_equal(d.rule, "brief");
    assert_int_equal(d.n, 3); /* the note is kept as a story of its own */
    assert_string_equal(d.stories[2].body, "An editor's note that is not boilerplate at all.");
    assert_string_equal(d.stories[1].outlet, "Outlet Two");
    digest_free(&d);
}

static void test_insight_variations(void **state) {
    digest d;
    (void)state;
    split("Lead.\n\nKey Takeaways\n\nOne insight.\n\nTwo insight.\n\nThree insight.\n\nSubscribe to our newsletter for more.", &d,
          NULL);
    assert_string_equal(d.rule, "insights");
    assert_int_equal(d.n, 4);
    assert_int_equal(d.n_skipped, 2); /* the heading and the boilerplate */
    digest_free(&d);
    /* an item that only mentions a boilerplate word is an item */
    split("Lead.\n\nKey Takeaways\n\nFirst item about models.\n\nSecond item about chips.\n\n"
          "Third item about data.\n\nFourth item: training on copyrighted video is a legal risk.\n", &d, NULL);
    assert_string_equal(d.rule, "insights");
    assert_int_equal(d.n, 5);
    assert_int_equal(d.n_skipped, 1);
    digest_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_000),           cmocka_unit_test(test_seed_001),
        cmocka_unit_test(test_seed_000_details),   cmocka_unit_test(test_seed_002),
        cmocka_unit_test(test_seed_004),           cmocka_unit_test(test_seed_003),
        cmocka_unit_test(test_bulletin_variations), cmocka_unit_test(test_not_a_digest),
        cmocka_unit_test(test_brief_trailing_text), cmocka_unit_test(test_insight_variations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
