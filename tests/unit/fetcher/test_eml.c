/* test_eml.c — the fetcher's newsletter e-mail parser (services/fetcher/eml.c,
 * eml_parse), on GMime 3 and iconv.
 *
 * What it covers:
 *  1. Every fixture in tests/fixtures/eml/ (tests/fixtures/eml/README.md
 *     says what each one is), against a table of exact expectations:
 *     message_id, subject, from, date, content_type, or the reason code of
 *     the failure, plus substrings the body must (and must not) contain,
 *     with the accented and Chinese characters written here as UTF-8. A
 *     fixture without a row in the table fails the test, so a new fixture
 *     cannot go untested.
 *  2. Focused inline messages: the part chosen in every multipart shape,
 *     charset handling (U+FFFD for invalid or truncated sequences in UTF-8,
 *     GBK and ISO-2022-JP, windows-1252 for latin-1 and for unlabelled
 *     8-bit text, GB2312 labels on GBK text, unknown and malformed labels),
 *     dates, 8-bit headers, and the invalid_mime cases (empty, no headers,
 *     cut off inside the headers, too deep).
 *  3. Robustness: every prefix-truncation and thousands of random byte
 *     mutations of every fixture either fail with a known reason or give
 *     valid UTF-8 (run under ASan by the sanitizer build).
 *  4. Threads: the first calls race each other (GMime is initialised by
 *     pthread_once inside eml_parse), and parses run concurrently.
 *
 * Every input is copied into an exact-size heap buffer so that ASan sees
 * a read past `len`. Fixtures are found through $STORYPIPE_SOURCE (ctest
 * sets it), else relative to this file. Linked with storypipe_fetcher. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eml.h"

#include "util.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- helpers ------------------------------------------------------------ */

static void fixture_path(char *path, size_t size, const char *name) {
    const char *src = getenv("STORYPIPE_SOURCE");
    if (src && *src) {
        snprintf(path, size, "%s/tests/fixtures/eml/%s", src, name);
        return;
    }
    const char *file = __FILE__, *slash = strrchr(file, '/'); /* CMake passes the absolute path */
    if (slash)
        snprintf(path, size, "%.*s/../../fixtures/eml/%s", (int)(slash - file), file, name);
    else /* compiled from within tests/unit/fetcher */
        snprintf(path, size, "../../fixtures/eml/%s", name);
}

static char *load_fixture(const char *name, size_t *len) {
    char path[4096];
    char *s;
    fixture_path(path, sizeof path, name);
    s = sp_read_file(path, 1 << 24, len);
    if (s == NULL) fail_msg("cannot read %s (set STORYPIPE_SOURCE)", path);
    return s;
}

/* eml_parse on exactly `len` heap bytes. */
static int parse(const char *data, size_t len, eml_message *m, char err[48], char detail[256]) {
    char *buf = malloc(len ? len : 1);
    int r;
    assert_non_null(buf);
    if (len) memcpy(buf, data, len);
    r = eml_parse(buf, len, m, err, detail);
    free(buf);
    return r;
}

/* What every successful parse must give, whatever the input. */
static void check_invariants(const eml_message *m) {
    assert_non_null(m->body);
    assert_int_equal(m->body[m->body_len], '\0');
    assert_true(sp_utf8_valid(m->body, m->body_len));
    assert_null(memchr(m->body, 0, m->body_len)); /* text, fit for a JSON string */
    assert_true(strcmp(m->content_type, "text/plain") == 0 || strcmp(m->content_type, "text/html") == 0);
    if (m->subject) assert_true(sp_utf8_valid(m->subject, strlen(m->subject)));
    if (m->from) assert_true(sp_utf8_valid(m->from, strlen(m->from)));
    if (m->message_id) assert_true(sp_utf8_valid(m->message_id, strlen(m->message_id)));
    if (m->date) {
        /* YYYY-MM-DDTHH:MM:SSZ */
        assert_int_equal(strlen(m->date), 20);
        assert_int_equal(m->date[10], 'T');
        assert_int_equal(m->date[19], 'Z');
    }
}

static void expect_str(const char *what, const char *got, const char *want) {
    if (want == NULL && got == NULL) return;
    if (want == NULL || got == NULL || strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", what, got ? got : "(NULL)", want ? want : "(NULL)");
}

/* memmem is a GNU extension; the project builds with _DEFAULT_SOURCE only. */
static int mem_has(const char *hay, size_t n, const char *needle, size_t k) {
    if (k == 0) return 1;
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0) return 1;
    return 0;
}

static int contains(const eml_message *m, const char *needle) {
    return mem_has(m->body, m->body_len, needle, strlen(needle));
}

static void expect_body_has(const char *name, const eml_message *m, const char *needle) {
    if (!contains(m, needle)) fail_msg("%s: body lacks \"%s\"; body:\n%s", name, needle, m->body);
}

static void expect_body_lacks(const char *name, const eml_message *m, const char *needle) {
    if (contains(m, needle)) fail_msg("%s: body has \"%s\"; body:\n%s", name, needle, m->body);
}

/* ---- 1. the fixtures ---------------------------------------------------- */

typedef struct {
    const char *file;
    const char *err; /* NULL: must parse */
    const char *message_id, *subject, *from, *date, *content_type;
    const char *has[8];  /* substrings of the body, NULL-terminated */
    const char *lacks[6];
} fixture_case;

static const fixture_case fixtures[] = {
    {"alternative_qp.eml", NULL, "20250203080000.4f2a9c@mail.dailyledger.example",
     "The Morning Brief: Markets rally as central bank holds rates",
     "The Daily Ledger <briefing@dailyledger.example>", "2025-02-03T08:00:00Z", "text/plain",
     {"Good morning. Here\xE2\x80\x99s what you need to know on Monday, February 3.\n",
      /* joined across quoted-printable soft line breaks */
      "left its benchmark rate unchanged for the third consecutive meeting, citing a cooling labour market",
      "CITY COUNCIL APPROVES NEW CAF\xC3\x89 PERMITS\n", "Sidewalk caf\xC3\xA9s will be allowed",
      "approved 9\xE2\x80\x93" "4 on Thursday.", "Unsubscribe: https://dailyledger.example/u/8f3a2c\n", NULL},
     {"<html", "<p>", "=E2", "=\n", "\r", NULL}},
    {"base64_utf8.eml", NULL, "twios-142.a81f@twios.example", "This Week in Open Source #142",
     "This Week in Open Source <hello@twios.example>", "2025-02-04T22:30:00Z", "text/plain",
     {"THIS WEEK IN OPEN SOURCE \xE2\x80\x94 Issue #142\n", "\xF0\x9F\x9A\x80 Releases",
      "The Z\xC3\xBCrich-based maintainers of a popular na\xC3\xAFve-Bayes library",
      "\xE2\x80\x9CWhy we rewrote our build system (again)\xE2\x80\x9D \xE2\x80\x94 a post-mortem",
      "Reply to this e-mail to send us a tip.\n", NULL},
     {"VEhJUyBXRUVL", NULL}},
    {"latin1.eml", NULL, "QM.2025-02-05.0715.77@quebecmatin.example",
     "Les \xC3\xA9lections r\xC3\xA9gionales : ce qu'il faut savoir",
     "R\xC3\xA9" "daction Qu\xC3\xA9" "bec Matin <lettre@quebecmatin.example>", "2025-02-05T06:15:00Z",
     "text/plain",
     {"Bonjour \xC3\xA0 tous,\n", "\xC3\x80 la une ce matin : les \xC3\xA9lections r\xC3\xA9gionales",
      "d\xC3\xA9placements en Mont\xC3\xA9r\xC3\xA9gie.",
      "\xC2\xAB Nous voulons un budget \xC3\xA9quilibr\xC3\xA9 d\xC3\xA8s l'an prochain \xC2\xBB",
      /* 0x92 in an ISO-8859-1 part: read as windows-1252's right single quote */
      "devant l\xE2\x80\x99" "Assembl\xC3\xA9" "e nationale.", "-12 \xC2\xB0" "C au lever du jour",
      "Bonne journ\xC3\xA9" "e !\nLa r\xC3\xA9" "daction\n", NULL},
     {"\xC2\x92", FFFD, NULL}},
    {"gb2312.eml", NULL, "1738800000.123456.digest@news-cn.example",
     "\xE6\xAF\x8F\xE6\x97\xA5\xE6\x96\xB0\xE9\x97\xBB\xE6\x91\x98\xE8\xA6\x81\xEF\xBC\x9A\xE5\x8C\x97"
     "\xE4\xBA\xAC\xE4\xB8\xBE\xE8\xA1\x8C\xE6\x98\xA5\xE8\x8A\x82\xE5\xBA\x86\xE7\xA5\x9D\xE6\xB4\xBB"
     "\xE5\x8A\xA8", /* 每日新闻摘要：北京举行春节庆祝活动 */
     "\xE6\x96\xB0\xE5\x8D\x8E\xE6\xAF\x8F\xE6\x97\xA5\xE7\xAE\x80\xE6\x8A\xA5 <digest@news-cn.example>",
     "2025-02-06T00:00:00Z", "text/plain",
     {"\xE5\x90\x84\xE4\xBD\x8D\xE8\xAF\xBB\xE8\x80\x85\xEF\xBC\x8C\xE6\x97\xA9\xE4\xB8\x8A\xE5\xA5\xBD"
      "\xEF\xBC\x81\n", /* 各位读者，早上好！ */
      "\xE4\xB8\x80\xE3\x80\x81\xE5\x8C\x97\xE4\xBA\xAC\xE4\xB8\xBE\xE8\xA1\x8C\xE6\x98\xA5\xE8\x8A\x82"
      "\xE5\xBA\x86\xE7\xA5\x9D\xE6\xB4\xBB\xE5\x8A\xA8\n", /* 一、北京举行春节庆祝活动 */
      "\xE4\xB8\x80\xE7\x82\xB9\xE5\x85\xAB\xE4\xBA\xBF\xE4\xBA\xBA\xE6\xAC\xA1", /* 一点八亿人次 */
      "\xE8\xAF\xB7\xE5\x9B\x9E\xE5\xA4\x8D\xE2\x80\x9C\xE9\x80\x80\xE8\xAE\xA2\xE2\x80\x9D", /* 请回复“退订” */
      NULL},
     {FFFD, NULL}},
    {"gbk.eml", NULL, "caijing-weekly-6@caijing.example",
     "\xE8\xB4\xA2\xE7\xBB\x8F\xE5\x91\xA8\xE6\x8A\xA5 \xE7\xAC\xAC\xE5\x85\xAD\xE6\x9C\x9F", /* 财经周报 第六期 */
     "finance-weekly@caijing.example", "2025-02-07T10:45:10Z", "text/plain",
     {"\xE3\x80\x90\xE8\xB4\xA2\xE7\xBB\x8F\xE5\x91\xA8\xE6\x8A\xA5\xE3\x80\x91", /* 【财经周报】 */
      /* outside GB2312: 镕 U+9555, 喆 U+5586, 堃 U+5803 */
      "\xE6\x9C\xB1\xE9\x95\x95\xE5\x9F\xBA", /* 朱镕基 */
      "\xE9\x99\xB6\xE5\x96\x86", /* 陶喆 */
      "\xE5\xA0\x83\xE5\x85\x83\xE7\xA7\x91\xE6\x8A\x80", /* 堃元科技 */
      "\xE2\x80\x94\xE2\x80\x94 \xE8\xB4\xA2\xE7\xBB\x8F\xE5\x91\xA8\xE6\x8A\xA5", /* —— 财经周报 */
      NULL},
     {FFFD, NULL}},
    {"html_only.eml", NULL, "boletin.2025-06@patagonia-hoy.example",
     "Bolet\xC3\xADn semanal: el \xC3\xB1" "and\xC3\xBA vuelve", "Patagonia Hoy <boletin@patagonia-hoy.example>",
     "2025-02-08T12:00:00Z", "text/html",
     {"<h1>Bolet\xC3\xADn semanal de la Patagonia</h1>", "<p>El \xC3\xB1" "and\xC3\xBA vuelve a la estepa",
      "?utm_source=newsletter&amp;utm_medium=email\">Leer m\xC3\xA1s</a>",
      "\xC2\xBFNo quiere recibir m\xC3\xA1s correos?", NULL},
     {"=3D", "=C3", NULL}},
    {"mixed_attachment.eml", NULL, "weekend.2025-02-09@harbour-news.example",
     "Weekend Edition: ferry timetable changes", "Harbour News <weekend@harbour-news.example>",
     "2025-02-09T06:00:00Z", "text/plain",
     {"Weekend Edition \xE2\x80\x94 Harbour News\n", "FERRY TIMETABLE CHANGES FROM MONDAY\n",
      "run the 7:40 crossing twenty minutes earlier, and the last ferry leaves at 22:15.",
      "The full report is attached as a PDF.\n", NULL},
     {"EMBARGOED", "%PDF", "<img", "PNG", "<h1>", NULL}},
    {"encoded_subject.eml", NULL, "asia-weekly-2025-07@weekly-asia.example",
     /* =?UTF-8?B?...?= and =?GB2312?B?...?=, folded: the white space between encoded words goes */
     "Asia Weekly \xE2\x80\x94 \xE6\x9C\xAC\xE5\x91\xA8\xE6\x96\xB0\xE9\x97\xBB\xE6\x91\x98\xE8\xA6\x81",
     "Fran\xC3\xA7ois M\xC3\xBCller <francois@weekly-asia.example>", "2025-02-11T07:30:00Z", "text/plain",
     {"Asia Weekly, issue 7.\n", "Tokyo: the Bank of Japan raised its policy rate to 0.5 percent.\n", NULL},
     {NULL}},
    {"no_message_id.eml", NULL, NULL, "Road closure notice: Mill Street bridge",
     "alerts@county-notices.example", "2025-02-11T14:05:00Z", "text/plain",
     {"PUBLIC NOTICE\n\nThe Mill Street bridge will be closed to all traffic from 12 February until\n", NULL},
     {NULL}},
    {"crlf.eml", NULL, "CAB7x=bulletin-0212@district-council.example",
     "Council Bulletin: budget consultation opens, library hours extended",
     "Council Bulletin <bulletin@district-council.example>", "2025-02-12T10:00:00Z", "text/plain",
     {"Council Bulletin\n\nBudget consultation opens today.",
      "at any of the four public sessions scheduled across the district", "Library hours extended on Saturdays.\n",
      NULL},
     {"\r", "<h1>", NULL}},
    {"truncated.eml", "invalid_mime", NULL, NULL, NULL, NULL, NULL, {NULL}, {NULL}},
    {"garbage.eml", "invalid_mime", NULL, NULL, NULL, NULL, NULL, {NULL}, {NULL}},
};
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

static void run_fixture(const fixture_case *c) {
    size_t len;
    char *data = load_fixture(c->file, &len);
    eml_message m;
    char err[48], detail[256];
    int r = parse(data, len, &m, err, detail);
    free(data);
    if (c->err != NULL) {
        if (r != -1) fail_msg("%s: parsed, want %s", c->file, c->err);
        expect_str(c->file, err, c->err);
        assert_true(detail[0] != '\0');
        assert_null(m.body); /* nothing left to free */
        assert_null(m.subject);
        return;
    }
    if (r != 0) fail_msg("%s: %s: %s", c->file, err, detail);
    assert_string_equal(err, "");
    check_invariants(&m);
    expect_str("message_id", m.message_id, c->message_id);
    expect_str("subject", m.subject, c->subject);
    expect_str("from", m.from, c->from);
    expect_str("date", m.date, c->date);
    expect_str("content_type", m.content_type, c->content_type);
    for (int i = 0; c->has[i]; i++) expect_body_has(c->file, &m, c->has[i]);
    for (int i = 0; c->lacks[i]; i++) expect_body_lacks(c->file, &m, c->lacks[i]);
    eml_free(&m);
    eml_free(&m); /* idempotent */
}

static void test_fixtures(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) run_fixture(&fixtures[i]);
}

/* Every file in tests/fixtures/eml/ except the README has a row above. */
static void test_every_fixture_has_expectations(void **state) {
    char dir[4096];
    DIR *d;
    struct dirent *e;
    size_t seen = 0;
    (void)state;
    fixture_path(dir, sizeof dir, "");
    d = opendir(dir);
    if (d == NULL) fail_msg("cannot open %s (set STORYPIPE_SOURCE)", dir);
    while ((e = readdir(d)) != NULL) {
        size_t i;
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
        for (i = 0; i < N_FIXTURES; i++)
            if (strcmp(fixtures[i].file, e->d_name) == 0) break;
        if (i == N_FIXTURES) fail_msg("fixture %s has no expectations in test_eml.c", e->d_name);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, N_FIXTURES);
}

/* ---- 2. focused cases --------------------------------------------------- */

typedef struct {
    const char *name;
    const char *msg;
    size_t len; /* exact, so inputs may hold NUL */
    const char *err;          /* NULL: must parse */
    const char *content_type; /* when it parses */
    const char *body;         /* exact body, or NULL to skip */
    const char *has;          /* a substring of the body, or NULL */
} inline_case;

#define M(s) s, sizeof(s) - 1
#define HDR "From: news@example.com\nSubject: t\nDate: Mon, 03 Feb 2025 08:00:00 +0000\nMIME-Version: 1.0\n"
#define ALT_PLAIN_HTML(a, b)                                                                             \
    HDR "Content-Type: multipart/alternative; boundary=\"B\"\n\n--B\n" a "\n--B\n" b "\n--B--\n"
#define PLAIN "Content-Type: text/plain; charset=utf-8\n\nplain text"
#define HTML "Content-Type: text/html; charset=utf-8\n\n<p>html text</p>"

static const inline_case cases[] = {
    /* -- which part -- */
    {"alternative: html first, plain second", M(ALT_PLAIN_HTML(HTML, PLAIN)), NULL, "text/plain",
     "plain text", NULL},
    {"alternative: plain first", M(ALT_PLAIN_HTML(PLAIN, HTML)), NULL, "text/plain", "plain text", NULL},
    {"alternative: html only", M(ALT_PLAIN_HTML(HTML, "Content-Type: text/enriched\n\n<bold>x</bold>")), NULL,
     "text/html", "<p>html text</p>", NULL},
    {"alternative: plain inside a nested mixed wins over html",
     M(HDR "Content-Type: multipart/alternative; boundary=\"A\"\n\n--A\n" HTML "\n--A\n"
           "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n" PLAIN "\n--M--\n\n--A--\n"),
     NULL, "text/plain", "plain text", NULL},
    {"mixed: text attachment first, inline html second",
     M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n"
           "Content-Type: text/plain\nContent-Disposition: attachment; filename=\"a.txt\"\n\nattached\n--M\n" HTML
           "\n--M--\n"),
     NULL, "text/html", "<p>html text</p>", NULL},
    {"mixed: first body part wins (html before plain)",
     M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n" HTML "\n--M\n" PLAIN "\n--M--\n"), NULL,
     "text/html", "<p>html text</p>", NULL},
    {"mixed: inline disposition with a file name is still the body",
     M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n"
           "Content-Type: text/plain; charset=utf-8\nContent-Disposition: inline; filename=\"n.txt\"\n\ninline body\n"
           "--M--\n"),
     NULL, "text/plain", "inline body", NULL},
    {"mixed: only attachments and a forwarded message",
     M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n"
           "Content-Type: text/plain\nContent-Disposition: attachment; filename=\"a.txt\"\n\nattached\n--M\n"
           "Content-Type: message/rfc822\n\nFrom: x@example.com\nSubject: fwd\n\nforwarded text\n--M--\n"),
     "no_text_part", NULL, NULL, NULL},
    {"single application/pdf", M(HDR "Content-Type: application/pdf\n\n%PDF-1.4\n"), "no_text_part", NULL, NULL,
     NULL},
    {"multipart without any part", M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M--\n"),
     "no_text_part", NULL, NULL, NULL},
    {"no Content-Type: text/plain", M("From: a@example.com\nSubject: s\n\nhello\n"), NULL, "text/plain",
     "hello\n", NULL},
    {"headers and a blank line only: empty text", M("From: a@example.com\nSubject: s\n\n"), NULL, "text/plain",
     "", NULL},
    {"base64 text/html", M(HDR "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                               "PHA+Q2Fmw6k8L3A+\n"),
     NULL, "text/html", "<p>Caf\xC3\xA9</p>", NULL},

    /* -- charsets -- */
    {"invalid UTF-8 in a utf-8 part: maximal subparts become U+FFFD",
     M(HDR "Content-Type: text/plain; charset=utf-8\n\ncaf\xC3 \xE9\xED\xA0\x80 ok \xF0\x9F\x98"),
     NULL, "text/plain", "caf" FFFD " " FFFD FFFD FFFD FFFD " ok " FFFD, NULL},
    {"overlong and above U+10FFFF in utf-8",
     M(HDR "Content-Type: text/plain; charset=UTF8\n\n\xC0\xAF|\xF4\x90\x80\x80|\xE0\x80\xAF"), NULL,
     "text/plain", FFFD FFFD "|" FFFD FFFD FFFD FFFD "|" FFFD FFFD FFFD, NULL},
    {"invalid byte inside GBK", M(HDR "Content-Type: text/plain; charset=gbk\n\n\xD6\xD0\xFF\xCE\xC4"), NULL,
     "text/plain", "\xE4\xB8\xAD" FFFD "\xE6\x96\x87", NULL}, /* 中?文 */
    {"GBK cut inside a character", M(HDR "Content-Type: text/plain; charset=GBK\n\n\xD6\xD0\xD6"), NULL,
     "text/plain", "\xE4\xB8\xAD" FFFD, NULL},
    {"gb2312 label on GBK text (镕)", M(HDR "Content-Type: text/plain; charset=gb2312\n\n\xD6\xEC\xE9\x46"),
     NULL, "text/plain", "\xE6\x9C\xB1\xE9\x95\x95", NULL},
    {"ISO-2022-JP (stateful)",
     M(HDR "Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$BF|K\\8l$N%K%e!<%9\x1b(B\n"), NULL, "text/plain",
     "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x8B\xE3\x83\xA5\xE3\x83\xBC\xE3\x82\xB9\n", NULL},
    {"ISO-2022-JP cut inside a character",
     M(HDR "Content-Type: text/plain; charset=iso-2022-jp\n\nA\x1b$BF|K"), NULL, "text/plain",
     "A\xE6\x97\xA5" FFFD, NULL},
    {"latin-1 label, 0x80 is the euro sign (windows-1252)",
     M(HDR "Content-Type: text/plain; charset=\"latin1\"\n\n25 \x80 \xE0 payer"), NULL, "text/plain",
     "25 \xE2\x82\xAC \xC3\xA0 payer", NULL},
    {"windows-1252 undefined byte", M(HDR "Content-Type: text/plain; charset=windows-1252\n\na\x81z"), NULL,
     "text/plain", "a" FFFD "z", NULL},
    {"no charset, valid UTF-8: kept", M(HDR "Content-Type: text/plain\n\nna\xC3\xAFve \xE2\x9C\x93"), NULL,
     "text/plain", "na\xC3\xAFve \xE2\x9C\x93", NULL},
    {"us-ascii label, 8-bit latin-1 bytes: windows-1252",
     M(HDR "Content-Type: text/plain; charset=us-ascii\n\nna\xEFve \x93quoted\x94"), NULL, "text/plain",
     "na\xC3\xAFve \xE2\x80\x9Cquoted\xE2\x80\x9D", NULL},
    {"x-unknown label: like no label", M(HDR "Content-Type: text/plain; charset=x-unknown\n\ncaf\xC3\xA9"), NULL,
     "text/plain", "caf\xC3\xA9", NULL},
    {"KOI8-R through iconv's own names", M(HDR "Content-Type: text/plain; charset=KOI8-R\n\n\xEE\xCF\xD7\xCF\xD3\xD4\xC9"),
     NULL, "text/plain", "\xD0\x9D\xD0\xBE\xD0\xB2\xD0\xBE\xD1\x81\xD1\x82\xD0\xB8", NULL}, /* Новости */
    {"RFC 2231 charset parameter",
     M(HDR "Content-Type: text/plain; charset*=iso-8859-1''iso-8859-15\n\n\xA4"), NULL, "text/plain",
     "\xE2\x82\xAC", NULL},
    {"UTF-8 byte-order mark dropped", M(HDR "Content-Type: text/plain; charset=utf-8\n\n\xEF\xBB\xBFhello"), NULL,
     "text/plain", "hello", NULL},
    {"UTF-16 with a byte-order mark",
     M(HDR "Content-Type: text/plain; charset=UTF-16\nContent-Transfer-Encoding: base64\n\n//5oAGkArAA=\n"), NULL,
     "text/plain", "hi\xC2\xAC", NULL},
    {"unknown charset", M(HDR "Content-Type: text/plain; charset=x-mac-klingon\n\nqapla'"),
     "unsupported_charset", NULL, NULL, NULL},
    {"charset label with a path", M(HDR "Content-Type: text/plain; charset=\"utf-8//../../tmp/x\"\n\nx"),
     "unsupported_charset", NULL, NULL, NULL},
    {"charset label too long",
     M(HDR "Content-Type: text/plain; charset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\nx"),
     "unsupported_charset", NULL, NULL, NULL},
    {"unknown charset on an ignored attachment does not matter",
     M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n" PLAIN "\n--M\n"
           "Content-Type: text/plain; charset=x-klingon\nContent-Disposition: attachment\n\nqapla'\n--M--\n"),
     NULL, "text/plain", "plain text", NULL},
    {"lone CR is kept, CRLF becomes LF",
     M(HDR "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nYQ1iDQpj\n"), NULL,
     "text/plain", "a\rb\nc", NULL},

    /* -- invalid -- */
    {"empty", "", 0, "invalid_mime", NULL, NULL, NULL},
    {"no header fields (a leading blank line)", M("\nFrom: a@example.com\n\nbody\n"), "invalid_mime", NULL, NULL,
     NULL},
    {"plain text, not a message", M("Dear reader,\nthis is not an e-mail.\n"), "invalid_mime", NULL, NULL, NULL},
    {"cut off inside the header block", M("From: a@example.com\nSubject: Weekly dig"), "invalid_mime", NULL, NULL,
     NULL},
    {"multipart without its closing boundary", M(HDR "Content-Type: multipart/mixed; boundary=\"M\"\n\n--M\n" PLAIN),
     "invalid_mime", NULL, NULL, NULL},
    {"binary zeros", "\0\0\0\0\0\0\0\0", 8, "invalid_mime", NULL, NULL, NULL},
};

static void test_inline_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const inline_case *c = &cases[i];
        eml_message m;
        char err[48], detail[256];
        int r = parse(c->msg, c->len, &m, err, detail);
        if (c->err != NULL) {
            if (r != -1) fail_msg("[%s] parsed (body \"%s\"), want %s", c->name, m.body, c->err);
            if (strcmp(err, c->err) != 0) fail_msg("[%s] %s (%s), want %s", c->name, err, detail, c->err);
            assert_true(detail[0] != '\0');
            continue;
        }
        if (r != 0) fail_msg("[%s] %s: %s", c->name, err, detail);
        check_invariants(&m);
        if (strcmp(m.content_type, c->content_type) != 0)
            fail_msg("[%s] content_type %s, want %s", c->name, m.content_type, c->content_type);
        if (c->body && (m.body_len != strlen(c->body) || memcmp(m.body, c->body, m.body_len) != 0))
            fail_msg("[%s] body \"%s\" (%zu bytes), want \"%s\"", c->name, m.body, m.body_len, c->body);
        if (c->has && !mem_has(m.body, m.body_len, c->has, strlen(c->has)))
            fail_msg("[%s] body lacks \"%s\": \"%s\"", c->name, c->has, m.body);
        eml_free(&m);
    }
}

static void test_unsupported_charset_detail(void **state) {
    static const char msg[] = HDR "Content-Type: text/plain; charset=x-mac-klingon\n\nqapla'";
    eml_message m;
    char err[48], detail[256];
    (void)state;
    assert_int_equal(parse(msg, sizeof msg - 1, &m, err, detail), -1);
    assert_string_equal(err, "unsupported_charset");
    assert_non_null(strstr(detail, "x-mac-klingon"));
}

static void test_headers(void **state) {
    eml_message m;
    char err[48], detail[256];
    (void)state;
    {   /* unparsable and absent dates; angle brackets and 8-bit header bytes */
        static const char msg[] = "From: \"Smith, Jane\" <jane@example.com>, bob@example.com\n"
                                  "Subject: caf\xE9 au lait\n"
                                  "Date: sometime last week\n"
                                  "Message-ID: <abc.123@example.com>\n\nbody\n";
        assert_int_equal(parse(msg, sizeof msg - 1, &m, err, detail), 0);
        check_invariants(&m);
        assert_null(m.date);
        assert_string_equal(m.message_id, "abc.123@example.com");
        /* undeclared 8-bit header: GMime tries UTF-8, then ISO-8859-1 */
        assert_string_equal(m.subject, "caf\xC3\xA9 au lait");
        assert_string_equal(m.from, "\"Smith, Jane\" <jane@example.com>, bob@example.com");
        eml_free(&m);
    }
    {   /* no From, no Subject, an empty Message-ID; a date just before midnight, west of UTC */
        static const char msg[] = "Date: Tue, 31 Dec 2024 23:59:59 -0100\n"
                                  "To: x@example.com\n"
                                  "Message-ID: <>\n"
                                  "Content-Type: text/plain\n\nbody\n";
        assert_int_equal(parse(msg, sizeof msg - 1, &m, err, detail), 0);
        check_invariants(&m);
        assert_string_equal(m.date, "2025-01-01T00:59:59Z");
        assert_null(m.subject);
        assert_null(m.from);
        assert_null(m.message_id);
        eml_free(&m);
    }
    {   /* invalid UTF-8 inside an encoded word; an unknown charset in another */
        static const char msg[] = "From: =?x-klingon?Q?caf=E9?= <a@example.com>\n"
                                  "Subject: =?utf-8?B?Y2Fm6SDigJQgb2s=?=\n\nbody\n";
        assert_int_equal(parse(msg, sizeof msg - 1, &m, err, detail), 0);
        check_invariants(&m);
        /* the encoded word holds "caf\xE9 — ok", invalid UTF-8: GMime 3.2 makes the
         * bad byte a '?', not U+FFFD; either will do */
        if (strcmp(m.subject, "caf? \xE2\x80\x94 ok") != 0 && strcmp(m.subject, "caf" FFFD " \xE2\x80\x94 ok") != 0)
            fail_msg("subject \"%s\"", m.subject);
        /* GMime falls back to its fallback charsets (UTF-8, then ISO-8859-1) */
        assert_string_equal(m.from, "caf\xC3\xA9 <a@example.com>");
        eml_free(&m);
    }
}

/* A NUL in the text becomes U+FFFD: a raw document's body with \u0000 in
 * it would be refused by every stage after the fetcher (found by
 * fuzz_fetch: a quoted-printable part with NULs). */
static void test_nul_bytes_replaced(void **state) {
    static const char msg[] = HDR "Content-Type: text/plain\n\na\0b";
    static const char qp[] = HDR "Content-Type: text/plain; charset=utf-8\n"
                             "Content-Transfer-Encoding: quoted-printable\n\nc=00d\0\0e";
    static const char latin1[] = HDR "Content-Type: text/plain; charset=iso-8859-1\n\nf\0g\xe9";
    eml_message m;
    char err[48], detail[256];
    (void)state;
    assert_int_equal(parse(msg, sizeof msg - 1, &m, err, detail), 0);
    check_invariants(&m);
    assert_int_equal(m.body_len, 5);
    assert_memory_equal(m.body, "a\xEF\xBF\xBD" "b", 5);
    eml_free(&m);
    assert_int_equal(parse(qp, sizeof qp - 1, &m, err, detail), 0);
    check_invariants(&m);
    assert_string_equal(m.body, "c\xEF\xBF\xBD" "d\xEF\xBF\xBD\xEF\xBF\xBD" "e");
    eml_free(&m);
    assert_int_equal(parse(latin1, sizeof latin1 - 1, &m, err, detail), 0);
    check_invariants(&m);
    assert_string_equal(m.body, "f\xEF\xBF\xBD" "g\xC3\xA9");
    eml_free(&m);
}

static void test_null_err_and_detail(void **state) {
    static const char good[] = "From: a@example.com\n\nbody\n";
    eml_message m;
    (void)state;
    assert_int_equal(eml_parse(good, sizeof good - 1, &m, NULL, NULL), 0);
    eml_free(&m);
    assert_int_equal(eml_parse("x", 1, &m, NULL, NULL), -1);
    assert_int_equal(eml_parse(NULL, 0, &m, NULL, NULL), -1);
    eml_free(NULL);
}

/* A multipart nested far beyond any real message. */
static void test_deep_nesting(void **state) {
    const int depth = 3000;
    size_t cap = (size_t)depth * 80 + 256, n = 0;
    char *msg = malloc(cap);
    eml_message m;
    char err[48], detail[256];
    int r;
    (void)state;
    assert_non_null(msg);
    n += (size_t)snprintf(msg + n, cap - n, "From: a@example.com\n");
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(msg + n, cap - n, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
    n += (size_t)snprintf(msg + n, cap - n, "Content-Type: text/plain\n\ndeep\n");
    for (int i = depth - 1; i >= 0; i--) n += (size_t)snprintf(msg + n, cap - n, "--b%d--\n", i);
    r = parse(msg, n, &m, err, detail);
    free(msg);
    /* GMime stops at its nesting limit and says so: invalid_mime */
    if (r == 0) {
        check_invariants(&m);
        eml_free(&m);
        fail_msg("3000 nested multiparts parsed");
    }
    assert_string_equal(err, "invalid_mime");
}

/* ---- 3. robustness ------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng(void) { /* xorshift64 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void check_any(const char *data, size_t len) {
    eml_message m;
    char err[48], detail[256];
    if (parse(data, len, &m, err, detail) == 0) {
        check_invariants(&m);
        eml_free(&m);
    } else {
        if (strcmp(err, "invalid_mime") != 0 && strcmp(err, "no_text_part") != 0 &&
            strcmp(err, "unsupported_charset") != 0)
            fail_msg("unknown reason code \"%s\"", err);
        assert_true(detail[0] != '\0');
        assert_null(m.body);
    }
}

static void test_prefixes_and_mutations(void **state) {
    static const unsigned char specials[] = {'\n', '\r', '-', '=', '?', ':', ';', '"', '<', '>', 0x80, 0xFF, 0};
    (void)state;
    for (size_t f = 0; f < N_FIXTURES; f++) {
        size_t len;
        char *data = load_fixture(fixtures[f].file, &len);
        char *copy = malloc(len + 1);
        assert_non_null(copy);
        for (size_t cut = 0; cut <= len; cut += (len > 1500 ? 7 : 3)) check_any(data, cut);
        for (int round = 0; round < 300; round++) {
            int edits = 1 + (int)(rng() % 8);
            memcpy(copy, data, len);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)(rng() % len);
                copy[at] = (rng() & 1) ? (char)specials[rng() % sizeof specials] : (char)(rng() & 0xFF);
            }
            check_any(copy, len);
        }
        free(copy);
        free(data);
    }
}

/* A few MB of bytes that are invalid in the declared charset: linear time,
 * valid output. */
static void test_large_invalid(void **state) {
    const size_t body = 4u << 20;
    const char head[] = HDR "Content-Type: text/plain; charset=gbk\n\n";
    size_t n = sizeof head - 1 + body;
    char *msg = malloc(n);
    eml_message m;
    char err[48], detail[256];
    (void)state;
    assert_non_null(msg);
    memcpy(msg, head, sizeof head - 1);
    for (size_t i = 0; i < body; i++) msg[sizeof head - 1 + i] = (char)(0x80 | (rng() & 0x7F));
    assert_int_equal(eml_parse(msg, n, &m, err, detail), 0);
    check_invariants(&m);
    assert_true(m.body_len >= body / 2);
    eml_free(&m);
    free(msg);
}

/* ---- 4. threads --------------------------------------------------------- */

typedef struct {
    const char *data;
    size_t len;
    int failures;
} thread_arg;

static void *worker(void *p) {
    thread_arg *a = p;
    for (int i = 0; i < 50; i++) {
        eml_message m;
        char err[48], detail[256];
        if (eml_parse(a->data, a->len, &m, err, detail) != 0 || strcmp(m.content_type, "text/plain") != 0 ||
            m.subject == NULL || strcmp(m.subject, "Les \xC3\xA9lections r\xC3\xA9gionales : ce qu'il faut savoir") != 0 ||
            !mem_has(m.body, m.body_len, "l\xE2\x80\x99" "Assembl", 11))
            a->failures++;
        eml_free(&m);
    }
    return NULL;
}

/* Runs first: the threads' first calls race to initialise GMime. */
static void test_threads(void **state) {
    enum { N = 8 };
    pthread_t t[N];
    thread_arg args[N];
    size_t len;
    char *data = load_fixture("latin1.eml", &len);
    (void)state;
    for (int i = 0; i < N; i++) {
        args[i] = (thread_arg){data, len, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads), /* first */
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_every_fixture_has_expectations),
        cmocka_unit_test(test_inline_cases),
        cmocka_unit_test(test_unsupported_charset_detail),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_nul_bytes_replaced),
        cmocka_unit_test(test_null_err_and_detail),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_prefixes_and_mutations),
        cmocka_unit_test(test_large_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
