/* bulletin.c — numbered bulletins (seeds 000 and 001):
 *
 *   Bulletin title line(s)                       header
 *   (1) Title                                    the index: a numbered title
 *   One-paragraph summary.                       and its summary, per story
 *   (2) Title ...
 *   (1) Title                                    the sections, numbered again:
 *   (Photo Credit: Reuters)                      optional, any case
 *   Body paragraph...                            one or more
 *   News Source: https://...                     optional
 *   (2) Title ...
 *
 * A numbered line is "(N) text" with N one more than the previous number;
 * "(1)" starts the numbering again, once (index, then sections). Any other
 * "(N)" line, say inside a body, is text. Index summary and section of the
 * same N make one story (an index title worded otherwise than its
 * section's is kept at the head of the summary); an index alone or
 * sections alone work too. To tell
 * a bulletin from an article with a numbered list, titles must read as
 * titles (short, not ending in a full stop), and with an index the
 * sections' titles must repeat the index's. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "util.h"

#define MAX_ITEMS 1000

typedef struct item {
    unsigned num;
    size_t at;            /* the numbered line */
    size_t end;           /* one past its last line (the next item or the end) */
    const char *title;
    size_t title_len;
} item;

/* "(N) text": 1 with *num and the text set. */
static int numbered(const line *ln, unsigned *num, const char **title, size_t *tlen) {
    size_t i = 1;
    unsigned v = 0;
    if (ln->n < 4 || ln->s[0] != '(') return 0;
    while (i < ln->n && i < 5 && ln->s[i] >= '0' && ln->s[i] <= '9') v = v * 10 + (unsigned)(ln->s[i++] - '0');
    if (i == 1 || i >= ln->n || ln->s[i] != ')' || v == 0) return 0;
    i++;
    if (i >= ln->n || (ln->s[i] != ' ' && ln->s[i] != '\t')) return 0;
    while (i < ln->n && (ln->s[i] == ' ' || ln->s[i] == '\t')) i++;
    if (i >= ln->n) return 0;
    *num = v;
    *title = ln->s + i;
    *tlen = ln->n - i;
    return 1;
}

static int title_like(const item *it) {
    line t = {it->title, it->title_len, 0};
    char last = line_last(&t);
    return line_words(&t) <= 30 && it->title_len <= 400 && last != '.' && last != ',' && last != ';';
}

/* "(Photo Credit: X)" (any case, "credits" too): 1 with X. */
static int photo_credit(const line *ln, const char **v, size_t *n) {
    const char *s = ln->s, *e = ln->s + ln->n;
    if (ln->n < 16 || s[0] != '(' || e[-1] != ')') return 0;
    s++;
    e--;
    while (s < e && *s == ' ') s++;
    if (e - s < 13 || strncasecmp(s, "photo credit", 12) != 0) return 0;
    s += 12;
    if (s < e && (*s == 's' || *s == 'S')) s++;
    while (s < e && *s == ' ') s++;
    if (s >= e || *s != ':') return 0;
    s++;
    while (s < e && *s == ' ') s++;
    while (e > s && e[-1] == ' ') e--;
    *v = s;
    *n = (size_t)(e - s);
    return 1;
}

/* "News Source: X": 1 with X. */
static int news_source(const line *ln, const char **v, size_t *n) {
    size_t i;
    if (!line_starts_with(ln, "news source")) return 0;
    i = 11;
    if (i < ln->n && (ln->s[i] == 's' || ln->s[i] == 'S')) i++;
    while (i < ln->n && ln->s[i] == ' ') i++;
    if (i >= ln->n || ln->s[i] != ':') return 0;
    i++;
    while (i < ln->n && ln->s[i] == ' ') i++;
    *v = ln->s + i;
    *n = ln->n - i;
    return 1;
}

/* One story from an index entry (may be NULL) and a section (may be NULL). */
static void story(const text_lines *l, digest *d, const item *idx, const item *sec) {
    digest_story *s = digest_add(d);
    const item *t = sec ? sec : idx;
    size_t from, to, k = 0;
    s->title = digest_strndup(t->title, t->title_len);
    if (idx && idx->end > idx->at + 1) s->summary = digest_join(l, idx->at + 1, idx->end, " ", " ");
    if (idx && sec && !(idx->title_len == sec->title_len && memcmp(idx->title, sec->title, idx->title_len) == 0)) {
        /* the index words it otherwise: its title stays, ahead of its summary */
        size_t n = idx->title_len + (s->summary ? strlen(s->summary) : 0) + 2;
        char *both = sp_xmalloc(n);
        snprintf(both, n, "%.*s%s%s", (int)idx->title_len, idx->title, s->summary ? "\n" : "", s->summary ? s->summary : "");
        free(s->summary);
        s->summary = both;
    }
    if (sec == NULL) {
        s->body = sp_xstrdup(s->summary ? s->summary : s->title);
        return;
    }
    /* the section: credit and source lines are fields, the rest is body */
    from = sec->at + 1;
    to = sec->end;
    {
        size_t cap = to - from, nb = 0;
        text_lines b = {sp_xmalloc((cap ? cap : 1) * sizeof(line)), 0, 0};
        for (size_t i = from; i < to; i++) {
            const char *v;
            size_t n;
            if (s->photo_credit == NULL && photo_credit(&l->v[i], &v, &n)) {
                s->photo_credit = digest_strndup(v, n);
            } else if (s->url == NULL && s->outlet == NULL && news_source(&l->v[i], &v, &n) && n > 0) {
                line val = {v, n, 0};
                if (line_is_url(&val)) s->url = digest_strndup(v, n);
                else s->outlet = digest_strndup(v, n);
            } else {
                b.v[nb] = l->v[i];
                b.v[nb].para = k++; /* each line of a section is a paragraph */
                nb++;
            }
        }
        b.n = nb;
        s->body = nb ? digest_join(&b, 0, nb, "\n\n", "\n") : sp_xstrdup(s->summary ? s->summary : s->title);
        free(b.v);
    }
}

int rule_bulletin(const text_lines *l, digest *d) {
    item items[MAX_ITEMS];
    size_t n = 0, first_len = 0, title_ok = 0;
    int groups = 0;
    for (size_t i = 0; i < l->n && n < MAX_ITEMS; i++) {
        unsigned num;
        const char *t;
        size_t tn;
        if (!numbered(&l->v[i], &num, &t, &tn)) continue;
        if (num == 1 && (groups == 0 || (groups == 1 && n >= 2))) {
            if (groups == 1) first_len = n; /* the numbering starts again: index, then sections */
            groups++;
        } else if (!(n > 0 && num == items[n - 1].num + 1)) {
            continue; /* a number out of sequence is text */
        }
        if (n > 0) items[n - 1].end = i;
        items[n++] = (item){num, i, l->n, t, tn};
    }
    if (groups == 1) first_len = n;
    if (n < 2 || first_len < 2) return 0;
    for (size_t i = 0; i < n; i++) title_ok += title_like(&items[i]);
    if (title_ok * 4 < n * 3) return 0;

    const item *index = NULL, *sections = items;
    size_t n_index = 0, n_sections = n;
    if (groups == 2) {
        /* an index: entries of at most a few lines, titles the sections repeat */
        size_t same = 0, short_entries = 0;
        for (size_t i = 0; i < first_len; i++) {
            short_entries += items[i].end - items[i].at <= 4;
            for (size_t j = first_len; j < n; j++)
                if (items[j].num == items[i].num && items[j].title_len == items[i].title_len &&
                    memcmp(items[j].title, items[i].title, items[i].title_len) == 0)
                    same++;
        }
        if (same * 2 < first_len || short_entries * 4 < first_len * 3) return 0;
        index = items;
        n_index = first_len;
        sections = items + first_len;
        n_sections = n - first_len;
    } else {
        /* one numbering: sections if they have bodies, an index if each has one line */
        size_t one_line = 0;
        for (size_t i = 0; i < n; i++) one_line += items[i].end - items[i].at <= 2;
        if (one_line == n) {
            index = items;
            n_index = n;
            sections = NULL;
            n_sections = 0;
        }
    }

    digest_skip(d, l, 0, items[0].at, "header");
    /* stories in section order, then index entries that have no section */
    for (size_t i = 0; i < n_sections; i++) {
        const item *idx = NULL;
        for (size_t j = 0; j < n_index; j++)
            if (index[j].num == sections[i].num) idx = &index[j];
        story(l, d, idx, &sections[i]);
    }
    for (size_t j = 0; j < n_index; j++) {
        int has = 0;
        for (size_t i = 0; i < n_sections; i++) has |= sections[i].num == index[j].num;
        if (!has) story(l, d, &index[j], NULL);
    }
    return 1;
}
