/* lines.c — a document as lines and paragraphs (see lines.h). */
#include "lines.h"

#include <string.h>
#include <strings.h>

#include "util.h"

static int is_space(const char *p, const char *end, size_t *n) {
    if (*p == ' ' || *p == '\t' || *p == '\f' || *p == '\v') return (int)(*n = 1);
    if (end - p >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0) return (int)(*n = 2);
    if (end - p >= 3 && memcmp(p, "\xE3\x80\x80", 3) == 0) return (int)(*n = 3); /* ideographic space */
    return 0;
}

void lines_split(const char *text, size_t len, text_lines *out) {
    const char *p = text, *end = text + len;
    size_t cap = 0, para = 0, k;
    int blank = 0;
    memset(out, 0, sizeof *out);
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (p < end) {
        const char *s = p, *e;
        while (p < end && *p != '\n' && *p != '\r') p++;
        e = p;
        if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') p++;
        if (p < end) p++;
        while (s < e && is_space(s, e, &k)) s += k;
        while (e > s) { /* trailing white space, a no-break space included */
            if (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\f' || e[-1] == '\v') e--;
            else if (e - s >= 2 && (unsigned char)e[-2] == 0xC2 && (unsigned char)e[-1] == 0xA0) e -= 2;
            else if (e - s >= 3 && memcmp(e - 3, "\xE3\x80\x80", 3) == 0) e -= 3;
            else break;
        }
        if (s == e) {
            blank = 1;
            continue;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->v = sp_xrealloc(out->v, cap * sizeof *out->v);
        }
        if (blank && out->n > 0) para++;
        blank = 0;
        out->v[out->n++] = (line){s, (size_t)(e - s), para};
    }
    out->n_paras = out->n ? para + 1 : 0;
}

void lines_free(text_lines *l) {
    free(l->v);
    memset(l, 0, sizeof *l);
}

size_t line_words(const line *l) {
    size_t n = 0;
    int in = 0;
    for (size_t i = 0; i < l->n; i++) {
        int sp = l->s[i] == ' ' || l->s[i] == '\t';
        if (!sp && !in) n++;
        in = !sp;
    }
    return n;
}

int line_starts_with(const line *l, const char *prefix) {
    size_t n = strlen(prefix);
    return l->n >= n && strncasecmp(l->s, prefix, n) == 0;
}

int line_is_url(const line *l) {
    if (!line_starts_with(l, "http://") && !line_starts_with(l, "https://")) return 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->s[i] == ' ' || l->s[i] == '\t') return 0;
    return l->n > 8;
}

char line_last(const line *l) { return l->n ? l->s[l->n - 1] : 0; }
