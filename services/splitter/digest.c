/* digest.c — which rule splits a document, and what the rules share (see
 * digest.h). */
#include "digest.h"

#include <string.h>

#include "util.h"

digest_story *digest_add(digest *d) {
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->stories = sp_xrealloc(d->stories, d->cap * sizeof *d->stories);
    }
    memset(&d->stories[d->n], 0, sizeof d->stories[0]);
    return &d->stories[d->n++];
}

void digest_skip(digest *d, const text_lines *l, size_t from, size_t to, const char *why) {
    for (size_t i = from; i < to; i++) {
        if (d->n_skipped == d->cap_skipped) {
            d->cap_skipped = d->cap_skipped ? d->cap_skipped * 2 : 16;
            d->skipped = sp_xrealloc(d->skipped, d->cap_skipped * sizeof *d->skipped);
            d->skipped_why = sp_xrealloc(d->skipped_why, d->cap_skipped * sizeof *d->skipped_why);
        }
        d->skipped[d->n_skipped] = l->v[i];
        d->skipped_why[d->n_skipped++] = why;
    }
}

char *digest_strndup(const char *s, size_t n) { return sp_xstrndup(s, n); }

char *digest_join(const text_lines *l, size_t from, size_t to, const char *sep, const char *line_sep) {
    size_t n = 0, k = 0, ls = strlen(sep), ll = strlen(line_sep);
    char *out;
    for (size_t i = from; i < to; i++) n += l->v[i].n + (ls > ll ? ls : ll);
    out = sp_xmalloc(n + 1);
    for (size_t i = from; i < to; i++) {
        if (i > from) {
            const char *s = l->v[i].para == l->v[i - 1].para ? line_sep : sep;
            size_t sn = strlen(s);
            memcpy(out + k, s, sn);
            k += sn;
        }
        memcpy(out + k, l->v[i].s, l->v[i].n);
        k += l->v[i].n;
    }
    out[k] = '\0';
    return out;
}

static int is_word(unsigned char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }

int digest_boilerplate(const line *ln) {
    static const char *const words[] = {
        "subscribe", "newsletter", "stay informed", "join the conversation", "our mission", "our team",
        "visit our website", "follow us", "unsubscribe", "all rights reserved", "copyright", "\xC2\xA9",
        "privacy policy", "contact us", "forward this", "view in browser", "view this email", "sign up",
        "manage your preferences", "update your preferences", NULL};
    char buf[512];
    size_t n = ln->n < sizeof buf - 1 ? ln->n : sizeof buf - 1;
    for (size_t i = 0; i < n; i++) /* the first 511 bytes are enough to tell */
        buf[i] = (char)(ln->s[i] >= 'A' && ln->s[i] <= 'Z' ? ln->s[i] + 32 : ln->s[i]);
    buf[n] = '\0';
    for (int i = 0; words[i]; i++) { /* whole words: "copyrighted video" is no footer */
        size_t wn = strlen(words[i]);
        for (const char *p = buf; (p = strstr(p, words[i])) != NULL; p++) {
            int before = p == buf || !is_word((unsigned char)p[-1]);
            int after = !is_word((unsigned char)p[wn]);
            if (before && after) return 1;
        }
    }
    return 0;
}

/* The first line, when it reads as a title: short, not a sentence. */
static char *first_line_title(const text_lines *l) {
    const line *f = l->n ? &l->v[0] : NULL;
    char last;
    if (f == NULL || line_words(f) > 25 || f->n > 300) return NULL;
    last = line_last(f);
    if (last == '.' || last == ',' || last == ';' || last == ':') return NULL;
    if (l->n > 1 && l->v[1].para == f->para) return NULL; /* the paragraph goes on */
    return digest_strndup(f->s, f->n);
}

void digest_split(const char *text, size_t len, const digest_hints *hints, digest *out) {
    text_lines l;
    digest_story *s;
    memset(out, 0, sizeof *out);
    lines_split(text, len, &l);
    if (rule_bulletin(&l, out)) out->rule = "bulletin";
    else if (rule_brief(&l, out)) out->rule = "brief";
    else if (rule_insights(&l, out)) out->rule = "insights";
    else {
        /* one story: the whole text, as it is */
        out->rule = hints && hints->article ? "article" : "single";
        s = digest_add(out);
        s->title = hints && hints->title && *hints->title ? sp_xstrdup(hints->title) : first_line_title(&l);
        s->summary = hints && hints->excerpt && *hints->excerpt ? sp_xstrdup(hints->excerpt) : NULL;
        s->body = digest_join(&l, 0, l.n, "\n\n", "\n");
    }
    lines_free(&l);
}

void digest_free(digest *d) {
    for (size_t i = 0; i < d->n; i++) {
        digest_story *s = &d->stories[i];
        free(s->title);
        free(s->summary);
        free(s->body);
        free(s->url);
        free(s->outlet);
        free(s->photo_credit);
    }
    free(d->stories);
    free(d->skipped);
    free(d->skipped_why);
    memset(d, 0, sizeof *d);
}
