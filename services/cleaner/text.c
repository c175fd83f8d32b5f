/* text.c — newsletter text: the plain-text side of the cleaner (HTML goes
 * through html.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clean.h"
#include "html.h"
#include "util.h"

typedef struct tbuf {
    char *s;
    size_t n, cap;
} tbuf;

static void put(tbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = sp_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

char *clean_plain_text(const char *text, size_t len, size_t *out_len) {
    tbuf b = {NULL, 0, 0};
    size_t i = 0;
    put(&b, "", 0);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    for (; i < len; i++) {
        if (text[i] == '\r') {
            if (i + 1 < len && text[i + 1] == '\n') continue;
            while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t')) b.n--;
            if (!(b.n >= 3 && b.s[b.n - 1] == '\n' && b.s[b.n - 2] == '\n' && b.s[b.n - 3] == '\n'))
                put(&b, "\n", 1);
        } else if (text[i] == '\n') {
            while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t')) b.n--;
            /* at most two blank lines in a row */
            if (!(b.n >= 3 && b.s[b.n - 1] == '\n' && b.s[b.n - 2] == '\n' && b.s[b.n - 3] == '\n'))
                put(&b, "\n", 1);
        } else {
            put(&b, text + i, 1);
        }
    }
    while (b.n && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\n' || b.s[b.n - 1] == '\t')) b.n--;
    b.s[b.n] = '\0';
    *out_len = b.n;
    return b.s;
}

const char *clean_html_file;

int clean_html_main(void) {
    size_t len;
    char *html;
    html_text t;
    int rc = 0;
    if (clean_html_file == NULL) return -1; /* not this mode: run the stage */
    html = sp_read_file(clean_html_file, 256u << 20, &len);
    if (html == NULL) {
        fprintf(stderr, "storypipe-cleaner: %s: %s\n", clean_html_file, strerror(errno));
        return SP_EXIT_UNAVAILABLE;
    }
    html_to_text(html, len, NULL, &t);
    if (fwrite(t.text, 1, t.len, stdout) != t.len || (t.len && fputc('\n', stdout) == EOF) || fflush(stdout))
        rc = SP_EXIT_UNAVAILABLE;
    html_text_free(&t);
    free(html);
    return rc;
}
