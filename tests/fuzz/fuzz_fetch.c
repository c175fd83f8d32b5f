/* fuzz_fetch.c — libFuzzer target for what the fetcher parses from the
 * outside world: e-mail messages (eml.c, GMime) and RSS/Atom feeds
 * (feed.c, libxml2). The first byte picks the parser (even: eml_parse,
 * odd: feed_parse with a base URL), the rest is the document. Under ASan +
 * UBSan (no crash, leak or UB), each result must hold:
 *
 *   - on success, every string the parser returns is valid UTF-8 without
 *     NUL bytes (they become JSON strings of raw documents): an e-mail's
 *     body (never NULL, body_len its length), subject, from, message id;
 *     a feed's title and link, and every item's id (never NULL), link,
 *     title, author and content (never NULL);
 *   - links are NULL or begin with http:// or https:// (the fetcher only
 *     follows those); dates are NULL or "YYYY-MM-DDTHH:MM:SSZ";
 *   - on failure, a reason code is set and the result is empty.
 *
 * Seeds: tests/fuzz/corpus_fetch (copies of tests/fixtures/eml and
 * tests/fixtures/feeds with the selector byte in front). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eml.h"
#include "feed.h"
#include "util.h"

static void check_text(const char *what, const char *s, size_t len) {
    if (s == NULL) return;
    if (!sp_utf8_valid(s, len) || memchr(s, 0, len)) {
        fprintf(stderr, "fuzz_fetch: %s is not UTF-8 text without NUL\n", what);
        abort();
    }
}

static void check_str(const char *what, const char *s) {
    if (s) check_text(what, s, strlen(s));
}

static void check_link(const char *what, const char *s) {
    check_str(what, s);
    if (s && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
        fprintf(stderr, "fuzz_fetch: %s is not an http(s) URL: %s\n", what, s);
        abort();
    }
}

static void check_date(const char *what, const char *s) {
    int y, mo, d, h, mi, se;
    char z;
    if (s == NULL) return;
    if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 || z != 'Z') {
        fprintf(stderr, "fuzz_fetch: %s is not an RFC 3339 UTC date: %s\n", what, s);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[48] = "", detail[256] = "";
    if (size < 1) return 0;
    if ((data[0] & 1) == 0) {
        eml_message m;
        memset(&m, 0, sizeof m);
        if (eml_parse((const char *)data + 1, size - 1, &m, err, detail) == 0) {
            if (m.body == NULL) abort();
            check_text("body", m.body, m.body_len);
            check_str("subject", m.subject);
            check_str("from", m.from);
            check_str("message_id", m.message_id);
            check_date("date", m.date);
            if (strcmp(m.content_type, "text/plain") != 0 && strcmp(m.content_type, "text/html") != 0) abort();
        } else if (err[0] == '\0') {
            abort();
        }
        eml_free(&m);
    } else {
        feed f;
        memset(&f, 0, sizeof f);
        if (feed_parse((const char *)data + 1, size - 1, "https://example.org/feed/", &f, err, detail) == 0) {
            check_str("feed title", f.title);
            check_link("feed link", f.link);
            for (size_t i = 0; i < f.n_items; i++) {
                const feed_item *it = &f.items[i];
                if (it->id == NULL || it->content == NULL) abort();
                check_str("item id", it->id);
                check_link("item link", it->link);
                check_str("item title", it->title);
                check_str("item author", it->author);
                check_str("item content", it->content);
                check_date("item published", it->published);
                check_date("item modified", it->modified);
            }
        } else if (err[0] == '\0' || f.n_items != 0) {
            abort();
        }
        feed_free(&f);
    }
    return 0;
}
