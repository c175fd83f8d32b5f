/* fuzz_html.c — libFuzzer target for the cleaner's HTML-to-text converter.
 *
 * Every input (any bytes, not NUL-terminated: the converter gets a length)
 * must convert without a crash, leak or undefined behaviour (ASan + UBSan),
 * and the result must be:
 *   - valid UTF-8 (sp_utf8_valid), whatever the input bytes were;
 *   - free of NUL bytes, so that len == strlen(text) (a NUL or &#0; in the
 *     input has to become U+FFFD or disappear);
 *   - with html_to_text, also every link's href and text: non-NULL, valid
 *     UTF-8; links is non-NULL whenever n_links > 0.
 * A violation prints what is wrong and aborts, which libFuzzer reports as a
 * crash with the input saved as the reproducer.
 *
 * The converter, html_to_text (services/cleaner/html.h), is called once
 * without and once with a base URL. It may return non-zero (input refused);
 * it then gets no checks, but html_text_free must still accept the
 * (zero-initialised) result. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Offset of the first byte where buf[0..len) stops being valid UTF-8. */
static size_t first_invalid(const char *buf, size_t len) {
    size_t lo = 0, hi = len; /* buf[0..lo) is valid; buf[0..hi) is not (hi == len) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp_utf8_valid(buf, mid)) lo = mid;
        else hi = mid;
    }
    return lo;
}

static void finding(const char *what, const char *field, const char *s, size_t len, size_t at) {
    size_t from = at > 16 ? at - 16 : 0, to = at + 16 < len ? at + 16 : len;
    fprintf(stderr, "\nfuzz_html: %s: %s (%zu bytes), at byte %zu:", field, what, len, at);
    for (size_t i = from; i < to; i++) fprintf(stderr, "%s%02x", i == at ? " [" : " ", (unsigned char)s[i]);
    fprintf(stderr, "%s\n", to > at ? "" : " [end]");
    abort();
}

/* s[0..len) must be valid UTF-8 without NUL bytes, and s[len] the NUL. */
static void check_text(const char *field, const char *s, size_t len) {
    const char *nul;
    if (s == NULL) {
        fprintf(stderr, "\nfuzz_html: %s is NULL\n", field);
        abort();
    }
    if ((nul = memchr(s, '\0', len)) != NULL) finding("NUL byte in the output", field, s, len, (size_t)(nul - s));
    if (s[len] != '\0') finding("not NUL-terminated at len", field, s, len, len);
    if (!sp_utf8_valid(s, len)) finding("invalid UTF-8", field, s, len, first_invalid(s, len));
}

static void convert_with(const char *html, size_t len, const char *base_url) {
    html_options opt;
    html_text out;
    char field[64];
    memset(&opt, 0, sizeof opt);
    memset(&out, 0, sizeof out);
    opt.base_url = base_url;
    if (html_to_text(html, len, &opt, &out) == 0) {
        check_text("text", out.text, out.len);
        if (out.n_links > 0 && out.links == NULL) {
            fprintf(stderr, "\nfuzz_html: n_links is %zu but links is NULL\n", out.n_links);
            abort();
        }
        for (size_t i = 0; i < out.n_links; i++) {
            const html_link *l = &out.links[i];
            snprintf(field, sizeof field, "links[%zu].href", i);
            check_text(field, l->href, l->href ? strlen(l->href) : 0);
            snprintf(field, sizeof field, "links[%zu].text", i);
            check_text(field, l->text, l->text ? strlen(l->text) : 0);
        }
    }
    html_text_free(&out);
}

static void convert(const char *html, size_t len) {
    convert_with(html, len, NULL);
    convert_with(html, len, "https://news.example.com/2024/05/world/story.html?id=7#top");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    convert((const char *)data, size);
    return 0;
}
