/* text.c — newsletter text: the plain-text side of the cleaner (HTML goes
 * through html.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clean.h"
#include "html.h"
#include "util.h"

char *clean_plain_text(const char *text, size_t len, size_t *out_len) {
    sp_buf b = {0};
    size_t i = 0;
    sp_buf_put(&b, "", 0);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    for (; i < len; i++) {
        if (text[i] == '\r' || text[i] == '\n') {
            if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') continue; /* CRLF: the LF ends the line */
            while (b.len && (b.s[b.len - 1] == ' ' || b.s[b.len - 1] == '\t')) b.len--;
            /* at most two blank lines in a row */
            if (!(b.len >= 3 && b.s[b.len - 1] == '\n' && b.s[b.len - 2] == '\n' && b.s[b.len - 3] == '\n'))
                sp_buf_put(&b, "\n", 1);
        } else {
            sp_buf_put(&b, text + i, 1);
        }
    }
    while (b.len && (b.s[b.len - 1] == ' ' || b.s[b.len - 1] == '\n' || b.s[b.len - 1] == '\t')) b.len--;
    *out_len = b.len;
    return sp_buf_take(&b);
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
